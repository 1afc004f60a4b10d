"""Polyak–Ruppert averaging (``average``), kept by the solver for every estimator."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

from skgd import (
    LinearRegression,
    LogisticRegression,
    MatrixFactorization,
    MLPClassifier,
    MLPRegressor,
)
from skgd.solver._average import Averager


def test_lazy_average_equals_the_mean_of_the_iterates():
    rng = np.random.RandomState(0)
    w = rng.randn(12)
    avg = Averager(start=3)
    iterates = []
    for k in range(40):
        idx = None if k % 7 == 0 else np.unique(rng.randint(12, size=4)).astype(np.int64)
        avg.before(w, idx)
        if idx is None:
            w += rng.randn(12)
        else:
            w[idx] += rng.randn(idx.size)
        avg.after(w, idx, n_samples=1)
        if k + 1 >= 3:
            iterates.append(w.copy())
    np.testing.assert_allclose(avg.params(w), np.mean(iterates, axis=0), rtol=1e-12)


@pytest.mark.parametrize("average", [True, 50])
def test_averaged_per_sample_sgd_matches_scikit_learn(average):
    X, y = make_classification(300, 5, flip_y=0.2, random_state=0)
    params = dict(learning_rate="constant", max_iter=5, tol=None, shuffle=False,
                  average=average, penalty=None)
    ours = LogisticRegression(solver="sgd", batch_size=1, learning_rate_init=0.05,
                              alpha=0.0, **params).fit(X, y)
    # skgd starts the intercept at the log-odds of the classes
    b0 = np.log(y.mean() / (1 - y.mean()))
    ref = SGDClassifier(loss="log_loss", eta0=0.05, **params).fit(
        X, y, intercept_init=np.array([b0]))
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-9)


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("Est, batch_size, sparse", [
    (LinearRegression, 1, False), (LinearRegression, 1, True), (LinearRegression, 16, True),
    (LinearRegression, "full", False), (LogisticRegression, 16, False),
    (MLPRegressor, 16, False), (MLPClassifier, 16, False)])
def test_average_changes_the_prediction_weights_on_every_path(Est, batch_size, sparse):
    X, y = make_classification(120, 6, random_state=0)
    X = sp.csr_matrix(X) if sparse else X
    params = dict(solver="sgd", learning_rate="constant", learning_rate_init=0.05,
                  batch_size=batch_size, max_iter=5, tol=None, random_state=0)
    if Est in (MLPClassifier, MLPRegressor):
        params["hidden_layer_sizes"] = (5,)
    plain = _fit(Est(**params), X, y)
    avg = _fit(Est(average=True, **params), X, y)
    coef = "coefs_" if hasattr(plain, "coefs_") else "coef_"
    a, b = np.ravel(getattr(plain, coef)[0]), np.ravel(getattr(avg, coef)[0])
    assert a.shape == b.shape and not np.allclose(a, b)
    # the averaged solver state still holds the last iterate, for partial_fit
    assert not np.allclose(avg._solver_state.w[:b.size], b)


def test_averaging_steadies_the_mlp_at_a_noisy_step_size():
    # at a large constant step the last iterate jitters; the average of the tail does not
    X, y = make_regression(600, 10, noise=30.0, random_state=0)
    y = y / y.std()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)

    def scores(average):
        return [_fit(MLPRegressor(
            hidden_layer_sizes=(16,), solver="sgd", learning_rate="constant",
            learning_rate_init=0.2, batch_size=8, max_iter=20, tol=None, average=average,
            random_state=seed), X_tr, y_tr).score(X_te, y_te) for seed in range(5)]

    plain, averaged = scores(False), scores(30 * 8)
    assert np.std(averaged) < np.std(plain)
    assert np.mean(averaged) > np.mean(plain)


def test_averaging_steadies_matrix_factorization():
    rng = np.random.RandomState(0)
    n = 3000
    X = np.column_stack([rng.randint(60, size=n), rng.randint(80, size=n)])
    y = np.clip(3 + rng.randn(n), 1, 5)
    X_tr, X_te, y_tr, y_te = X[:2400], X[2400:], y[:2400], y[2400:]

    def rmse(average, seed):
        est = MatrixFactorization(n_components=8, learning_rate_init=0.05, batch_size=16,
                                  max_iter=15, average=average, random_state=seed)
        return np.sqrt(np.mean((_fit(est, X_tr, y_tr).predict(X_te) - y_te) ** 2))

    plain = [rmse(False, seed) for seed in range(5)]
    averaged = [rmse(2400 * 5, seed) for seed in range(5)]
    assert np.std(averaged) < np.std(plain)
    assert max(averaged) < min(plain)
