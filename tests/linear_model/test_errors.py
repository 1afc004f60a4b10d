"""Bad input gets a clear error and never a NaN model."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skgd import LinearRegression, LogisticRegression
from skgd.utils._compat import InvalidParameterError

X, Y = make_classification(60, 4, random_state=0)
ESTIMATORS = [LinearRegression, LogisticRegression]


@pytest.mark.parametrize("est", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_X(est, bad):
    Xb = X.copy()
    Xb[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        est().fit(Xb, Y)


def test_non_finite_y_regression():
    y = Y.astype(float)
    y[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression().fit(X, y)


@pytest.mark.parametrize("est", ESTIMATORS)
def test_empty_and_mismatched(est):
    with pytest.raises(ValueError, match="0 sample"):
        est().fit(np.empty((0, 4)), np.empty(0))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est().fit(X, Y[:-1])


def test_single_class():
    with pytest.raises(ValueError, match="one class"):
        LogisticRegression().fit(X, np.zeros(len(X)))


@pytest.mark.parametrize("est", ESTIMATORS)
def test_wrong_feature_count_at_predict(est):
    model = est(solver="lbfgs").fit(X, Y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])


@pytest.mark.parametrize("est", ESTIMATORS)
@pytest.mark.parametrize("params", [
    {"solver": "adamx"}, {"learning_rate": "fast"}, {"batch_size": 0}, {"alpha": -1.0},
    {"penalty": "l3"}, {"max_iter": 0}, {"tol": -1.0}, {"max_grad_norm": 0.0},
    {"divergence": "ignore"}, {"learning_rate_init": 0.0},
])
def test_invalid_parameters(est, params):
    with pytest.raises(InvalidParameterError):
        est(**params).fit(X, Y)


def test_invalid_optimizer_hyperparameter():
    from skgd.solver import Adam

    with pytest.raises(ValueError, match="beta_1"):
        LogisticRegression(solver=Adam(beta_1=1.5)).fit(X, Y)


@pytest.mark.parametrize("est", ESTIMATORS)
def test_divergence_names_epoch_and_remedy(est):
    Xu = X * 1e3 + 500  # unscaled
    with pytest.raises(ValueError, match=r"diverged at epoch \d+.*learning_rate_init.*scale"):
        est(solver="sgd", learning_rate="constant", learning_rate_init=1e4).fit(Xu, Y)


def test_backoff_never_leaves_nan():
    Xu = X * 1e3 + 500
    model = LinearRegression(solver="sgd", learning_rate="constant", learning_rate_init=1e4,
                             divergence="backoff", max_iter=60, tol=None).fit(Xu, Y)
    assert np.all(np.isfinite(model.coef_)) and np.all(np.isfinite(model.intercept_))
    assert any("rolled back" in e for h in model.history_ for e in h["events"])


def test_partial_fit_needs_classes_first():
    with pytest.raises(ValueError, match="classes"):
        LogisticRegression().partial_fit(X, Y)


def test_unseen_class_in_partial_fit():
    m = LogisticRegression().partial_fit(X, Y, classes=[0, 1])
    with pytest.raises(ValueError, match="not seen"):
        m.partial_fit(X, np.full(len(Y), 2))


def test_negative_sample_weight():
    with pytest.raises(ValueError, match="(?i)negative"):
        LogisticRegression().fit(X, Y, sample_weight=-np.ones(len(Y)))
