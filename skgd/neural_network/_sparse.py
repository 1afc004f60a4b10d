r"""The first layer on CSR rows: :math:`Z = X_B W + b` and :math:`G = X_B^\top \Delta`.

``X_B`` are the rows ``rows`` of a CSR matrix, read in place. Each stored value
:math:`x_{ij}` adds :math:`x_{ij} W_j` to the output row :math:`Z_i` (forward) and
:math:`x_{ij}\Delta_i` to the gradient row :math:`G_j` (backward).

Both kernels hold a segment of up to 12 registers of columns (96 float32 or 48 float64)
in SIMD registers (:mod:`._simd`) for the whole of a row's stored values: the forward
pass accumulates :math:`Z_i` there and reads each :math:`W_j` segment once, the backward
pass keeps :math:`\Delta_i` there and updates each :math:`G_j` segment with one load,
one FMA and one store per register. A layer of 100 float32 units is one segment (with a
4-column tail), so each stored value costs 13 vector FMAs and no loop set-up. The
segment loop is outermost: a sweep over the batch touches only its columns of ``W``
(or ``G``), which then stay in L2 when the whole matrix would not (float64).

The batch rows lie anywhere in the training set, so the forward sweep prefetches the
stored values of the row :data:`AHEAD` rows on (a cold row otherwise stalls on memory:
MNIST float64 batch with changing rows 0.62 -> 0.42 ms). For float64 the forward
product also files the batch by column (per block of rows, compact CSC) and the weight
gradient is then the same register kernel with the roles swapped
(:func:`filed_t_matmul`): each :math:`G_j` is written once per block instead of read,
updated and written per stored value.

The forward kernels hand their helpers raw pointers (:func:`~skgd._lowlevel.ptr`,
rows addressed with :func:`~._simd.advance`), not arrays or row views: each array
argument of a helper call, and each row view, cost two atomic reference-count calls
that also spill the vector registers, about 20 per batch row. The pointers travel in
small named tuples (:class:`Values`, :class:`Layer`, :class:`Cursor`), which the
inlined helpers unpack at no cost.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .._lowlevel import ptr
from .._lowlevel.simd import advance, lanes, prefetch, vfma, vload, vloadm, vsplat, vstore, vstorem

#: rows ahead whose stored values are prefetched (the batch rows are scattered over
#: the training set, so the hardware prefetcher cannot guess the next row's address)
AHEAD = 2

#: the stored values a register kernel sums (pointers): ``data[p]`` times the row
#: ``indices[p]`` of the layer's matrix, for ``p`` in a range; the values and column
#: indices of CSR rows, or (:func:`filed_t_matmul`) the filed values and batch rows
Values = namedtuple("Values", "data indices")
#: the matrix and start rows of a register kernel (pointers): ``W`` with rows of
#: ``width`` elements, and ``b``, the row the sums start from (the intercept)
Layer = namedtuple("Layer", "W width b")
#: where a forward kernel files the row ``r``'s values (pointers, see :func:`_file`):
#: the column cursors of the row's block, and the batch-row and value arrays
Cursor = namedtuple("Cursor", "cur srow sval")
#: the column filing of :func:`csr_rows_matmul_file` (arrays): blocks of ``block`` rows,
#: the column ends ``cnt`` (n_blocks, n_features), batch rows ``srow`` and values ``sval``
Filing = namedtuple("Filing", "block cnt srow sval")


@njit(inline="always")
def _csr(data, indices, indptr, rows):
    """Pointers to the CSR arrays and the batch rows, the batch size and the prefetch
    strides (elements per cache line) of the values and indices."""
    return (ptr(data), ptr(indices), ptr(indptr), ptr(rows), rows.size,
            64 // data.itemsize, 64 // indices.itemsize)


@njit(inline="always", boundscheck=False)
def _prefetch_row(X, r):
    # the cache lines of batch row r's values and column indices (if r is in the batch)
    data, indices, indptr, rows, n, data_step, index_step = X
    if r < n:
        i = rows[r]
        s, e = indptr[i], indptr[i + 1]
        for p in range(s, e, data_step):
            prefetch(data, p)
        for p in range(s, e, index_step):
            prefetch(indices, p)


@njit(inline="always", boundscheck=False)
def _fwd12(X, s, e, M, o, c, L):
    # columns [c, c + 12 L) of the output row o (a pointer)
    data, indices = X
    W, width, b = M
    a, h = vload(b, c, 16), vload(b, c + 8 * L, 8)
    for p in range(s, e):
        w, v = advance(W, indices[p] * width), data[p]
        a = vfma(vload(w, c, 16), vsplat(v, 16), a)
        h = vfma(vload(w, c + 8 * L, 8), vsplat(v, 8), h)
    vstore(o, c, a)
    vstore(o, c + 8 * L, h)


@njit(inline="always", boundscheck=False)
def _fwd13(X, s, e, M, o, c, L, k):
    # 12 registers and a 13th for the last k <= L columns (masked when k < L)
    data, indices = X
    W, width, b = M
    t = c + 12 * L
    a, h = vload(b, c, 16), vload(b, c + 8 * L, 8)
    if k == L:  # a masked store is microcoded on AMD: keep whole registers unmasked
        z = vload(b, t, 2)
        for p in range(s, e):
            w, v = advance(W, indices[p] * width), data[p]
            a = vfma(vload(w, c, 16), vsplat(v, 16), a)
            h = vfma(vload(w, c + 8 * L, 8), vsplat(v, 8), h)
            z = vfma(vload(w, t, 2), vsplat(v, 2), z)
        vstore(o, t, z)
    else:
        z = vloadm(b, t, 2, k)
        for p in range(s, e):
            w, v = advance(W, indices[p] * width), data[p]
            a = vfma(vload(w, c, 16), vsplat(v, 16), a)
            h = vfma(vload(w, c + 8 * L, 8), vsplat(v, 8), h)
            z = vfma(vloadm(w, t, 2, k), vsplat(v, 2), z)
        vstorem(o, t, z, k)
    vstore(o, c, a)
    vstore(o, c + 8 * L, h)


@njit(inline="always", boundscheck=False)
def _fwd8m(X, s, e, M, o, c, L, k):
    # 8 registers and 4 masked ones for the last k <= 4 L columns
    data, indices = X
    W, width, b = M
    a, h = vload(b, c, 16), vloadm(b, c + 8 * L, 8, k)
    for p in range(s, e):
        w, v = advance(W, indices[p] * width), data[p]
        a = vfma(vload(w, c, 16), vsplat(v, 16), a)
        h = vfma(vloadm(w, c + 8 * L, 8, k), vsplat(v, 8), h)
    vstore(o, c, a)
    vstorem(o, c + 8 * L, h, k)


@njit(inline="always", boundscheck=False)
def _fwdm(X, s, e, M, o, c, k, units):
    data, indices = X
    W, width, b = M
    a = vloadm(b, c, units, k)
    for p in range(s, e):
        a = vfma(vloadm(advance(W, indices[p] * width), c, units, k),
                 vsplat(data[p], units), a)
    vstorem(o, c, a, k)


@njit(inline="always", boundscheck=False)
def _fwd_last(X, s, e, M, o, c, L, rem):
    # the last segment: columns [c, c + rem), 0 < rem <= 13 L
    if rem > 12 * L:
        _fwd13(X, s, e, M, o, c, L, rem - 12 * L)
    elif rem > 8 * L:
        _fwd8m(X, s, e, M, o, c, L, rem - 8 * L)
    elif rem > 4 * L:
        _fwdm(X, s, e, M, o, c, rem, 16)
    elif rem > L:
        _fwdm(X, s, e, M, o, c, rem, 8)
    else:
        _fwdm(X, s, e, M, o, c, rem, 2)


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_matmul(data, indices, indptr, rows, W, b, out):
    """``out[r] = X[rows[r]] @ W + b`` for CSR ``X``; ``out`` has shape
    (len(rows), W.shape[1]). All arrays C-contiguous."""
    width = W.shape[1]
    L = lanes(W)
    n = rows.size
    X = _csr(data, indices, indptr, rows)
    V, M, op = Values(X[0], X[1]), Layer(ptr(W), width, ptr(b)), ptr(out)
    c = 0
    while width - c > 13 * L:
        for r in range(n):
            i = rows[r]
            if c == 0:
                _prefetch_row(X, r + AHEAD)
            _fwd12(V, indptr[i], indptr[i + 1], M, advance(op, r * width), c, L)
        c += 12 * L
    for r in range(n):
        i = rows[r]
        if c == 0:
            _prefetch_row(X, r + AHEAD)
        _fwd_last(V, indptr[i], indptr[i + 1], M, advance(op, r * width), c, L, width - c)


@njit(inline="always", boundscheck=False)
def _bwd12(data, indices, s, e, d, G, c, L, t1):
    # columns [c, t) in 12 registers; the nt = t1 - t < L others: a half register
    # (unmasked) when nt >= L / 2, then scalars (a masked store per value is slow)
    t = c + 12 * L
    nt = t1 - t
    half = nt >= L // 2
    ts = t + L // 2 if half else t
    a, h, x = vload(d, c, 16), vload(d, c + 8 * L, 8), vloadm(d, t, 1, nt)
    for p in range(s, e):
        g, v = G[indices[p]], data[p]
        vstore(g, c, vfma(a, vsplat(v, 16), vload(g, c, 16)))
        vstore(g, c + 8 * L, vfma(h, vsplat(v, 8), vload(g, c + 8 * L, 8)))
        if half:
            vstore(g, t, vfma(x, vsplat(v, 1), vload(g, t, 1)))
        for k in range(ts, t1):
            g[k] += v * d[k]


@njit(inline="always", boundscheck=False)
def _bwdv(data, indices, s, e, d, G, c, t0, t1, units):
    # columns [c, t0) (units / 2 registers) in registers, then [t0, t1) as scalars
    a = vload(d, c, units)
    for p in range(s, e):
        g, v = G[indices[p]], data[p]
        vstore(g, c, vfma(a, vsplat(v, units), vload(g, c, units)))
        for k in range(t0, t1):
            g[k] += v * d[k]


@njit(inline="always", boundscheck=False)
def _bwds(data, indices, s, e, d, G, c, t1):
    for p in range(s, e):
        g, v = G[indices[p]], data[p]
        for k in range(c, t1):
            g[k] += v * d[k]


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_t_matmul(data, indices, indptr, rows, D, G, gb):
    """``G = X[rows].T @ D`` for CSR ``X``; ``G`` has shape (n_features, D.shape[1]).
    ``gb`` (length ``D.shape[1]``, or empty) receives the column sums of ``D`` (the
    intercept gradient). All arrays C-contiguous.

    Masked stores are slow on some CPUs (AMD), so the columns past the last whole
    register are updated as scalars, in the same sweep as the registers before them.
    """
    width = D.shape[1]
    L = lanes(D)
    n = rows.size
    G[...] = 0
    if gb.size > 0:
        gb[...] = 0
        for r in range(n):
            d = D[r]
            for k in range(width):
                gb[k] += d[k]
    c = 0
    while c < width:
        rem = width - c
        seg = 12 * L if rem >= 12 * L else 8 * L if rem >= 8 * L else (
            4 * L if rem >= 4 * L else L if rem >= L else 0)
        t1 = width if rem - seg < L else c + seg
        for r in range(n):
            i = rows[r]
            s, e, d = indptr[i], indptr[i + 1], D[r]
            if seg == 12 * L:
                _bwd12(data, indices, s, e, d, G, c, L, t1)
            elif seg == 8 * L:
                _bwdv(data, indices, s, e, d, G, c, c + seg, t1, 16)
            elif seg == 4 * L:
                _bwdv(data, indices, s, e, d, G, c, c + seg, t1, 8)
            elif seg == L:
                _bwdv(data, indices, s, e, d, G, c, c + seg, t1, 2)
            else:
                _bwds(data, indices, s, e, d, G, c, t1)
        c = t1


@njit(inline="always")
def _file(cur, srow, sval, j, r, v):
    """File value ``v`` of batch row ``r`` under column ``j``: at the column's cursor
    ``cur[j]``, which advances (all pointers)."""
    n = cur[j]
    srow[n] = r
    sval[n] = v
    cur[j] = n + 1


@njit(inline="always", boundscheck=False)
def _fwd12_file(X, s, e, M, o, L, r, F):
    # _fwd12 of columns [0, 12 L) that also files the row's values (see below)
    data, indices = X
    W, width, b = M
    cur, srow, sval = F
    a, h = vload(b, 0, 16), vload(b, 8 * L, 8)
    for p in range(s, e):
        j, v = indices[p], data[p]
        w = advance(W, j * width)
        a = vfma(vload(w, 0, 16), vsplat(v, 16), a)
        h = vfma(vload(w, 8 * L, 8), vsplat(v, 8), h)
        _file(cur, srow, sval, j, r, v)
    vstore(o, 0, a)
    vstore(o, 8 * L, h)


@njit(inline="always", boundscheck=False)
def _fwd13_file(X, s, e, M, o, L, k, r, F):
    # _fwd13 of columns [0, 12 L + k) that also files the row's values
    data, indices = X
    W, width, b = M
    cur, srow, sval = F
    t = 12 * L
    a, h = vload(b, 0, 16), vload(b, 8 * L, 8)
    z = vload(b, t, 2) if k == L else vloadm(b, t, 2, k)
    for p in range(s, e):
        j, v = indices[p], data[p]
        w = advance(W, j * width)
        a = vfma(vload(w, 0, 16), vsplat(v, 16), a)
        h = vfma(vload(w, 8 * L, 8), vsplat(v, 8), h)
        z = vfma(vloadm(w, t, 2, k), vsplat(v, 2), z)
        _file(cur, srow, sval, j, r, v)
    vstore(o, 0, a)
    vstore(o, 8 * L, h)
    vstorem(o, t, z, k)


@njit(cache=True, boundscheck=False, nogil=True)
def csr_rows_matmul_file(data, indices, indptr, rows, W, b, out, filing):
    """:func:`csr_rows_matmul` that also files the stored values by column for
    :func:`filed_t_matmul`, into ``filing`` (a :class:`Filing`): the batch in blocks of
    ``block`` rows, each block in CSC form, one after the other in ``srow`` (batch row)
    and ``sval`` (value), of length at least the batch's number of stored values. On
    return ``cnt[q, j]`` (shape (n_blocks, n_features)) is the end of block ``q``'s
    column ``j`` in that order; it starts where the previous ``(q, j)`` (row-major)
    ends. A counting pass sizes the columns; the filing itself rides along the first
    register segment's sweep, where its scalar stores overlap the vector FMAs."""
    block, cnt, srow, sval = filing
    width = W.shape[1]
    L = lanes(W)
    n = rows.size
    X = _csr(data, indices, indptr, rows)
    V, M, op = Values(X[0], X[1]), Layer(ptr(W), width, ptr(b)), ptr(out)
    sr, sv, cp, nf = ptr(srow), ptr(sval), ptr(cnt), cnt.shape[1]
    cnt[...] = 0
    for r in range(n):
        _prefetch_row(X, r + AHEAD)
        c, i = advance(cp, r // block * nf), rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            c[indices[p]] += 1
    pos = 0  # cnt becomes the start of each (q, j), the cursor of the filing
    for q in range(cnt.shape[0]):
        c = cnt[q]
        for j in range(c.size):
            pos, c[j] = pos + c[j], pos
    if 12 * L < width <= 13 * L:  # one segment of 13 registers
        for r in range(n):
            i = rows[r]
            _prefetch_row(X, r + AHEAD)
            _fwd13_file(V, indptr[i], indptr[i + 1], M, advance(op, r * width), L,
                        width - 12 * L, r, Cursor(advance(cp, r // block * nf), sr, sv))
        return
    if width <= 13 * L:  # one narrower segment: file in a pass of its own
        for r in range(n):
            c, i = advance(cp, r // block * nf), rows[r]
            for p in range(indptr[i], indptr[i + 1]):
                _file(c, sr, sv, indices[p], r, data[p])
        csr_rows_matmul(data, indices, indptr, rows, W, b, out)
        return
    for r in range(n):
        i = rows[r]
        _fwd12_file(V, indptr[i], indptr[i + 1], M, advance(op, r * width), L, r,
                    Cursor(advance(cp, r // block * nf), sr, sv))
    c = 12 * L
    while width - c > 13 * L:
        for r in range(n):
            i = rows[r]
            _fwd12(V, indptr[i], indptr[i + 1], M, advance(op, r * width), c, L)
        c += 12 * L
    for r in range(n):
        i = rows[r]
        _fwd_last(V, indptr[i], indptr[i + 1], M, advance(op, r * width), c, L, width - c)


@njit(cache=True, boundscheck=False, nogil=True)
def filed_t_matmul(cnt, srow, sval, D, G, gb):
    r"""``G = X[rows].T @ D`` from the column filing of :func:`csr_rows_matmul_file`.

    Per block of rows and column :math:`j`, :math:`G_j \mathrel{+}= \sum_s v_s
    D_{r_s}` is the forward kernel with the roles swapped (the filed values are a CSR
    row, ``D`` plays ``W``, the old :math:`G_j` the intercept): :math:`G_j` is read
    and written once per block and held in registers over its values, and the rows of
    ``D`` of a block stay in L1. ``gb`` (or empty) receives the column sums of ``D``.
    """
    width = D.shape[1]
    L = lanes(D)
    zero = np.zeros(width, D.dtype)
    if gb.size > 0:
        gb[...] = 0
        for r in range(D.shape[0]):
            d = D[r]
            for k in range(width):
                gb[k] += d[k]
    V, Dp, Gp = Values(ptr(sval), ptr(srow)), ptr(D), ptr(G)
    s = 0
    for q in range(cnt.shape[0]):
        c = cnt[q]
        for j in range(G.shape[0]):
            e = c[j]
            if e == s and q > 0:
                continue
            g = advance(Gp, j * width)
            # the first block writes every row of G (ptr(zero) here keeps zero alive)
            M = Layer(Dp, width, ptr(zero) if q == 0 else g)
            t = 0
            while width - t > 13 * L:
                _fwd12(V, s, e, M, g, t, L)
                t += 12 * L
            _fwd_last(V, s, e, M, g, t, L, width - t)
            s = e
