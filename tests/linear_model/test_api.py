"""Behaviour of the linear estimators: input kinds, continuation, determinism, pickling."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skgd import LinearRegression, LogisticRegression
from skgd.solver import Adam


@pytest.fixture(scope="module")
def clf_data():
    X, y = make_classification(300, 12, n_informative=6, n_classes=3, random_state=0)
    X[np.abs(X) < 0.5] = 0  # some zeros, so CSR rows differ in length
    return X, y


@pytest.fixture(scope="module")
def reg_data():
    X, y = make_regression(300, 12, noise=1.0, random_state=0)
    X[np.abs(X) < 0.5] = 0
    return X / X.std(0), y / y.std()


CONFIGS = [
    dict(solver="sgd", batch_size=1, learning_rate="constant", learning_rate_init=0.01),
    dict(solver="adam", batch_size=1, penalty="l1", alpha=1e-3, learning_rate="constant",
         learning_rate_init=0.01),
    dict(solver="momentum", batch_size=1, penalty="elasticnet", alpha=1e-3,
         learning_rate="constant", learning_rate_init=0.01),
    dict(solver="rmsprop", batch_size=16, learning_rate="cosine", learning_rate_init=0.01),
    dict(solver="adagrad", batch_size="full", learning_rate="constant", learning_rate_init=0.1),
    dict(solver="lbfgs"),
]


def _quiet_fit(model, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kw)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_dense_and_csr_give_the_same_model(cfg, clf_data):
    X, y = clf_data
    a = _quiet_fit(LogisticRegression(max_iter=5, random_state=0, **cfg), X, y)
    b = _quiet_fit(LogisticRegression(max_iter=5, random_state=0, **cfg), sp.csr_matrix(X), y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("cfg", CONFIGS[:5])
@pytest.mark.parametrize("est", [LinearRegression, LogisticRegression])
def test_partial_fit_k_times_equals_fit_k_epochs(cfg, est, clf_data, reg_data):
    X, y = clf_data if est is LogisticRegression else reg_data
    kw = dict(shuffle=False, tol=None, max_iter=3, random_state=0, **cfg)
    full = est(**kw).fit(X, y)
    inc = est(**kw)
    extra = {"classes": np.unique(y)} if est is LogisticRegression else {}
    for _ in range(3):
        inc.partial_fit(X, y, **extra)
    np.testing.assert_allclose(inc.coef_, full.coef_, rtol=1e-12, atol=1e-14)
    assert inc.t_ == full.t_ and inc.n_iter_ == 3


def test_warm_start_keeps_optimizer_state(reg_data):
    X, y = reg_data
    kw = dict(solver=Adam(), batch_size=8, tol=None, shuffle=False, random_state=0)
    five = LinearRegression(max_iter=5, **kw).fit(X, y)
    warm = LinearRegression(max_iter=2, warm_start=True, **kw).fit(X, y)
    warm.set_params(max_iter=3).fit(X, y)
    np.testing.assert_allclose(warm.coef_, five.coef_, rtol=1e-12)
    assert warm.t_ == five.t_


@pytest.mark.parametrize("cfg", CONFIGS)
def test_same_random_state_bit_identical(cfg, clf_data):
    X, y = clf_data
    a = _quiet_fit(LogisticRegression(max_iter=4, random_state=7, **cfg), X, y)
    b = _quiet_fit(LogisticRegression(max_iter=4, random_state=7, **cfg), X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)


@pytest.mark.parametrize("est", [LinearRegression, LogisticRegression])
def test_pickle_round_trip(est, clf_data):
    X, y = clf_data
    model = _quiet_fit(est(max_iter=5, random_state=0), X, y)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))
    clone.partial_fit(X, y)  # the solver state survives pickling


@pytest.mark.parametrize("cfg", CONFIGS)
def test_float32_kept(cfg, clf_data):
    X, y = clf_data
    model = _quiet_fit(LogisticRegression(max_iter=3, random_state=0, **cfg),
                       X.astype(np.float32), y)
    assert model.coef_.dtype == np.float32 and model.intercept_.dtype == np.float32
    ref = _quiet_fit(LogisticRegression(max_iter=3, random_state=0, **cfg), X, y)
    # Adagrad's first step is sign(g) * lr: float32 rounding of tiny gradient entries
    # flips a few of them, hence the loose tolerance
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-2, atol=2e-2)


def test_class_weight_balanced_equals_sample_weight(clf_data):
    X, y = clf_data
    keep = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y != 0)[:80]]
    X, y = X[keep], y[keep]
    counts = np.bincount(y)
    sw = (len(y) / (3 * counts))[y]
    kw = dict(solver="lbfgs", tol=1e-10)
    a = LogisticRegression(class_weight="balanced", **kw).fit(X, y)
    b = LogisticRegression(**kw).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)


def test_probabilities(clf_data):
    X, y = clf_data
    model = LogisticRegression(solver="lbfgs").fit(X, y)
    p = model.predict_proba(X)
    np.testing.assert_allclose(p.sum(1), 1.0)
    np.testing.assert_array_equal(model.classes_[p.argmax(1)], model.predict(X))
    binary = LogisticRegression(solver="lbfgs").fit(X, y == 1)
    assert binary.predict_proba(X).shape == (len(y), 2)
    assert binary.coef_.shape == (1, X.shape[1])


def test_string_labels(clf_data):
    X, y = clf_data
    labels = np.array(["cat", "dog", "eel"])[y]
    model = LogisticRegression(solver="lbfgs").fit(X, labels)
    assert set(model.predict(X)) <= set(labels)


def test_validation_set_and_early_stopping(clf_data):
    X, y = clf_data
    m = LogisticRegression(solver="adam", batch_size=16, learning_rate="constant",
                           early_stopping=True, n_iter_no_change=3, max_iter=200,
                           random_state=0).fit(X[:200], y[:200], X_val=X[200:], y_val=y[200:])
    scores = m.validation_scores_
    assert len(scores) == m.n_iter_
    assert m.score(X[200:], y[200:]) == pytest.approx(max(scores))
    h = m.history_[0]
    assert h["val_loss"] is not None and h["learning_rate"] == 0.01
    auto = LogisticRegression(early_stopping=True, random_state=0).fit(X, y)
    assert auto.validation_scores_ is not None


def test_multi_output_regression(reg_data):
    X, y = reg_data
    Y = np.c_[y, -2 * y]
    m = LinearRegression(solver="lbfgs", alpha=0.0, penalty=None).fit(X, Y)
    assert m.coef_.shape == (2, X.shape[1]) and m.predict(X).shape == (len(y), 2)
    np.testing.assert_allclose(m.coef_[1], -2 * m.coef_[0], rtol=1e-5)


@pytest.mark.parametrize("loss", ["huber", "epsilon_insensitive"])
def test_robust_losses_fit(loss, reg_data):
    X, y = reg_data
    y = y.copy()
    y[:10] += 50  # outliers
    m = _quiet_fit(LinearRegression(loss=loss, epsilon=0.5, solver="sgd",
                                    learning_rate_init=0.01, random_state=0), X, y)
    sq = LinearRegression(solver="lbfgs").fit(X, y)
    clean = slice(10, None)
    assert m.score(X[clean], y[clean]) > sq.score(X[clean], y[clean])


def test_lbfgs_refuses_non_smooth():
    X, y = make_regression(50, 3, random_state=0)
    with pytest.raises(ValueError, match="smooth"):
        LinearRegression(loss="epsilon_insensitive", solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="smooth"):
        LinearRegression(penalty="l1", solver="newton").fit(X, y)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_unsorted_csr_indices_same_model_and_input_untouched(solver, clf_data):
    X, y = clf_data
    Xs = sp.csr_matrix(X)
    # reverse the column order inside every row: valid CSR, unsorted indices
    for r in range(Xs.shape[0]):
        a, b = Xs.indptr[r], Xs.indptr[r + 1]
        Xs.indices[a:b] = Xs.indices[a:b][::-1].copy()
        Xs.data[a:b] = Xs.data[a:b][::-1].copy()
    Xs.has_sorted_indices = False
    before = Xs.indices.copy()
    kw = dict(solver=solver, batch_size=1, learning_rate="constant", learning_rate_init=0.01,
              max_iter=3, tol=None, random_state=0)
    a = LogisticRegression(**kw).fit(X, y)
    b = LogisticRegression(**kw).fit(Xs, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(Xs.indices, before)


def _with_split_entries(X):
    """The CSR matrix of ``X`` with every row's first stored value split into two
    entries of the same column (valid CSR; scipy sums repeats in products)."""
    Xs = sp.csr_matrix(X)
    rows, cols, vals = [], [], []
    for r in range(Xs.shape[0]):
        a, b = Xs.indptr[r], Xs.indptr[r + 1]
        c, v = list(Xs.indices[a:b]), list(Xs.data[a:b])
        rows += [r] * (len(c) + 1)
        cols += [c[0]] + c
        vals += [0.25 * v[0], 0.75 * v[0]] + v[1:]
    out = sp.csr_matrix((vals, cols, np.searchsorted(rows, np.arange(Xs.shape[0] + 1))),
                        shape=Xs.shape)
    assert not out.has_canonical_format
    return out


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_repeated_columns_in_a_row_are_summed(solver):
    """A row that stores a column twice means the sum of the two values; the generic
    kernel must not take a row with d stored entries for a full row."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4) * (rng.rand(60, 4) < 0.5)
    X[:, 0] += 1.0  # every row has a first entry to split
    y = (X @ rng.randn(4) > 0).astype(int)
    Xd = _with_split_entries(X)
    data_before = Xd.data.copy()
    kw = dict(solver=solver, batch_size=1, learning_rate="constant", learning_rate_init=0.05,
              max_iter=3, tol=None, random_state=0)
    a = LogisticRegression(**kw).fit(sp.csr_matrix(X), y)
    b = LogisticRegression(**kw).fit(Xd, y)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(Xd.data, data_before)
