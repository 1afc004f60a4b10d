"""Bad input, transactional fits, classes, sample weights, float32, the basics."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skgd.federated import FederatedAveraging
from skgd.linear_model import LinearRegression, LogisticRegression
from skgd.neural_network import MLPClassifier, MLPRegressor

from ._data import digits_split


def _data():
    Xtr, _, ytr, _, groups = digits_split()
    return Xtr[:400], ytr[:400], groups[:400]


def _logreg(**kw):
    return LogisticRegression(solver="sgd", batch_size=16, alpha=1e-4, **kw)


def test_clone_and_get_params():
    fed = FederatedAveraging(_logreg(), n_rounds=3, proximal_mu=0.1, random_state=0)
    params = fed.get_params()
    assert params["n_rounds"] == 3 and params["estimator__batch_size"] == 16
    twin = clone(fed)
    assert twin.get_params()["proximal_mu"] == 0.1 and twin.estimator is not fed.estimator
    with pytest.raises(NotFittedError):
        fed.predict(np.zeros((1, 64)))


@pytest.mark.parametrize("params", [{"n_rounds": 0}, {"local_epochs": 0},
                                    {"client_fraction": 0.0}, {"client_fraction": 1.5},
                                    {"proximal_mu": -1.0}, {"aggregate": "median"}])
def test_invalid_parameters(params):
    X, y, g = _data()
    with pytest.raises(InvalidParameterError):
        FederatedAveraging(_logreg(), **params).fit(X, y, groups=g)


@pytest.mark.parametrize("groups, match", [
    (None, "needs groups"), (np.zeros(399), "399 entries but X has 400 rows"),
    (np.r_[np.nan, np.zeros(399)], "NaN"),
])
def test_bad_groups(groups, match):
    X, y, _ = _data()
    with pytest.raises(ValueError, match=match):
        FederatedAveraging(_logreg(), n_rounds=1).fit(X, y, groups=groups)


@pytest.mark.parametrize("est, match", [
    (LogisticRegression(), "solver='lbfgs'"),
    (LinearRegression(solver="newton"), "solver='newton'"),
    (MLPClassifier(solver="lbfgs"), "first-order"),
    (_logreg(average=True), "average"),
])
def test_refused_estimators(est, match):
    X, y, g = _data()
    with pytest.raises(ValueError, match=match):
        FederatedAveraging(est, n_rounds=1).fit(X, y, groups=g)


def test_non_skgd_estimator_is_refused():
    from sklearn.linear_model import SGDClassifier

    X, y, g = _data()
    with pytest.raises(ValueError, match="federates skgd estimators"):
        FederatedAveraging(SGDClassifier(), n_rounds=1).fit(X, y, groups=g)


def test_single_class_clients_train_the_global_classes():
    X, y, _ = _data()
    fed = FederatedAveraging(_logreg(learning_rate_init=0.1), n_rounds=10, random_state=0)
    fed.fit(X, y, groups=y)  # one class per client
    assert fed.n_clients_ == 10
    np.testing.assert_array_equal(fed.classes_, np.arange(10))
    proba = fed.predict_proba(X)
    assert proba.shape == (400, 10) and np.allclose(proba.sum(1), 1)
    assert fed.score(X, y) > 0.6  # measured 0.71 (chance: 0.1)


def test_failed_fit_leaves_the_estimator_as_it_was():
    X, y, g = _data()
    fed = FederatedAveraging(LinearRegression(solver="sgd", batch_size=4,
                                              learning_rate_init=0.01),
                             n_rounds=2, random_state=0).fit(X, y.astype(float), groups=g)
    before = dict(vars(fed))
    coef = fed.estimator_.coef_.copy()
    fed.set_params(estimator__learning_rate_init=1e6)
    with pytest.raises(ValueError, match="diverged"):
        fed.fit(X, y.astype(float) * 1e3, groups=g)
    assert vars(fed).keys() == before.keys()
    assert all(vars(fed)[k] is v for k, v in before.items() if k != "estimator")
    np.testing.assert_array_equal(fed.estimator_.coef_, coef)


def test_sample_weight_equals_repeated_rows_with_full_batches():
    """Full-batch local steps: integer weights equal repeated rows, in the local fits
    and in the weighted average (client weight = sum of its sample weights)."""
    X, y, g = _data()
    sw = np.arange(400) % 3
    est = LogisticRegression(solver="sgd", batch_size="full", alpha=1e-3,
                             learning_rate_init=0.5)
    fed_w = FederatedAveraging(est, n_rounds=4, random_state=0)
    fed_w.fit(X, y, groups=g, sample_weight=sw)
    rep = np.repeat(np.arange(400), sw)
    fed_r = FederatedAveraging(est, n_rounds=4, random_state=0).fit(X[rep], y[rep],
                                                                    groups=g[rep])
    np.testing.assert_allclose(fed_w.estimator_.coef_, fed_r.estimator_.coef_,
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose([h["train_loss"] for h in fed_w.history_],
                               [h["train_loss"] for h in fed_r.history_], rtol=1e-9)


@pytest.mark.parametrize("est", [
    _logreg(), LogisticRegression(solver="sgd", batch_size=1, alpha="auto"),
    MLPClassifier((8,), batch_size=32), MLPRegressor(hidden_layer_sizes=(8,), batch_size=32),
    LinearRegression(solver="adam", batch_size=8, learning_rate_init=0.01),
])
@pytest.mark.parametrize("mu", [0.0, 0.1])
def test_float32_gives_float32_models(est, mu):
    X, y, g = _data()
    if not hasattr(est, "predict_proba"):
        y = y.astype(np.float32)
    fed = FederatedAveraging(est, n_rounds=2, proximal_mu=mu, random_state=0)
    fed.fit(X.astype(np.float32), y, groups=g)
    params = getattr(fed.estimator_, "coefs_", None) or [fed.estimator_.coef_]
    assert all(p.dtype == np.float32 for p in params)
    assert all(np.all(np.isfinite(p)) for p in params)
    assert np.isfinite(fed.history_[-1]["train_loss"])


def test_uniform_and_weighted_aggregation_differ_for_unequal_clients():
    X, y, _ = _data()
    g = (np.arange(400) < 300).astype(int)  # 300 rows and 100 rows
    est = LogisticRegression(solver="sgd", batch_size="full", learning_rate_init=0.5)
    a = FederatedAveraging(est, n_rounds=1, random_state=0).fit(X, y, groups=g)
    b = FederatedAveraging(est, n_rounds=1, aggregate="uniform", random_state=0)
    b.fit(X, y, groups=g)
    assert not np.allclose(a.estimator_.coef_, b.estimator_.coef_)
    # weighted with one full-batch step each: the centralised full-batch step
    c = clone(est).set_params(max_iter=1, tol=None,
                              random_state=a.estimator_.random_state).fit(X, y)
    np.testing.assert_allclose(a.estimator_.coef_, c.coef_, rtol=1e-10, atol=1e-12)
