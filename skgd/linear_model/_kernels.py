"""Compiled per-sample SGD epochs for linear models (dense rows and CSR rows).

Parameter layout (see ``LinearObjective``): ``coef`` of shape ``(n_features, K)`` row
major, then ``K`` intercepts, so a sample touches the ``K`` coefficients of each of its
non-zero features plus the intercepts.

Updates are row-wise ("lazy"): a coefficient's optimizer state and penalty advance
only in the updates where its feature is non-zero. The L2 shrinkage of the updates a
coordinate missed is applied in one step, with the summed learning rates scaled by the
coordinate's last effective step, when it is next touched and at the end of the epoch.
Dense rows follow the same rule -- a zero entry is an absent feature -- so dense and
CSR input give the same model. The penalised coordinates are the coefficients
``[0, n_coef)``; a full row touches all of them, which the kernel records once
(``marks``) instead of per coordinate. The per-coordinate penalty bookkeeping sits in
one record (see :func:`_catch_up`), so a touched coordinate costs one cache line more,
not four.

The L1 part uses the cumulative penalty of Tsuruoka, Tsujii & Ananiadou (2009), the
per-sample form of the proximal step that scikit-learn's SGD uses too: each weight owes
the sum ``u`` of the thresholds of all its updates so far and has paid ``q``; after
each update it pays what it still owes, clipped at zero. A weight that noise pushes
away from zero is pulled back by the whole unpaid debt, so per-sample runs reach exact
zeros as the full-batch proximal step does.

The helpers take raw pointers (and offsets into them), not arrays: numba
reference-counts an array handed to a function at every call, and the per-row
update used to pay about fifty such atomic calls (see ``_wscale``).
"""

import numpy as np
from numba import njit

from .._lowlevel import FAST, ptr
from ..losses import one_output_loss
from ._wscale import AHEAD, csr_rows, dense_rows, prefetch_csr_row, prefetch_dense_row


@njit(inline="always")
def _pay_l1(w, u, q):
    """Tsuruoka's cumulative L1 step: pay the unpaid part of the debt ``u``."""
    z = w
    if w > 0:
        w = max(0.0, w - (u + q))
    elif w < 0:
        w = min(0.0, w + (u - q))
    return w, q + (w - z)


@njit(inline="always")
def _penalize(w, i, eta, l1, l2, rec, R):
    """Shrink coordinate ``i`` by the L2 part of step ``eta`` and settle its L1 debt
    (``rec[i, 2]`` owed, ``rec[i, 3]`` paid; ``rec`` has ``R`` columns)."""
    wi = w[i] / (1.0 + eta * l2)
    if l1 != 0.0:
        o = i * R
        rec[o + 2] += eta * l1
        wi, rec[o + 3] = _pay_l1(wi, rec[o + 2], rec[o + 3])
    w[i] = wi


@njit(cache=True, fastmath=FAST)
def _penalize_dense(w, step, n_pen, l1, l2, rec, R):
    """Penalty step of every coefficient after a full row (branch hoisted: the
    L2-only loop vectorises)."""
    if l1 == 0.0:
        for i in range(n_pen):
            w[i] = w[i] / (1.0 + step[i] * l2)
    else:
        for i in range(n_pen):
            _penalize(w, i, step[i], l1, l2, rec, R)


@njit(cache=True, fastmath=FAST)
def _raw(cols, vals, off, nnz, contiguous, K, n_coef, fit_intercept, w, raw):
    """Raw outputs ``x^T W + b`` into ``raw`` for the row ``vals[off:off + nnz]``
    (columns ``cols[off:off + nnz]``); returns ``||x||^2``. A ``contiguous`` row (all
    features) reads ``w`` directly instead of through ``cols``."""
    xsq = 0.0
    if K == 1:
        p = w[n_coef] if fit_intercept else 0.0
        if contiguous:
            for j in range(nnz):
                x = vals[off + j]
                p += x * w[j]
                xsq += x * x
        else:
            for j in range(nnz):
                x = vals[off + j]
                p += x * w[cols[off + j]]
                xsq += x * x
        raw[0] = p
        return xsq
    for c in range(K):
        raw[c] = w[n_coef + c] if fit_intercept else 0.0
    for j in range(nnz):
        base = (j if contiguous else cols[off + j]) * K
        x = vals[off + j]
        xsq += x * x
        for c in range(K):
            raw[c] += x * w[base + c]
    return xsq


