"""Sparse input the compiled kernels read through raw pointers: strided arrays are
copied, malformed matrices are refused before any kernel runs."""

import numpy as np
import pytest
import scipy.sparse as sp

from skgd import LogisticRegression, MLPClassifier

ESTIMATORS = [
    lambda: LogisticRegression(solver="sgd", batch_size=1, max_iter=3, tol=None,
                               random_state=0),
    lambda: LogisticRegression(solver="adam", batch_size=1, max_iter=3, tol=None,
                               random_state=0),
    lambda: MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0),
]


def _data():
    rng = np.random.RandomState(0)
    X = sp.random(40, 6, density=0.5, format="csr", random_state=rng)
    y = np.arange(40) % 2
    return X, y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("make", ESTIMATORS)
def test_strided_sparse_arrays_give_the_same_model(make):
    X, y = _data()
    spread = np.zeros(2 * X.nnz)
    spread[::2] = X.data
    strided = sp.csr_matrix((spread[::2], X.indices, X.indptr), shape=X.shape)
    assert not strided.data.flags.c_contiguous
    a = make().fit(X, y).predict_proba(X)
    b = make().fit(strided, y).predict_proba(strided)
    np.testing.assert_array_equal(a, b)


def _malformed(kind):
    X, _ = _data()
    indices, indptr = X.indices.copy(), X.indptr.copy()
    if kind == "negative index":
        indices[3] = -1
    elif kind == "index past the end":
        indices[3] = X.shape[1]
    else:
        indptr[5] = indptr[6] + 1
    M = sp.csr_matrix(X.shape)  # assembled by hand: scipy does not check on assignment
    M.data, M.indices, M.indptr = X.data, indices, indptr
    return M


@pytest.mark.parametrize("make", ESTIMATORS)
@pytest.mark.parametrize("kind", ["negative index", "index past the end", "indptr"])
def test_malformed_sparse_input_is_refused(make, kind):
    _, y = _data()
    with pytest.raises(ValueError, match="malformed sparse matrix"):
        make().fit(_malformed(kind), y)
