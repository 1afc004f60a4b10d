"""Compiled kernels of the MLP: the first layer on CSR rows.

Dense products go to BLAS (``numpy.matmul``). For sparse input the first layer reads
the rows of a mini-batch straight from the CSR arrays (no copy of the batch): each
stored value ``x_ij`` adds ``x_ij * W[j, :]`` to the output row (forward) or
``x_ij * delta[r, :]`` to the gradient row ``j`` (backward). Both inner loops run over
the contiguous layer width and vectorise. Compiled with ``cache=True`` for float32 and
float64 on first use.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_matmul(data, indices, indptr, rows, W, out):
    """``out[r] = X[rows[r]] @ W`` for CSR ``X``; ``out`` has shape (len(rows), W.shape[1])."""
    width = W.shape[1]
    for r in range(rows.size):
        i = rows[r]
        o = out[r]
        for k in range(width):
            o[k] = 0
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            wj = W[indices[p]]
            for k in range(width):
                o[k] += v * wj[k]


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_t_matmul(data, indices, indptr, rows, D, G):
    """``G = X[rows].T @ D`` for CSR ``X``; ``G`` has shape (n_features, D.shape[1])."""
    width = D.shape[1]
    G[...] = 0
    for r in range(rows.size):
        i = rows[r]
        d = D[r]
        for p in range(indptr[i], indptr[i + 1]):
            v = data[p]
            g = G[indices[p]]
            for k in range(width):
                g[k] += v * d[k]


class CSRRows:
    """A CSR matrix whose mini-batches are row-index arrays (no copies).

    Parameters
    ----------
    X : scipy.sparse.csr_matrix
        Sorted, float32 or float64.
    """

    def __init__(self, X):
        self.shape = X.shape
        self.dtype = X.dtype
        self.data = X.data
        self.indices = X.indices.astype(np.int64, copy=False)
        self.indptr = X.indptr.astype(np.int64, copy=False)

    def matmul(self, rows: np.ndarray, W: np.ndarray) -> np.ndarray:
        """``X[rows] @ W``."""
        out = np.empty((rows.size, W.shape[1]), dtype=W.dtype)
        csr_rows_matmul(self.data, self.indices, self.indptr, rows, W, out)
        return out

    def t_matmul(self, rows: np.ndarray, D: np.ndarray, out: np.ndarray) -> None:
        """``out[...] = X[rows].T @ D``."""
        csr_rows_t_matmul(self.data, self.indices, self.indptr, rows, D, out)


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