@njit(cache=True)
def _catch_up(w, coords, m, dense, n_pen, ck, l1, l2, step, rec, R, marks):
    """Apply to the coordinates ``coords[:m]`` the penalty of the updates they missed,
    up to the summed rate ``ck``.

    ``rec[i] = (summed rate at i's last penalty, i's step ratio, L1 owed, L1 paid)``
    (the last two only with an L1 part: ``R`` is 4 or 2)
    keeps one cache line per coordinate. A full row touches every coefficient but only
    records ``marks = (summed rate after it, its rate)``; a coordinate whose record is
    older than the mark was last touched there, with ratio ``step[i] / marks[1]``.
    """
    mark_c, mark_lr = marks[0], marks[1]
    for j in range(m):
        i = j if dense else coords[j]
        if i >= n_pen:
            continue
        o = i * R
        c = rec[o]
        r = rec[o + 1]
        if mark_c > c:
            c = mark_c
            if mark_lr > 0:
                r = step[i] / mark_lr
        if c < ck:
            _penalize(w, i, r * (ck - c), l1, l2, rec, R)
        rec[o] = ck
        rec[o + 1] = r


@njit(cache=True, fastmath=FAST)
def _update(cols, vals, off, nnz, all_dense, yi, si, k, K, n_coef, fit_intercept, code,
            loss_fn, lp, rule, hp, w, n, state, lr, t, l1, l2, step, rec, R, marks, ck,
            ck_next, max_norm, raw, dl, gidx, gval):
    """One per-sample update of the row ``vals[off:off + nnz]`` (all arrays are
    pointers; ``w`` has ``n`` entries; ``ck`` and ``ck_next`` are the summed rates
    before and after this update); returns (weighted loss, gradient norm)."""
    # touched coordinates: K per non-zero feature, then the intercepts (all of them,
    # contiguously, for a full row: the rule then needs no index list)
    m = n
    if not all_dense:
        m = 0
        for j in range(nnz):
            base = cols[off + j] * K
            for c in range(K):
                gidx[m] = base + c
                m += 1
        if fit_intercept:
            for c in range(K):
                gidx[m] = n_coef + c
                m += 1
    penalty = l1 != 0.0 or l2 != 0.0
    if penalty and (marks[2] or not all_dense):
        _catch_up(w, gidx, m, all_dense, n_coef, ck, l1, l2, step, rec, R, marks)
    xsq = _raw(cols, vals, off, nnz, all_dense, K, n_coef, fit_intercept, w, raw)
    if K == 1:
        loss, dl[0] = one_output_loss(code, yi, raw[0], loss_fn, lp, raw, dl)
    else:
        loss = loss_fn(yi, raw, K, dl, lp)
    # the gradient is the outer product si [x, 1] dl^T: its norm needs no extra pass
    dsq = 0.0
    for c in range(K):
        dl[c] *= si
        dsq += dl[c] * dl[c]
    norm = np.sqrt(dsq * (xsq + (1.0 if fit_intercept else 0.0)))
    if max_norm > 0.0 and norm > max_norm:
        for c in range(K):
            dl[c] *= max_norm / norm
    m = 0
    if K == 1:
        d0 = dl[0]
        for j in range(nnz):
            gval[j] = d0 * vals[off + j]
        m = nnz
    else:
        for j in range(nnz):
            x = vals[off + j]
            for c in range(K):
                gval[m] = dl[c] * x
                m += 1
    if fit_intercept:
        for c in range(K):
            gval[m] = dl[c]
            m += 1
    rule(w, gval, gidx, m, 1 if all_dense else 0, state, n, hp, lr, t, step)
    if penalty:
        if all_dense:
            _penalize_dense(w, step, n_coef, l1, l2, rec, R)
            marks[0] = ck_next
            marks[1] = lr
        else:
            marks[2] = 1.0
            for j in range(m):
                i = gidx[j]
                if i < n_coef:
                    _penalize(w, i, step[i], l1, l2, rec, R)
                    rec[i * R] = ck_next
                    if lr > 0:
                        rec[i * R + 1] = step[i] / lr
    return si * loss, norm


@njit(cache=True)
def _finish(w, n_coef, ck, l1, l2, step, ratio, rec, marks, gidx):
    """End of epoch: catch up every coefficient and keep the step ratios (``gidx`` is
    only a live int64 array for the coordinate list, which ``dense=True`` skips)."""
    if l1 != 0.0 or l2 != 0.0:
        R = rec.shape[1]
        _catch_up(ptr(w), ptr(gidx), n_coef, True, n_coef, ck, l1, l2, ptr(step), ptr(rec),
                  R, ptr(marks))
        for i in range(n_coef):
            ratio[i] = rec[i, 1]


