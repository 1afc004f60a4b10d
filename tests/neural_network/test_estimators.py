"""MLPClassifier / MLPRegressor behaviour: accuracy, state, pickling, errors."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd.neural_network import MLPClassifier, MLPRegressor
from skgd.solver import OPTIMIZERS, SCHEDULES
from skgd.utils._compat import InvalidParameterError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


@pytest.fixture(scope="module")
def small():
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=3,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


def test_digits_accuracy_with_defaults(digits):
    Xtr, Xte, ytr, yte = digits
    clf = MLPClassifier(random_state=0).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.97


@pytest.mark.parametrize("params", [{"dropout": 0.2}, {"batch_norm": True},
                                    {"solver": "lbfgs"}])
def test_digits_accuracy_variants(digits, params):
    Xtr, Xte, ytr, yte = digits
    clf = MLPClassifier(random_state=0, max_iter=60, **params).fit(Xtr, ytr)
    assert clf.score(Xte, yte) >= 0.95


@pytest.mark.parametrize("solver", [s for s in OPTIMIZERS.names() if s != "newton"])
def test_every_optimizer_learns(small, solver):
    X, y = small
    lr = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05,
          "adadelta": 1.0}.get(solver, 0.01)
    # a full-batch proximal-gradient method (FISTA) refuses mini-batches
    batch = "full" if "prox_gradient" in OPTIMIZERS.get(solver).capabilities else "auto"
    clf = MLPClassifier((16,), solver=solver, learning_rate_init=lr, max_iter=40,
                        batch_size=batch, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.8


@pytest.mark.parametrize("schedule", [*SCHEDULES.names(), "adaptive"])
def test_every_schedule_runs(small, schedule):
    X, y = small
    clf = MLPClassifier((16,), solver="sgd", learning_rate=schedule, learning_rate_init=0.1,
                        alpha=1e-3, max_iter=15, random_state=0, max_grad_norm=1.0).fit(X, y)
    assert clf.score(X, y) > 0.6
    assert np.all(np.isfinite(clf.coefs_[0]))


def test_newton_is_refused(small):
    with pytest.raises(ValueError, match="lbfgs"):
        MLPClassifier(solver="newton").fit(*small)


def test_binary_multiclass_multilabel_outputs(small):
    X, y = small
    yb = (y == 1).astype(int)
    clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, np.where(yb, "a", "b"))
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 2) and clf.coefs_[-1].shape == (8, 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {"a", "b"}
    clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (300, 3) and clf.out_activation_ == "softmax"
    Y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    clf = MLPClassifier((16,), max_iter=200, random_state=0).fit(X, Y)
    P = clf.predict_proba(X)
    assert P.shape == (300, 3) and np.all((P > 0) & (P < 1))
    assert clf.predict(X).shape == (300, 3) and clf.score(X, Y) > 0.7


def test_regression_single_and_multi_output():
    X, y = make_regression(n_samples=300, n_features=6, n_targets=2, noise=1.0,
                           random_state=0)
    X = StandardScaler().fit_transform(X)
    Y = y / y.std(axis=0)
    reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=200,
                       random_state=0)
    assert reg.fit(X, Y).score(X, Y) > 0.95 and reg.predict(X).shape == (300, 2)
    assert reg.fit(X, Y[:, 0]).score(X, Y[:, 0]) > 0.95 and reg.predict(X).shape == (300,)


def test_float32_is_kept(small):
    X, y = small
    clf = MLPClassifier((8,), max_iter=5, random_state=0, batch_norm=True)
    clf.fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.batch_norm_[0]["running_var"].dtype == np.float32
    assert clf.predict_proba(X.astype(np.float32)).dtype == np.float32
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    reg.fit(X.astype(np.float32), y * 1.0)
    assert reg.predict(X.astype(np.float32)).dtype == np.float32


def test_sparse_input_matches_dense(small):
    X, y = small
    X = np.where(np.abs(X) < 0.7, 0.0, X)
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, batch_size=50)
    dense = MLPClassifier(**kw).fit(X, y)
    sparse = MLPClassifier(**kw).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)),
                               dense.predict_proba(X), rtol=1e-7, atol=1e-9)


def test_sparse_repeated_columns_are_summed_and_input_untouched(small):
    """CSR rows that store a column twice (valid scipy input) mean the sum; the first
    layer's kernels assume each column once per row. More than 32 rows of a batch share
    the split column, the size of the kernels' per-column slots."""
    X, y = small
    X = np.where(np.abs(X) < 0.7, 0.0, X)
    X[:, 0] = 1.0
    Xs = sp.csr_matrix(X)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(Xs.indptr) + 1)
    cols, vals = [], []
    for r in range(X.shape[0]):
        a, b = Xs.indptr[r], Xs.indptr[r + 1]
        cols += [0, *Xs.indices[a:b]]
        vals += [0.5, 0.5 * Xs.data[a], *Xs.data[a + 1:b]]  # column 0 split in two
    Xd = sp.csr_matrix((vals, cols, np.searchsorted(rows, np.arange(X.shape[0] + 1))),
                       shape=X.shape)
    assert not Xd.has_canonical_format
    before = (Xd.indices.copy(), Xd.data.copy())
    kw = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0, batch_size=100)
    ref = MLPClassifier(**kw).fit(Xs, y)
    dup = MLPClassifier(**kw).fit(Xd, y)
    np.testing.assert_allclose(dup.coefs_[0], ref.coefs_[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(Xd.indices, before[0])
    np.testing.assert_array_equal(Xd.data, before[1])


def test_partial_fit_equals_fit_and_keeps_optimizer_state(small):
    X, y = small
    kw = dict(hidden_layer_sizes=(8,), random_state=0, tol=None, batch_size=64)
    full = MLPClassifier(max_iter=3, **kw).fit(X, y)
    inc = MLPClassifier(max_iter=3, **kw)
    for _ in range(3):
        inc.partial_fit(X, y, classes=np.unique(y))
    assert inc.n_iter_ == 3 and inc.t_ == full.t_
    for a, b in zip(inc.coefs_, full.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_warm_start_continues_optimizer_state(small):
    X, y = small
    kw = dict(hidden_layer_sizes=(8,), random_state=0, tol=None, batch_size=64,
              batch_norm=True)
    straight = MLPClassifier(max_iter=5, **kw).fit(X, y)
    warm = MLPClassifier(max_iter=2, warm_start=True, **kw).fit(X, y)
    warm.set_params(max_iter=3).fit(X, y)
    assert warm.n_iter_ == 5 and warm.t_ == straight.t_
    np.testing.assert_allclose(warm.coefs_[0], straight.coefs_[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(warm.batch_norm_[0]["running_mean"],
                               straight.batch_norm_[0]["running_mean"], rtol=1e-12)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_early_stopping_restores_best_weights(small, batch_norm):
    X, y = small
    Xtr, Xva, ytr, yva = train_test_split(X, y, test_size=0.3, random_state=1)
    clf = MLPClassifier((32,), learning_rate_init=0.05, early_stopping=True,
                        n_iter_no_change=5, max_iter=100, random_state=0,
                        batch_norm=batch_norm, dropout=0.1)
    clf.fit(Xtr, ytr, X_val=Xva, y_val=yva)
    assert len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.score(Xva, yva) == pytest.approx(clf.best_validation_score_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    h = clf.history_[-1]
    assert {"train_loss", "val_loss", "val_score", "learning_rate", "grad_norm",
            "seconds", "events"} <= set(h)


def test_early_stopping_with_validation_fraction(small):
    X, y = small
    reg = MLPRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=30, random_state=0)
    reg.fit(X, y * 1.0)
    assert reg.validation_scores_ is not None and reg.best_validation_score_ is not None


def test_lbfgs_ignores_dropout(small):
    X, y = small
    a = MLPClassifier((8,), solver="lbfgs", max_iter=20, random_state=0).fit(X, y)
    b = MLPClassifier((8,), solver="lbfgs", max_iter=20, random_state=0,
                      dropout=0.5).fit(X, y)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0])


def test_class_weight_equals_sample_weight(small):
    X, y = small
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    a = MLPClassifier(class_weight={0: 3.0}, **kw).fit(X, y)
    b = MLPClassifier(**kw).fit(X, y, sample_weight=np.where(y == 0, 3.0, 1.0))
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-10)
    bal = MLPClassifier(class_weight="balanced", **kw).fit(X[:200], y[:200])
    assert bal.n_iter_ == 5


def test_max_grad_norm_clips(small):
    X, y = small
    clf = MLPClassifier((8,), max_grad_norm=1e-3, solver="sgd", learning_rate_init=0.1,
                        max_iter=3, random_state=0, tol=None).fit(X, y)
    ref = MLPClassifier((8,), solver="sgd", learning_rate_init=0.1, max_iter=3,
                        random_state=0, tol=None).fit(X, y)
    moved = np.abs(clf.coefs_[0] - ref.coefs_[0]).max()
    assert moved > 0  # clipping changed the trajectory
    assert all(h["grad_norm"] > 1e-3 for h in clf.history_)


def test_pickle_round_trip(small):
    X, y = small
    clf = MLPClassifier((8, 4), batch_norm=True, dropout=0.1, max_iter=5,
                        random_state=0).fit(X, y)
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))
    clone.partial_fit(X, y)  # the solver state survives pickling too
    assert clone.n_iter_ == 6


