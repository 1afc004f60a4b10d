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

from .._lowlevel import ptr
from .._lowlevel.simd import advance
from ._sparse import (
    Filing,
    csr_rows_matmul,
    csr_rows_matmul_file,
    csr_rows_t_matmul,
    filed_t_matmul,
)


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
def column_counts(X):
    """Non-zeros per column of a dense C-ordered matrix."""
    counts = np.zeros(X.shape[1], np.int64)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            counts[j] += X[i, j] != 0
    return counts


@njit(cache=True, boundscheck=False, nogil=True)
def dense_to_csr(X, keep):
    """CSR arrays ``(data, indices, indptr)`` of the columns ``j`` with ``keep[j]`` of a
    dense C-ordered matrix (sorted indices, int32 columns, the other columns left out);
    two passes, no intermediate COO as in ``scipy.sparse.csr_matrix``."""
    n, d = X.shape
    indptr = np.zeros(n + 1, np.int64)
    for i in range(n):
        c = 0
        for j in range(d):
            c += (X[i, j] != 0) & keep[j]
        indptr[i + 1] = indptr[i] + c
    nnz = indptr[n]
    # branch-free fill: every value is written, the cursor only advances past kept
    # non-zeros (one slot of slack for a trailing zero)
    data = np.empty(nnz + 1, X.dtype)
    indices = np.empty(nnz + 1, np.int32)
    for i in range(n):
        p = indptr[i]
        for j in range(d):
            v = X[i, j]
            data[p] = v
            indices[p] = j
            p += (v != 0) & keep[j]
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
#: columns stored in more than this fraction of the rows go to BLAS on a dense copy of
#: them; MNIST has 195 such pixels holding 73 % of the non-zeros (first-layer forward
#: and gradient of a batch, cold caches: float64 1.04 -> 0.86 ms, float32 0.52 -> 0.38)
DENSE_COLUMN_DENSITY = 0.4
#: fewest such columns worth a split (BLAS is slow on very thin products)
MIN_DENSE_COLUMNS = 16


