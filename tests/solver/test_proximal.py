"""The centred proximal term (FedProx) on every path the solver can take."""

import warnings

import numpy as np
import pytest

from skgd.base import fit_overrides
from skgd.linear_model import LinearRegression
from skgd.neural_network import MLPRegressor
from skgd.solver import ProximalTerm


def _problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=60)
    return X, y


def _closed_form(X, y, mu, center):
    """Minimiser of (1/2n)||Xw - y||^2 + (mu/2)||w - c||^2."""
    n, d = X.shape
    return np.linalg.solve(X.T @ X / n + mu * np.eye(d), X.T @ y / n + mu * center)


def test_prox_closed_form_and_blocks():
    term = ProximalTerm(mu=2.0, center=np.array([1.0, 1.0, 1.0]), blocks=[[0, 2]])
    w = np.array([3.0, -1.0, 5.0])
    term.apply_prox(w, np.full(3, 0.5))  # (w + 1 * c) / 2 on the first two
    np.testing.assert_allclose(w, [2.0, 0.0, 5.0])
    assert term.value(w) == pytest.approx(1.0 * (1 + 1))
    w2 = np.array([3.0, -1.0, 5.0])
    term.apply_prox(w2, np.full(3, 0.5), touched=np.array([1, 2]))
    np.testing.assert_allclose(w2, [3.0, 0.0, 5.0])


@pytest.mark.parametrize("solver, batch_size, tol", [
    ("lbfgs", 1, 1e-10), ("newton", 1, 1e-10), ("sgd", "full", None),
    ("adam", 10, None), ("sgd", 1, None),
])
def test_every_path_reaches_the_proximal_optimum(solver, batch_size, tol):
    X, y = _problem()
    mu, center = 0.5, np.array([0.0, 0.0, 2.0, 2.0])
    est = LinearRegression(solver=solver, batch_size=batch_size, alpha=0.0,
                           fit_intercept=False, learning_rate_init=0.05, max_iter=300,
                           tol=tol, random_state=0)
    if solver in ("adam",) or batch_size == 1:
        est.set_params(learning_rate="invscaling", learning_rate_init=0.02)
    with warnings.catch_warnings(), fit_overrides(
            proximal=ProximalTerm(mu=mu, center=center)):
        warnings.simplefilter("ignore")
        est.fit(X, y)
    exact = _closed_form(X, y, mu, center)
    atol = 1e-6 if tol else 2e-2
    np.testing.assert_allclose(est.coef_, exact, atol=atol)
    # without the term the optimum is elsewhere
    assert np.abs(exact - np.linalg.lstsq(X, y, rcond=None)[0]).max() > 0.1


def test_recorded_loss_includes_the_term():
    X, y = _problem()
    center = np.full(4, 10.0)
    est = LinearRegression(solver="sgd", batch_size="full", alpha=0.0, fit_intercept=False,
                           max_iter=1, tol=None, learning_rate_init=1e-12)
    with warnings.catch_warnings(), fit_overrides(
            proximal=ProximalTerm(mu=1.0, center=center)):
        warnings.simplefilter("ignore")  # the initial loss it compares with has no term
        est.fit(X, y)
    plain = 0.5 * np.mean(y ** 2)
    assert est.loss_curve_[0] == pytest.approx(plain + 0.5 * 4 * 100.0, rel=1e-6)


def test_wrong_centre_is_refused_and_mlp_float32_works():
    X, y = _problem()
    with pytest.raises(ValueError, match="center must be a vector of the 5"):
        with fit_overrides(proximal=ProximalTerm(mu=1.0, center=np.zeros(3))):
            LinearRegression(solver="sgd").fit(X, y)
    mlp = MLPRegressor(hidden_layer_sizes=(3,), batch_size=16, max_iter=2, tol=None)
    with fit_overrides(epochs=0):
        mlp.fit(X.astype(np.float32), y.astype(np.float32))
    w0 = mlp._solver_state.w.copy()
    mlp.set_params(warm_start=True, max_iter=50, learning_rate_init=0.05)
    with warnings.catch_warnings(), fit_overrides(
            proximal=ProximalTerm(mu=1e4, center=w0)):
        warnings.simplefilter("ignore")
        mlp.fit(X.astype(np.float32), y.astype(np.float32))
    assert mlp.coefs_[0].dtype == np.float32
    np.testing.assert_allclose(mlp._solver_state.w, w0, atol=1e-2)
