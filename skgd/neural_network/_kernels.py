"""Compiled kernels of the MLP: the first layer on CSR rows, the fused softmax loss.

Dense products go to BLAS (``numpy.matmul``). For sparse input, and for dense input
with few non-zeros (kept as a CSR copy, see ``MLPObjective``), the first layer reads
the rows of a mini-batch straight from the CSR arrays (no copy of the batch): each
stored value ``x_ij`` adds ``x_ij * W[j, :]`` to the output row (forward) or
``x_ij * delta[r, :]`` to the gradient row ``j`` (backward). Both inner loops run over
the contiguous layer width and vectorise; the intercept is added (forward) and its
gradient summed (backward) in the same pass. Compiled with ``cache=True`` for float32
and float64 on first use.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_matmul(data, indices, indptr, rows, W, b, out):
    """``out[r] = X[rows[r]] @ W + b`` for CSR ``X``; ``out`` has shape
    (len(rows), W.shape[1]).

    Four stored values per pass over the output row: a quarter of the loads and stores
    of ``out[r]`` (the products are summed pairwise before they are added).
    """
    width = W.shape[1]
    for r in range(rows.size):
        i = rows[r]
        o = out[r]
        for k in range(width):
            o[k] = b[k]
        p, end = indptr[i], indptr[i + 1]
        while p + 3 < end:
            v0, v1, v2, v3 = data[p], data[p + 1], data[p + 2], data[p + 3]
            w0, w1 = W[indices[p]], W[indices[p + 1]]
            w2, w3 = W[indices[p + 2]], W[indices[p + 3]]
            for k in range(width):
                o[k] += (v0 * w0[k] + v1 * w1[k]) + (v2 * w2[k] + v3 * w3[k])
            p += 4
        while p < end:
            v = data[p]
            wj = W[indices[p]]
            for k in range(width):
                o[k] += v * wj[k]
            p += 1


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_t_matmul(data, indices, indptr, rows, D, G, gb):
    """``G = X[rows].T @ D`` for CSR ``X``; ``G`` has shape (n_features, D.shape[1]).
    ``gb`` (length ``D.shape[1]``, or empty) receives the column sums of ``D`` (the
    intercept gradient) in the same pass."""
    width = D.shape[1]
    G[...] = 0
    sums = gb.size > 0
    if sums:
        gb[...] = 0
    for r in range(rows.size):
        i = rows[r]
        d = D[r]
        if sums:
            for k in range(width):
                gb[k] += d[k]
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            g = G[indices[p]]
            for k in range(width):
                g[k] += v * d[k]


@njit(cache=True, boundscheck=False, nogil=True)
def dense_to_csr(X):
    """CSR arrays ``(data, indices, indptr)`` of a dense C-ordered matrix (sorted indices,
    int32 columns); two passes, no intermediate COO as in ``scipy.sparse.csr_matrix``."""
    n, d = X.shape
    indptr = np.zeros(n + 1, np.int64)
    for i in range(n):
        c = 0
        for j in range(d):
            c += X[i, j] != 0
        indptr[i + 1] = indptr[i] + c
    nnz = indptr[n]
    # branch-free fill: every value is written, the cursor only advances past non-zeros
    # (one slot of slack for a trailing zero)
    data = np.empty(nnz + 1, X.dtype)
    indices = np.empty(nnz + 1, np.int32)
    for i in range(n):
        p = indptr[i]
        for j in range(d):
            v = X[i, j]
            data[p] = v
            indices[p] = j
            p += v != 0
    return data[:nnz], indices[:nnz], indptr


class CSRRows:
    """A CSR matrix whose mini-batches are row-index arrays (no copies).

    Parameters
    ----------
    X : scipy.sparse.csr_matrix or ndarray
        Sorted CSR, or a dense 2-d array (converted), float32 or float64.
    """

    def __init__(self, X):
        self.shape = X.shape
        self.dtype = X.dtype
        if not sp.issparse(X):  # a dense matrix with few non-zeros
            self.data, self.indices, self.indptr = dense_to_csr(np.ascontiguousarray(X))
            return
        self.data = X.data
        # int32 column indices (scipy's default) halve the index traffic of the kernels
        itype = np.int32 if X.shape[1] < 2**31 else np.int64
        self.indices = X.indices.astype(itype, copy=False)
        self.indptr = X.indptr.astype(np.int64, copy=False)

    def matmul(self, rows: np.ndarray, W: np.ndarray, b: np.ndarray | None = None
               ) -> np.ndarray:
        """``X[rows] @ W (+ b)``."""
        out = np.empty((rows.size, W.shape[1]), dtype=W.dtype)
        if b is None:
            b = np.zeros(W.shape[1], dtype=W.dtype)
        csr_rows_matmul(self.data, self.indices, self.indptr, rows, W, b, out)
        return out

    def t_matmul(self, rows: np.ndarray, D: np.ndarray, out: np.ndarray,
                 out_sum: np.ndarray | None = None) -> None:
        """``out[...] = X[rows].T @ D`` (and ``out_sum[...] = D.sum(axis=0)``)."""
        gb = np.empty(0, dtype=D.dtype) if out_sum is None else out_sum
        csr_rows_t_matmul(self.data, self.indices, self.indptr, rows, D, out, gb)


@njit(cache=True, boundscheck=False, nogil=True)
def softmax_xent(raw, y, loss):
    """Softmax cross-entropy in one pass: ``loss[i] = logsumexp(raw[i]) - raw[i, y[i]]``;
    ``raw`` is overwritten by the gradient ``softmax(raw) - onehot(y)``."""
    n, K = raw.shape
    for i in range(n):
        r = raw[i]
        m = r[0]
        for k in range(1, K):
            m = max(m, r[k])
        s = 0.0
        for k in range(K):
            r[k] = np.exp(r[k] - m)  # shifted by the row max: stable log-sum-exp
            s += r[k]
        c = y[i]
        loss[i] = np.log(s) - np.log(r[c])
        inv = 1.0 / s
        for k in range(K):
            r[k] *= inv
        r[c] -= 1.0
