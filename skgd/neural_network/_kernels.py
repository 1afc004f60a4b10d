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

from ._sparse import csr_rows_matmul, csr_rows_matmul_file, csr_rows_t_matmul, filed_t_matmul


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_t_matmul_rmw(data, indices, indptr, rows, D, G, gb):
    """``G = X[rows].T @ D`` for CSR ``X`` with a vectorised loop over ``G[j]`` per
    stored value (:func:`~._sparse.csr_rows_t_matmul` keeps ``D[r]`` in registers
    instead: faster in float32, slower in float64, where this loop runs at about the
    L2 bandwidth). ``gb`` (length ``D.shape[1]``, or empty) receives the column sums of
    ``D`` (the intercept gradient) in the same pass."""
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


#: rows per block of the column filing of :func:`~._sparse.csr_rows_matmul_file`
#: (MNIST batches of 200, float64, cold caches as in a fit: 64 and 200 best, 32 slower)
SLOT_BLOCK = 64
#: largest filing (stored values of a batch) kept; larger batches use
#: :func:`~._sparse.csr_rows_t_matmul`
MAX_SLOTS = 1 << 20
#: parameter dtypes that use the filing: a float32 MNIST weight gradient (313 kB) stays
#: in the 512 kB L2 cache, so its per-value updates are cheap; in float64 (627 kB) the
#: filing measured 6-16 % faster per epoch
SLOT_DTYPES = (np.dtype(np.float64),)


class CSRRows:
    """A CSR matrix whose mini-batches are row-index arrays (no copies).

    A forward product with ``record=True`` also files the batch's stored values by
    column (:func:`~._sparse.csr_rows_matmul_file`; for the dtypes in
    :data:`SLOT_DTYPES`), and the next :meth:`t_matmul` of the same ``rows`` array uses
    that filing (:func:`~._sparse.filed_t_matmul`).

    Parameters
    ----------
    X : scipy.sparse.csr_matrix or ndarray
        Sorted CSR, or a dense 2-d array (converted), float32 or float64.
    """

    def __init__(self, X):
        self.shape = X.shape
        self.dtype = X.dtype
        self._slots = None  # (rows, cnt, srow, sval) of the last recorded forward product
        self._buffers = {}
        if not sp.issparse(X):  # a dense matrix with few non-zeros
            self.data, self.indices, self.indptr = dense_to_csr(np.ascontiguousarray(X))
        else:
            self.data = X.data
            # int32 column indices (scipy's default) halve the index traffic of the kernels
            itype = np.int32 if X.shape[1] < 2**31 else np.int64
            self.indices = X.indices.astype(itype, copy=False)
            self.indptr = X.indptr.astype(np.int64, copy=False)
        self._max_row = int(np.diff(self.indptr).max()) if self.shape[0] else 0

    def _slot_buffers(self, n_rows: int, dtype):
        capacity = n_rows * self._max_row  # bounds the batch's stored values
        if np.dtype(dtype) not in SLOT_DTYPES or capacity > MAX_SLOTS:
            return None
        key = (n_rows, np.dtype(dtype))
        if key not in self._buffers:  # one set per batch size (the last batch differs)
            # int16 batch-row numbers when they fit: less index traffic
            itype = np.int16 if n_rows <= np.iinfo(np.int16).max else np.int32
            self._buffers[key] = (np.empty((-(-n_rows // SLOT_BLOCK), self.shape[1]),
                                           np.int32),
                                  np.empty(capacity, itype), np.empty(capacity, dtype))
        return self._buffers[key]

    def matmul(self, rows: np.ndarray, W: np.ndarray, b: np.ndarray | None = None,
               record: bool = False) -> np.ndarray:
        """``X[rows] @ W (+ b)``; ``record`` files the rows' values for :meth:`t_matmul`."""
        W = np.ascontiguousarray(W)
        out = np.empty((rows.size, W.shape[1]), dtype=W.dtype)
        if b is None:
            b = np.zeros(W.shape[1], dtype=W.dtype)
        buffers = self._slot_buffers(rows.size, W.dtype) if record else None
        if buffers is None:
            csr_rows_matmul(self.data, self.indices, self.indptr, rows, W, b, out)
            return out
        csr_rows_matmul_file(self.data, self.indices, self.indptr, rows, W, b, out,
                             SLOT_BLOCK, *buffers)
        self._slots = (rows, *buffers)
        return out

    def t_matmul(self, rows: np.ndarray, D: np.ndarray, out: np.ndarray,
                 out_sum: np.ndarray | None = None) -> None:
        """``out[...] = X[rows].T @ D`` (and ``out_sum[...] = D.sum(axis=0)``)."""
        D = np.ascontiguousarray(D)
        gb = np.empty(0, dtype=D.dtype) if out_sum is None else out_sum
        slots, self._slots = self._slots, None
        if slots is not None and slots[0] is rows and slots[3].dtype == D.dtype:
            filed_t_matmul(*slots[1:], D, out, gb)
        elif D.dtype == np.float32:
            csr_rows_t_matmul(self.data, self.indices, self.indptr, rows, D, out, gb)
        else:
            csr_rows_t_matmul_rmw(self.data, self.indices, self.indptr, rows, D, out, gb)


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


@njit(cache=True, boundscheck=False, nogil=True)
def relu_backward(delta, a):
    """``delta[a <= 0] = 0`` for C-contiguous arrays of one shape (a select, which
    vectorises; ``delta *= a > 0`` goes through numpy's bool-to-float casting loop and
    is 3-4x slower)."""
    d, x = delta.ravel(), a.ravel()
    for k in range(d.size):
        d[k] = d[k] if x[k] > 0 else 0