@njit(cache=True)
def _buffers(w, K, d, ratio, l1):
    # without L1 the two debt columns are never read: half the record, half the
    # cache lines a touched coordinate costs
    rec = np.zeros((w.size, 4 if l1 != 0.0 else 2))
    rec[:, 1] = ratio
    return (np.empty(d, np.int64), np.empty(d, w.dtype), rec, np.empty(K), np.empty(K),
            np.empty(w.size, np.int64), np.empty(w.size, w.dtype), np.zeros(3))


@njit(cache=True)
def sgd_epoch_dense(X, y, sw, order, K, fit_intercept, loss_fn, lp, code, rule, hp, w,
                    state, lrs, t0, l1, l2, step, ratio, cum, max_norm):
    """Per-sample epoch over the rows ``order`` of a dense C-ordered ``X``. ``code`` is
    the loss's :meth:`~skgd.losses.Loss.kernel_code`."""
    d = X.shape[1]
    n_coef = d * K
    cols, vals, rec, raw, dl, gidx, gval, marks = _buffers(w, K, d, ratio, l1)
    R = rec.shape[1]
    loss_sum = 0.0
    norm_sum = 0.0
    rows = dense_rows(X, y, sw)
    for k in range(order.size):
        if k + AHEAD < order.size:
            prefetch_dense_row(rows, order[k + AHEAD])
        i = order[k]
        nnz = 0
        for j in range(d):
            nnz += X[i, j] != 0
        if nnz == d:  # the row itself; a full row's columns are never read
            cols_p, vals_p, off = ptr(cols), ptr(X), i * d
        else:
            nnz = 0
            for j in range(d):
                if X[i, j] != 0:
                    cols[nnz] = j
                    vals[nnz] = X[i, j]
                    nnz += 1
            cols_p, vals_p, off = ptr(cols), ptr(vals), 0
        loss, norm = _update(cols_p, vals_p, off, nnz, nnz == d, y[i], sw[i], k, K, n_coef,
                             fit_intercept, code, loss_fn, ptr(lp), rule, ptr(hp), ptr(w),
                             w.size, ptr(state), lrs[k], float(t0 + k + 1), l1, l2,
                             ptr(step), ptr(rec), R, ptr(marks), cum[k], cum[k + 1],
                             max_norm, ptr(raw), ptr(dl), ptr(gidx), ptr(gval))
        loss_sum += loss
        norm_sum += norm
    _finish(w, n_coef, cum[order.size], l1, l2, step, ratio, rec, marks, gidx)
    return loss_sum, norm_sum


@njit(cache=True)
def sgd_epoch_csr(data, indices, indptr, y, sw, order, K, fit_intercept, loss_fn, lp,
                  code, rule, hp, w, state, lrs, t0, l1, l2, step, ratio, cum, max_norm):
    """Per-sample epoch over the rows ``order`` of a CSR matrix (int64 ``indices``)."""
    d = (w.size - (K if fit_intercept else 0)) // K
    n_coef = d * K
    cols, vals, rec, raw, dl, gidx, gval, marks = _buffers(w, K, 1, ratio, l1)
    R = rec.shape[1]
    loss_sum = 0.0
    norm_sum = 0.0
    rows = csr_rows(data, indices, indptr, y, sw)
    for k in range(order.size):
        if k + AHEAD < order.size:
            prefetch_csr_row(rows, order[k + AHEAD])
        i = order[k]
        a, b = indptr[i], indptr[i + 1]
        # with sorted indices a row of d entries is a full row: take the same code path
        # as a full dense row, so that dense and CSR input give bit-identical models
        loss, norm = _update(ptr(indices), ptr(data), a, b - a, b - a == d, y[i], sw[i], k,
                             K, n_coef, fit_intercept, code, loss_fn, ptr(lp), rule,
                             ptr(hp), ptr(w), w.size, ptr(state), lrs[k],
                             float(t0 + k + 1), l1, l2, ptr(step), ptr(rec), R, ptr(marks),
                             cum[k], cum[k + 1], max_norm, ptr(raw), ptr(dl), ptr(gidx),
                             ptr(gval))
        loss_sum += loss
        norm_sum += norm
    _finish(w, n_coef, cum[order.size], l1, l2, step, ratio, rec, marks, gidx)
    return loss_sum, norm_sum
