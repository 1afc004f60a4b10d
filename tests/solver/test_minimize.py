"""The training loop: stopping, validation, divergence, callbacks, state reuse."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skgd.solver import L2, SGD, Adam, Plateau, SolverConfig, Validation, minimize

from ._problems import LeastSquares, quadratic


def test_user_objective_minimised():
    prob = quadratic()
    res = minimize(prob, SolverConfig(optimizer=Adam(), learning_rate_init=0.05,
                                      batch_size=16, max_iter=200, tol=1e-8),
                   random_state=0)
    np.testing.assert_allclose(res.w, prob.solution(), atol=0.05)
    assert res.loss_curve[-1] < res.loss_curve[0]
    assert {"train_loss", "val_loss", "val_score", "learning_rate", "grad_norm", "seconds",
            "events"} <= set(res.history[0])


def test_l2_penalty_full_batch_gives_ridge_solution():
    prob = quadratic(cond=10)
    cfg = SolverConfig(optimizer=SGD(), learning_rate_init=0.05, batch_size="full",
                       penalty=L2(), alpha=0.3, max_iter=5000, tol=None)
    res = minimize(prob, cfg)
    np.testing.assert_allclose(res.w, prob.solution(l2=0.3), rtol=1e-6)


def test_tol_none_runs_all_epochs_and_tol_stops_early():
    prob = quadratic()
    cfg = dict(optimizer=SGD(), learning_rate_init=0.1, batch_size="full", max_iter=300)
    assert minimize(prob, SolverConfig(tol=None, **cfg)).n_iter == 300
    res = minimize(prob, SolverConfig(tol=1e-3, n_iter_no_change=3, **cfg))
    assert res.converged and res.n_iter < 300


def test_max_iter_warns():
    with pytest.warns(ConvergenceWarning):
        minimize(quadratic(cond=100), SolverConfig(learning_rate_init=1e-4, max_iter=3,
                                                   tol=1e-12))


def test_same_seed_same_result_and_state_continues():
    prob = quadratic()
    cfg = SolverConfig(optimizer=Adam(), batch_size=8, max_iter=5, tol=None)
    a = minimize(prob, cfg, random_state=3)
    b = minimize(prob, cfg, random_state=3)
    np.testing.assert_array_equal(a.w, b.w)
    # two calls of 5 epochs continuing the state equal one call of 10 epochs
    one = minimize(prob, SolverConfig(optimizer=Adam(), batch_size=8, max_iter=10, tol=None,
                                      planned_epochs=10), random_state=3)
    first = minimize(prob, SolverConfig(optimizer=Adam(), batch_size=8, max_iter=5, tol=None,
                                        planned_epochs=10), random_state=3)
    second = minimize(prob, SolverConfig(optimizer=Adam(), batch_size=8, max_iter=5,
                                         tol=None, planned_epochs=10), state=first.state)
    np.testing.assert_array_equal(one.w, second.w)
    assert second.state.t == one.state.t and second.state.epoch == 10


def test_early_stopping_restores_best_weights():
    rng = np.random.RandomState(0)
    A = rng.randn(30, 20)
    b = A @ rng.randn(20) + rng.randn(30)
    train = LeastSquares(A, b)
    val = LeastSquares(rng.randn(200, 20), rng.randn(200))  # unrelated targets: overfit
    seen = []
    res = minimize(train, SolverConfig(optimizer=SGD(), learning_rate_init=0.02,
                                       batch_size="full", max_iter=300, tol=1e-4,
                                       n_iter_no_change=5, early_stopping=True),
                   validation=Validation(val),
                   callbacks=[lambda rec, w: seen.append((rec["val_score"], w.copy()))])
    scores = [s for s, _ in seen]
    best = int(np.argmax(scores))
    assert best < len(scores) - 1  # the validation score got worse at the end
    np.testing.assert_array_equal(res.w, seen[best][1])
    assert res.validation_scores == scores


def test_callback_can_stop():
    res = minimize(quadratic(), SolverConfig(max_iter=100, tol=None),
                   callbacks=[lambda rec, w: rec["epoch"] >= 4])
    assert res.n_iter == 4


def test_divergence_raises_with_epoch_and_remedy():
    prob = quadratic(cond=100)
    with pytest.raises(ValueError, match=r"diverged at epoch \d+.*learning_rate_init"):
        minimize(prob, SolverConfig(learning_rate_init=1e3, batch_size="full", max_iter=50))


def test_divergence_backoff_rolls_back_and_recovers():
    prob = quadratic(cond=10)
    lam = np.linalg.eigvalsh(prob.A.T @ prob.A / prob.n_samples).max()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = minimize(prob, SolverConfig(learning_rate_init=48 / lam, batch_size="full",
                                          max_iter=600, tol=None, divergence="backoff"))
    assert np.all(np.isfinite(res.w))
    events = [e for h in res.history for e in h["events"]]
    assert any("rolled back" in e for e in events)
    assert res.state.lr_scale < 1
    np.testing.assert_allclose(res.w, prob.solution(), rtol=1e-4)


def test_plateau_schedule_lowers_rate_instead_of_stopping():
    prob = quadratic()
    res = minimize(prob, SolverConfig(optimizer=SGD(), schedule=Plateau(factor=0.5),
                                      learning_rate_init=0.5, batch_size=4, max_iter=200,
                                      tol=1e-3, n_iter_no_change=2), random_state=0)
    events = [e for h in res.history for e in h["events"]]
    assert any(e.startswith("plateau") for e in events)
    rates = [h["learning_rate"] for h in res.history]
    assert min(rates) < 0.5


def test_gradient_clipping_bounds_the_step():
    prob = quadratic()
    w0 = np.zeros(prob.layout.size)
    cfg = SolverConfig(optimizer=SGD(), learning_rate_init=1.0, batch_size="full",
                       max_iter=1, tol=None, max_grad_norm=0.01)
    res = minimize(prob, cfg)
    assert np.linalg.norm(res.w - w0) == pytest.approx(0.01)


@pytest.mark.parametrize("name", ["lbfgs", "newton"])
def test_full_batch_iterations_share_the_epoch_record_and_stop_signal(name):
    from skgd.solver import OPTIMIZERS

    prob = quadratic(cond=100)
    seen = []
    cfg = SolverConfig(optimizer=OPTIMIZERS.get(name)(), max_iter=100, tol=1e-12)
    full = minimize(prob, cfg)
    assert full.n_iter > 3
    assert [r["epoch"] for r in full.history] == list(range(1, full.n_iter + 1))
    assert all(r["grad_norm"] >= 0 and r["learning_rate"] is None for r in full.history)

    def stop_at_three(record, w):
        seen.append((record["epoch"], w.copy()))
        return record["epoch"] == 3

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a requested stop: no warning
        res = minimize(prob, cfg, callbacks=[stop_at_three])
    assert [e for e, _ in seen] == [1, 2, 3] and res.n_iter == 3 and not res.converged
    np.testing.assert_array_equal(res.w, seen[-1][1])
