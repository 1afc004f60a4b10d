"""Fits either reach their optimum or say so, and a failed call changes nothing
(the convergence issue's findings, each a test that failed before its fix)."""

import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

from skgd import LinearRegression, LogisticRegression, MatrixFactorization


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    X = (X - X.mean(0)) / X.std(0)
    return X, (y - y.mean()) / y.std()


def _lasso_objective(X, y, coef, intercept, alpha):
    r = y - X @ coef - intercept
    return 0.5 * np.mean(r ** 2) + alpha * np.abs(coef).sum()


def test_full_batch_records_the_objective_of_one_iterate(diabetes):
    # 7b: the data loss before the step plus the penalty after it could lie below the
    # optimum; a record is F(w_k) + alpha R(w_k) of one iterate, never below the optimum
    X, y = diabetes
    ref = Lasso(alpha=0.05, tol=1e-12, max_iter=10**6).fit(X, y)
    opt = _lasso_objective(X, y, ref.coef_, ref.intercept_, 0.05)
    est = LinearRegression(penalty="l1", alpha=0.05, batch_size="full", tol=None,
                           max_iter=400).fit(X, y)
    assert min(est.loss_curve_) >= opt - 1e-12
    assert est.best_loss_ >= opt - 1e-12


def test_early_stopping_stops_whatever_tol_is():
    # 7: early_stopping=True stops after n_iter_no_change epochs without a better
    # validation score; tol=None then means any improvement counts
    rng = np.random.RandomState(0)
    n = 4000
    X = np.column_stack([rng.randint(50, size=n), rng.randint(60, size=n)])
    y = np.clip(3 + rng.randn(n), 1, 5)
    est = MatrixFactorization(n_components=8, early_stopping=True, tol=None,
                              n_iter_no_change=3, max_iter=150, random_state=0).fit(X, y)
    scores = est.validation_scores_
    assert est.n_iter_ < 150
    assert est.n_iter_ - 1 - int(np.argmax(scores)) == 3


def test_tol_none_without_early_stopping_runs_every_epoch():
    X, y = make_classification(200, 5, random_state=0)
    est = LogisticRegression(solver="sgd", batch_size=16, tol=None, max_iter=12).fit(X, y)
    assert est.n_iter_ == 12


def test_lbfgs_honours_early_stopping():
    # 8: L-BFGS held data out but never stopped on it nor restored the best iterate
    X, y = make_classification(400, 60, n_informative=5, flip_y=0.3, random_state=0)
    est = LogisticRegression(solver="lbfgs", alpha=1e-8, early_stopping=True,
                             n_iter_no_change=3, tol=1e-4, max_iter=500,
                             random_state=0).fit(X, y)
    scores = est.validation_scores_
    assert scores is not None and len(scores) == est.n_iter_
    best = int(np.argmax(scores))
    assert est.n_iter_ - 1 - best == 3  # stopped on the validation plateau
    assert all(h["grad_norm"] is not None for h in est.history_)


@pytest.mark.parametrize("Est, X_scale", [(LinearRegression, 1e20), (LogisticRegression, 1e30)])
def test_lbfgs_that_stops_short_warns(Est, X_scale):
    # 11: scipy's line search stops abnormally at the first iterate
    X, y = make_classification(100, 4, random_state=0)
    with pytest.warns(ConvergenceWarning):
        Est(solver="lbfgs").fit(X * X_scale, y)


def test_backoff_that_ends_below_its_floor_warns(diabetes):
    # 9: twenty halvings left a useless model without a word
    X, y = diabetes
    with pytest.warns(ConvergenceWarning, match="backoff"):
        LinearRegression(solver="momentum", batch_size="full", learning_rate="constant",
                         learning_rate_init=1e6, divergence="backoff",
                         max_iter=50).fit(X, y)


def _diverge(est, X, y):
    with pytest.raises(ValueError, match="diverged"):
        est.partial_fit(X * 1e6, y * 1e6)


def test_diverged_partial_fit_leaves_the_estimator_as_it_was(diabetes):
    # 4: the kept solver state held the exploded weights, so later calls raised too
    X, y = diabetes
    est = LinearRegression(solver="sgd", batch_size=32, learning_rate="constant",
                           learning_rate_init=0.05, random_state=0)
    est.partial_fit(X, y)
    before = copy.deepcopy(est.__dict__)
    _diverge(est, X, y)
    assert est.__dict__.keys() == before.keys()
    for k, v in before.items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(getattr(est, k), v)
    np.testing.assert_array_equal(est._solver_state.w, before["_solver_state"].w)
    assert est._solver_state.t == before["_solver_state"].t
    assert len(est.history_) == len(before["history_"])
    est.partial_fit(X, y)  # and training goes on
    assert np.all(np.isfinite(est.coef_))