class CSRRows:
    """A CSR matrix whose mini-batches are row-index arrays (no copies).

    Columns with many stored values (more than :data:`DENSE_COLUMN_DENSITY` of the
    rows, e.g. the central pixels of images) are kept as a dense ``(n, n_dense)`` copy
    and multiplied by BLAS, :math:`X_B W = X_{B,S} W_S + X_{B,C} W_C`: a register-blocked
    GEMM reuses each loaded row of ``W`` for several batch rows, which the per-value
    kernels cannot (they read a whole row of ``W`` from L2 per stored value).

    A forward product with ``record=True`` also files the batch's sparse values by
    column (:func:`~._sparse.csr_rows_matmul_file`; for the dtypes in
    :data:`SLOT_DTYPES`) and keeps the batch's dense columns, and the next
    :meth:`t_matmul` of the same ``rows`` array uses them
    (:func:`~._sparse.filed_t_matmul`).

    Parameters
    ----------
    X : scipy.sparse.csr_matrix or ndarray
        Sorted CSR, or a dense 2-d array (converted), float32 or float64.
    """

    def __init__(self, X):
        self.shape = X.shape
        self.dtype = X.dtype
        self._slots = None  # (rows, Filing) of the last recorded forward product
        self._buffers = {}
        self.dense_cols, self.dense = None, None
        self._dense_batch = None  # (rows, X[rows][:, dense_cols]) of the last record
        n, d = self.shape
        if not sp.issparse(X):  # a dense matrix with few non-zeros
            X = np.ascontiguousarray(X)
            keep = np.ones(d, bool)
            cols = self._dense_columns(column_counts(X) if n else np.zeros(d, np.int64))
            if cols is not None:
                self.dense_cols = cols
                self.dense = np.ascontiguousarray(X[:, cols])
                keep[cols] = False
            self.data, self.indices, self.indptr = dense_to_csr(X, keep)
        else:
            self.data = X.data
            # int32 column indices (scipy's default) halve the index traffic of the kernels
            itype = np.int32 if d < 2**31 else np.int64
            self.indices = X.indices.astype(itype, copy=False)
            self.indptr = X.indptr.astype(np.int64, copy=False)
            cols = self._dense_columns(np.bincount(self.indices, minlength=d))
            if cols is not None:
                self._split(X, cols)
        self._max_row = int(np.diff(self.indptr).max()) if n else 0

    def _dense_columns(self, counts):
        """The columns for the dense copy (see :data:`DENSE_COLUMN_DENSITY`), or None."""
        cols = np.flatnonzero(counts > DENSE_COLUMN_DENSITY * self.shape[0])
        return cols if cols.size >= MIN_DENSE_COLUMNS else None

    def _split(self, X, cols):
        """Move the columns ``cols`` of a CSR matrix out of the CSR arrays into the
        dense copy."""
        self.dense_cols = cols
        self.dense = np.ascontiguousarray(X[:, cols].toarray(), dtype=self.dtype)
        is_dense = np.zeros(self.shape[1], bool)
        is_dense[cols] = True
        keep = ~is_dense[self.indices]
        kept = np.concatenate(([0], np.cumsum(keep)))
        self.data, self.indices = self.data[keep], self.indices[keep]
        self.indptr = kept[self.indptr].astype(np.int64)

    def _slot_buffers(self, n_rows: int, dtype):
        capacity = n_rows * self._max_row  # bounds the batch's stored values
        if np.dtype(dtype) not in SLOT_DTYPES or capacity > MAX_SLOTS:
            return None
        key = (n_rows, np.dtype(dtype))
        if key not in self._buffers:  # one set per batch size (the last batch differs)
            # int16 batch-row numbers when they fit: less index traffic
            itype = np.int16 if n_rows <= np.iinfo(np.int16).max else np.int32
            self._buffers[key] = Filing(SLOT_BLOCK,
                                        np.empty((-(-n_rows // SLOT_BLOCK), self.shape[1]),
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
        else:
            csr_rows_matmul_file(self.data, self.indices, self.indptr, rows, W, b, out,
                                 buffers)
            self._slots = (rows, buffers)
        if self.dense_cols is not None:
            xb = np.take(self.dense, rows, axis=0)
            out += xb.astype(W.dtype, copy=False) @ W[self.dense_cols]
            if record:
                self._dense_batch = (rows, xb)
        return out

    def t_matmul(self, rows: np.ndarray, D: np.ndarray, out: np.ndarray,
                 out_sum: np.ndarray | None = None) -> None:
        """``out[...] = X[rows].T @ D`` (and ``out_sum[...] = D.sum(axis=0)``)."""
        D = np.ascontiguousarray(D)
        gb = np.empty(0, dtype=D.dtype) if out_sum is None else out_sum
        slots, self._slots = self._slots, None
        if slots is not None and slots[0] is rows and slots[1].sval.dtype == D.dtype:
            filing = slots[1]
            filed_t_matmul(filing.cnt, filing.srow, filing.sval, D, out, gb)
        elif D.dtype == np.float32:
            csr_rows_t_matmul(self.data, self.indices, self.indptr, rows, D, out, gb)
        else:
            csr_rows_t_matmul_rmw(self.data, self.indices, self.indptr, rows, D, out, gb)
        if self.dense_cols is not None:  # the kernels above wrote zeros in these rows
            batch, self._dense_batch = self._dense_batch, None
            xb = batch[1] if batch is not None and batch[0] is rows else np.take(
                self.dense, rows, axis=0)
            out[self.dense_cols] = xb.T.astype(D.dtype, copy=False) @ D


@njit(cache=True, boundscheck=False, nogil=True)
def softmax_xent(raw, y, loss):
    """Softmax cross-entropy in one pass: ``loss[i] = logsumexp(raw[i]) - raw[i, y[i]]``;
    ``raw`` is overwritten by the gradient ``softmax(raw) - onehot(y)``."""
    n, K = raw.shape
    p = ptr(raw)  # rows by offset: a row view per row is reference-counted
    for i in range(n):
        r = advance(p, i * K)
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
