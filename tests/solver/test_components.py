"""User components written in plain Python (``examples/plot_custom_components.py``), on every
path of every estimator."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import nnls
from sklearn.datasets import load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skgd import (
    LinearRegression,
    LogisticRegression,
    MatrixFactorization,
    MLPClassifier,
    MLPRegressor,
)
from skgd.solver import OPTIMIZERS, SCHEDULES, ScheduleContext
from skgd.utils._compat import InvalidParameterError

from ..conftest import custom_components as cc


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


def _quiet(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_names_registered_after_import_are_valid():
    assert "lion" in OPTIMIZERS and "linear_warmup" in SCHEDULES
    with pytest.raises(InvalidParameterError):
        LinearRegression(solver="no_such_optimizer").fit(np.ones((4, 2)), np.ones(4))


LINEAR_PATHS = [(1, False), (1, True), (16, False), (16, True), ("full", False)]


def _linear_data(sparse):
    X, y = make_classification(200, 8, random_state=0)
    return (sp.csr_matrix(X) if sparse else X), y


@pytest.mark.parametrize("batch_size, sparse", LINEAR_PATHS)
@pytest.mark.parametrize("Est", [LinearRegression, LogisticRegression])
def test_lion_and_warmup_on_linear_paths(Est, batch_size, sparse):
    X, y = _linear_data(sparse)
    est = Est(solver="lion", learning_rate="linear_warmup", learning_rate_init=0.01,
              batch_size=batch_size, max_iter=20, tol=None, random_state=0)
    _quiet(est, X, y)
    assert est.score(X, y) > 0.3
    assert est.history_[0]["learning_rate"] < est.history_[-1]["learning_rate"]


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_lion_and_warmup_on_mlps(Est):
    X, y = make_classification(200, 8, random_state=0)
    est = Est(hidden_layer_sizes=(8,), solver="lion", learning_rate="linear_warmup",
              learning_rate_init=0.01, max_iter=15, tol=None, random_state=0)
    _quiet(est, X, y)
    assert est.loss_curve_[-1] < 0.8 * est.loss_curve_[0]


@pytest.mark.parametrize("batch_size", [1, 32])
def test_lion_and_warmup_on_matrix_factorization(batch_size):
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(20, size=300), rng.randint(30, size=300)])
    y = rng.randint(1, 6, size=300).astype(float)
    est = MatrixFactorization(n_components=4, solver="lion", learning_rate="linear_warmup",
                              learning_rate_init=0.01, batch_size=batch_size, max_iter=10,
                              random_state=0)
    _quiet(est, X, y)
    assert np.all(np.isfinite(est.user_factors_))
    assert est.loss_curve_[-1] < est.loss_curve_[0]


def test_lion_first_full_batch_step_moves_each_coordinate_by_the_rate():
    X, y = make_classification(100, 6, random_state=1)
    lr = 0.05
    est = LinearRegression(solver="lion", learning_rate="constant", learning_rate_init=lr,
                           batch_size="full", max_iter=1, tol=None, penalty=None,
                           fit_intercept=False).fit(X, y)
    np.testing.assert_array_equal(np.abs(est.coef_), np.full(6, lr))


@pytest.mark.parametrize("quantile", [0.2, 0.9])
@pytest.mark.parametrize("batch_size, solver, lr, sparse", [
    (1, "sgd", 0.05, False), (1, "sgd", 0.05, True), (32, "adam", 0.05, False),
    ("full", "sgd", 0.5, False)])
def test_pinball_predicts_the_quantile(diabetes, quantile, batch_size, solver, lr, sparse):
    X, y = diabetes
    est = LinearRegression(loss=cc.Pinball(quantile), solver=solver, batch_size=batch_size,
                           learning_rate_init=lr, max_iter=300, tol=None, alpha=0.0,
                           random_state=0)
    est.fit(sp.csr_matrix(X) if sparse else X, y)
    assert abs(np.mean(y < est.predict(X)) - quantile) <= 0.03


def test_pinball_is_refused_by_second_order_solvers(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="smooth"):
        LinearRegression(loss=cc.Pinball(0.5), solver="lbfgs", batch_size="full").fit(X, y)


def test_nonnegative_full_batch_equals_nnls(diabetes):
    X, y = diabetes
    est = LinearRegression(penalty=cc.NonNegative(), solver="sgd", learning_rate="constant",
                           learning_rate_init=0.5, batch_size="full", fit_intercept=False,
                           max_iter=3000, tol=None).fit(X, y)
    expected = nnls(X, y)[0]
    assert np.sum(expected == 0) > 0  # the constraint is active
    np.testing.assert_allclose(est.coef_, expected, atol=1e-3)


@pytest.mark.parametrize("batch_size, sparse", LINEAR_PATHS)
@pytest.mark.parametrize("Est", [LinearRegression, LogisticRegression])
def test_nonnegative_on_every_linear_path(Est, batch_size, sparse):
    X, y = _linear_data(sparse)
    est = Est(penalty="nonnegative", solver="adam", learning_rate_init=0.05,
              batch_size=batch_size, max_iter=20, tol=None, random_state=0)
    _quiet(est, X, y)
    assert np.all(est.coef_ >= 0) and np.any(est.coef_ > 0)


def test_nonnegative_is_refused_by_lbfgs(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="smooth"):
        LinearRegression(penalty=cc.NonNegative(), solver="lbfgs",
                         batch_size="full").fit(X, y)


def test_linear_warmup_rates():
    ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=20)
    rates = cc.LinearWarmup(warmup_epochs=2).rates(np.arange(40.0), ctx)
    np.testing.assert_allclose(rates[:20], 0.1 * np.arange(1, 21) / 20)
    np.testing.assert_allclose(rates[20:], 0.1)


def test_hyperparameters_are_validated():
    X, y = make_classification(50, 4, random_state=0)
    with pytest.raises(InvalidParameterError, match="beta_1"):
        LogisticRegression(solver=cc.Lion(beta_1=1.5), batch_size=8).fit(X, y)


def test_missing_capability_is_named():
    X = np.array([[0, 0], [1, 1], [0, 1], [1, 0]])
    y = np.array([5.0, 3.0, 4.0, 1.0])
    with pytest.raises(ValueError, match="plain_step"):
        MatrixFactorization(svdpp=True, solver="lion", batch_size=1).fit(X, y)


def test_user_update_is_compiled_once_into_the_cache():
    from skgd.solver._compile import cache_dir

    cc.Lion().rule(np.float64)
    assert any(p.name.startswith("skgd_generated_rule_Lion_") for p in cache_dir().iterdir())