def test_failed_fit_keeps_the_previous_model(diabetes):
    X, y = diabetes
    est = LinearRegression(random_state=0).fit(X, y)
    coef = est.coef_.copy()
    with pytest.raises(ValueError):
        est.fit(X[:, :3] * 1e300, y * 1e300)
    np.testing.assert_array_equal(est.coef_, coef)
    assert est.n_features_in_ == X.shape[1]
    est.predict(X)


def test_one_class_first_batch_does_not_make_the_next_one_diverge():
    # 5: the divergence reference was the first batch's loss (1e-12 for one class)
    X, y = make_classification(400, 5, random_state=0)
    est = LogisticRegression(solver="sgd", batch_size=16, random_state=0)
    est.partial_fit(X[y == 1][:50], y[y == 1][:50], classes=[0, 1])
    # the absent class's intercept starts at the prior of half a row, not at -27
    assert abs(est.intercept_[0]) < np.log(2 * 50) + 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(3):
            est.partial_fit(X, y)
    assert np.isfinite(est.loss_curve_).all() and len(est.loss_curve_) == 4


def test_loss_above_the_start_warns():
    # 11: the log-loss grows only linearly, below the explosion threshold: the fit
    # "converged" at epoch 7 predicting one class, silently
    X, y = make_classification(300, 5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="above"):
        LogisticRegression(solver="adadelta", learning_rate_init=1e6, batch_size=1,
                           random_state=0).fit(X, y)


@pytest.mark.parametrize("Est", ["LogisticRegression", "MLPClassifier"])
@pytest.mark.parametrize("class_weight, match", [
    ({0: 1.0, 7: 2.0}, "not classes"), ({0: -1.0}, "non-negative"),
    ({1: float("nan")}, "non-negative")])
def test_bad_class_weight_is_refused(Est, class_weight, match):
    # 10/11: a key that is not a class was ignored; NaN and negative weights passed
    import skgd

    X, y = make_classification(60, 4, random_state=0)
    with pytest.raises(ValueError, match=match):
        getattr(skgd, Est)(class_weight=class_weight, max_iter=2).fit(X, y)


@pytest.fixture(scope="module")
def text_id_model():
    rng = np.random.RandomState(0)
    X = np.array([[f"u{u}", f"i{i}"] for u, i in zip(rng.randint(20, size=400),
                                                     rng.randint(30, size=400), strict=True)],
                 dtype=object)
    return MatrixFactorization(n_components=4, max_iter=3, random_state=0).fit(
        X, rng.rand(400) * 4 + 1)


@pytest.mark.parametrize("n", [-1, 0, 2.5, True])
def test_recommend_refuses_a_bad_n(text_id_model, n):
    with pytest.raises(ValueError, match="positive integer"):
        text_id_model.recommend(["u1"], n=n)
    with pytest.raises(ValueError, match="positive integer"):
        text_id_model.similar_items(["i1"], n=n)


def test_recommend_refuses_ids_of_the_wrong_kind(text_id_model):
    # 10: an int id on a model trained with strings was silently a new user
    with pytest.raises(ValueError, match="numbers but the model was trained with text"):
        text_id_model.recommend([3])
    items, _ = text_id_model.recommend(["u3", "nobody"], n=3)  # unknown text ids: new
    assert items.shape == (2, 3)


def test_early_stopping_refuses_a_one_row_validation_set():
    # 10: a 1-sample validation set was accepted and scored 0.0
    X, y = make_classification(15, 4, random_state=0)
    with pytest.raises(ValueError, match="at least 2 validation rows"):
        LinearRegression(early_stopping=True, validation_fraction=0.05).fit(X, y)


def test_backoff_that_trains_no_epoch_warns():
    """Every epoch of the call rolled back: the model is its initial weights, which a
    user must be told (it failed silently before)."""
    X = np.random.RandomState(0).normal(size=(200, 5)) * 1e3
    y = X @ np.ones(5)
    est = LinearRegression(solver="sgd", batch_size=1, learning_rate="constant",
                           learning_rate_init=10.0, max_iter=3, tol=None,
                           divergence="backoff")
    with pytest.warns(ConvergenceWarning, match="no epoch was trained"):
        est.fit(X, y)
