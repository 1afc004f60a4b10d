"""Validation data through meta-estimators: ``X_val``/``y_val`` routed by scikit-learn's
metadata routing through ``Pipeline`` (transformed by the earlier steps with
``transform_input``), ``GridSearchCV`` and ``cross_validate``."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, cross_validate, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skgd.callbacks import EarlyStopping
from skgd.linear_model import LinearRegression, LogisticRegression
from skgd.neural_network import MLPClassifier, MLPRegressor
from skgd.recommender import MatrixFactorization

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def shifted_digits():
    """Digits far from the origin: a model fed untransformed validation rows scores
    them badly, so a routing mistake shows in the recorded validation score."""
    X, y = load_digits(return_X_y=True)
    X = X * 50.0 + 1000.0
    return train_test_split(X, y, test_size=0.25, random_state=0)


@pytest.fixture(autouse=True)
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


@pytest.mark.parametrize("Est", [LinearRegression, LogisticRegression, MLPClassifier,
                                 MLPRegressor, MatrixFactorization])
def test_every_estimator_requests_validation_data(Est):
    est = Est().set_fit_request(X_val=True, y_val=True)
    request = est.get_metadata_routing().fit.requests
    assert request["X_val"] is True and request["y_val"] is True


def _pipe(est, transform=True):
    est = est.set_fit_request(X_val=True, y_val=True)
    return Pipeline([("scale", StandardScaler()), ("model", est)],
                    transform_input=["X_val"] if transform else None)


def test_pipeline_transforms_validation_rows(shifted_digits):
    X, Xv, y, yv = shifted_digits
    pipe = _pipe(LogisticRegression(solver="sgd", max_iter=3, tol=None))
    pipe.fit(X, y, X_val=Xv, y_val=yv)
    # the last epoch's validation score is the fitted pipeline's score on the raw rows
    assert pipe[-1].history_[-1]["val_score"] == pytest.approx(pipe.score(Xv, yv))
    assert pipe.score(Xv, yv) > 0.9

    untransformed = _pipe(LogisticRegression(solver="sgd", max_iter=3, tol=None),
                          transform=False).fit(X, y, X_val=Xv, y_val=yv)
    assert untransformed[-1].history_[-1]["val_score"] < 0.6


def test_early_stopping_callback_in_tuned_pipeline(shifted_digits):
    X, Xv, y, yv = shifted_digits
    est = MLPClassifier((16,), max_iter=60, tol=None, random_state=0)
    est.set_callbacks(EarlyStopping(patience=2))
    search = GridSearchCV(_pipe(est), {"model__learning_rate_init": [1e-3, 1e-2]},
                          cv=2, n_jobs=2)
    search.fit(X, y, X_val=Xv, y_val=yv)
    best = search.best_estimator_[-1]
    scores = [r["val_score"] for r in best.history_]
    # it stopped on the held-out set, not after max_iter, with the best epoch restored
    assert len(scores) < 60
    assert search.best_estimator_.score(Xv, yv) == pytest.approx(max(scores))


def test_cross_validate_routes_validation_data(shifted_digits):
    X, Xv, y, yv = shifted_digits
    pipe = _pipe(LogisticRegression(solver="sgd", max_iter=3, tol=None))
    res = cross_validate(pipe, X, y, cv=2, params={"X_val": Xv, "y_val": yv},
                         return_estimator=True)
    for fitted in res["estimator"]:
        assert fitted[-1].history_[-1]["val_score"] == pytest.approx(fitted.score(Xv, yv))


def test_unrequested_validation_data_is_an_error(shifted_digits):
    X, Xv, y, yv = shifted_digits
    pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())])
    with pytest.raises(Exception, match="X_val"):
        pipe.fit(X, y, X_val=Xv, y_val=yv)


def test_validation_data_reaches_the_recommender():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 30, 600), rng.integers(0, 40, 600)])
    y = rng.uniform(1, 5, 600)
    est = MatrixFactorization(n_components=4, max_iter=3, tol=None, random_state=0)
    est.set_fit_request(X_val=True, y_val=True)
    search = GridSearchCV(est, {"alpha": [0.01, 0.1]}, cv=2, scoring="neg_root_mean_squared_error")
    search.fit(X, y, X_val=X[:50], y_val=y[:50])
    assert np.isfinite(search.best_estimator_.history_[-1]["val_loss"])
    assert np.unique([r["val_loss"] for r in search.best_estimator_.history_]).size == 3