def test_pipeline_grid_search_parallel(small):
    X, y = small
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=20, random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(8,), (16, 8)],
                               "mlpclassifier__solver": ["adam", "lbfgs"],
                               "mlpclassifier__dropout": [0.0, 0.2]}, cv=2, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert grid.best_score_ > 0.7
    assert len(grid.cv_results_["params"]) == 8


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_bad_input_errors(cls, small):
    X, y = small
    est = cls(hidden_layer_sizes=(4,), max_iter=2)
    Xnan = X.copy()
    Xnan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        est.fit(Xnan, y)
    Xinf = X.copy()
    Xinf[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        est.fit(Xinf, y)
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(X[:0], y[:0])
    est.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :3])


def test_single_class_error(small):
    X, _ = small
    with pytest.raises(ValueError, match="one class"):
        MLPClassifier().fit(X, np.zeros(len(X)))


@pytest.mark.parametrize("params", [{"activation": "swish"}, {"dropout": 1.5},
                                    {"hidden_layer_sizes": 0}, {"solver": "adamx"},
                                    {"learning_rate": "fast"}, {"alpha": -1.0},
                                    {"batch_size": 0}, {"init": "zeros"}])
def test_invalid_params(small, params):
    with pytest.raises(InvalidParameterError):
        MLPClassifier(**params).fit(*small)


def test_dropout_length_checked(small):
    with pytest.raises(ValueError, match="per hidden layer"):
        MLPClassifier((4, 4), dropout=[0.1, 0.2, 0.3]).fit(*small)


def test_divergence_is_reported_with_epoch_and_remedy():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 3) * 1e3
    y = X @ np.ones(3) * 1e3
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=10.0,
                       random_state=0)
    with pytest.raises(ValueError, match=r"epoch \d+.*learning_rate_init"):
        reg.fit(X, y)
    assert not hasattr(reg, "coefs_")
