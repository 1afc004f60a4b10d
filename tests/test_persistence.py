"""skops and pickle round trips: same predictions, training continues identically, and
skops trusts everything but the estimator's own class."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skgd import (
    LinearRegression,
    LogisticRegression,
    MatrixFactorization,
    MLPClassifier,
    MLPRegressor,
)
from skgd.utils._persist import from_plain

sio = pytest.importorskip("skops.io")


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:400] / 16.0, y[:400]


def _ratings():
    rng = np.random.RandomState(0)
    users = np.array([f"u{i}" for i in rng.randint(0, 40, 2000)], dtype=object)
    X = np.c_[users, rng.randint(0, 30, 2000)]
    return X, rng.uniform(1, 5, 2000)


CASES = {
    "logistic per-sample averaged": (lambda: LogisticRegression(
        solver="sgd", batch_size=1, max_iter=2, tol=None, average=True, random_state=0),
        _digits),
    "linear adam": (lambda: LinearRegression(solver="adam", batch_size=16, max_iter=3,
                                             tol=None, random_state=0), _digits),
    "mlp classifier batch norm": (lambda: MLPClassifier(
        hidden_layer_sizes=(8,), batch_norm=True, max_iter=2, tol=None, random_state=0),
        _digits),
    "mlp regressor early stopping": (lambda: MLPRegressor(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, random_state=0),
        _digits),
    "mf string user ids": (lambda: MatrixFactorization(n_components=4, max_iter=2,
                                                       random_state=0), _ratings),
}


def _outputs(est, X):
    out = [est.predict(X)]
    if hasattr(est, "predict_proba"):
        out.append(est.predict_proba(X))
    return out


def _params(est):
    return np.concatenate([np.ravel(a) for a in (
        [est.coef_] if hasattr(est, "coef_") else
        est.coefs_ if hasattr(est, "coefs_") else [est.user_factors_, est.item_factors_])])


@pytest.fixture(params=sorted(CASES))
def fitted(request):
    make, data = CASES[request.param]
    X, y = data()
    if request.param.startswith("mlp regressor") or request.param.startswith("linear"):
        y = y.astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make().fit(X, y), X, y


def _continue(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(est, MatrixFactorization):
            return est.partial_fit(X, y)
        return est.partial_fit(X, y)


def test_skops_trusts_all_but_the_estimator(fitted):
    est, X, y = fitted
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted == [f"{type(est).__module__}.{type(est).__name__}"]
    loaded = sio.loads(data, trusted=untrusted)
    for a, b in zip(_outputs(est, X), _outputs(loaded, X), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_params(_continue(loaded, X, y)),
                                  _params(_continue(est, X, y)))


def test_pickle_round_trip_continues(fitted):
    est, X, y = fitted
    loaded = pickle.loads(pickle.dumps(est))
    for a, b in zip(_outputs(est, X), _outputs(loaded, X), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_params(_continue(loaded, X, y)),
                                  _params(_continue(est, X, y)))
    def drop_time(h):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in h]

    assert drop_time(loaded.history_) == drop_time(est.history_)


def test_unknown_state_type_is_refused():
    with pytest.raises(ValueError, match="Unknown skgd state type"):
        from_plain({"__skgd_type__": "os.system", "attributes": {}})
