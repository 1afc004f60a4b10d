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
"""

import numpy as np
from numba import njit

from ..solver._rules import ptr
from ._wscale import AHEAD, csr_rows, dense_rows, prefetch_csr_row, prefetch_dense_row

# reassociation lets LLVM vectorise the dot products; NaN/inf semantics are kept so
# that divergence is still detected
FAST = {"reassoc", "contract", "nsz"}


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
def _penalize(w, i, eta, l1, l2, rec):
    """Shrink coordinate ``i`` by the L2 part of step ``eta`` and settle its L1 debt
    (``rec[i, 2]`` owed, ``rec[i, 3]`` paid)."""
    wi = w[i] / (1.0 + eta * l2)
    if l1 != 0.0:
        rec[i, 2] += eta * l1
        wi, rec[i, 3] = _pay_l1(wi, rec[i, 2], rec[i, 3])
    w[i] = wi


@njit(cache=True, fastmath=FAST)
def _penalize_dense(w, step, n_pen, l1, l2, rec):
    """Penalty step of every coefficient after a full row (branch hoisted: the
    L2-only loop vectorises)."""
    if l1 == 0.0:
        for i in range(n_pen):
            w[i] = w[i] / (1.0 + step[i] * l2)
    else:
        for i in range(n_pen):
            _penalize(w, i, step[i], l1, l2, rec)


@njit(cache=True, fastmath=FAST)
def _raw(cols, vals, nnz, contiguous, K, n_coef, fit_intercept, w, raw):
    """Raw outputs ``x^T W + b`` into ``raw``; returns ``||x||^2``. A ``contiguous``
    row (all features) reads ``w`` directly instead of through ``cols``."""
    xsq = 0.0
    if K == 1:
        p = w[n_coef] if fit_intercept else 0.0
        if contiguous:
            for j in range(nnz):
                x = vals[j]
                p += x * w[j]
                xsq += x * x
        else:
            for j in range(nnz):
                x = vals[j]
                p += x * w[cols[j]]
                xsq += x * x
        raw[0] = p
        return xsq
    for c in range(K):
        raw[c] = w[n_coef + c] if fit_intercept else 0.0
    for j in range(nnz):
        base = (j if contiguous else cols[j]) * K
        x = vals[j]
        xsq += x * x
        for c in range(K):
            raw[c] += x * w[base + c]
    return xsq


@njit(cache=True)
def _catch_up(w, coords, m, dense, n_pen, ck, l1, l2, step, rec, marks):
    """Apply to the coordinates ``coords[:m]`` the penalty of the updates they missed,
    up to the summed rate ``ck``.

    ``rec[i] = (summed rate at i's last penalty, i's step ratio, L1 owed, L1 paid)``
    (the last two only with an L1 part)
    keeps one cache line per coordinate. A full row touches every coefficient but only
    records ``marks = (summed rate after it, its rate)``; a coordinate whose record is
    older than the mark was last touched there, with ratio ``step[i] / marks[1]``.
    """
    mark_c, mark_lr = marks[0], marks[1]
    for j in range(m):
        i = j if dense else coords[j]
        if i >= n_pen:
            continue
        c = rec[i, 0]
        r = rec[i, 1]
        if mark_c > c:
            c = mark_c
            if mark_lr > 0:
                r = step[i] / mark_lr
        if c < ck:
            _penalize(w, i, r * (ck - c), l1, l2, rec)
        rec[i, 0] = ck
        rec[i, 1] = r


@njit(cache=True, fastmath=FAST)
def _update(cols, vals, nnz, all_dense, yi, si, k, K, n_coef, fit_intercept, loss_fn, lp,
            rule, hp, w, state, lrs, t0, l1, l2, step, rec, marks, cum, max_norm,
            raw, dl, gidx, gval):
    """One per-sample update; returns (weighted loss, gradient norm)."""
    n = w.size
    # touched coordinates: K per non-zero feature, then the intercepts (all of them,
    # contiguously, for a full row: the rule then needs no index list)
    m = n
    if not all_dense:
        m = 0
        for j in range(nnz):
            base = cols[j] * K
            for c in range(K):
                gidx[m] = base + c
                m += 1
        if fit_intercept:
            for c in range(K):
                gidx[m] = n_coef + c
                m += 1
    penalty = l1 != 0.0 or l2 != 0.0
    if penalty and (marks[2] or not all_dense):
        _catch_up(w, gidx, m, all_dense, n_coef, cum[k], l1, l2, step, rec, marks)
    xsq = _raw(cols, vals, nnz, all_dense, K, n_coef, fit_intercept, w, raw)
    loss = loss_fn(yi, ptr(raw), K, ptr(dl), ptr(lp))
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
            gval[j] = d0 * vals[j]
        m = nnz
    else:
        for j in range(nnz):
            x = vals[j]
            for c in range(K):
                gval[m] = dl[c] * x
                m += 1
    if fit_intercept:
        for c in range(K):
            gval[m] = dl[c]
            m += 1
    rule(ptr(w), ptr(gval), ptr(gidx), m, 1 if all_dense else 0, ptr(state), n, ptr(hp),
         lrs[k], float(t0 + k + 1), ptr(step))
    if penalty:
        lr = lrs[k]
        if all_dense:
            _penalize_dense(w, step, n_coef, l1, l2, rec)
            marks[0] = cum[k + 1]
            marks[1] = lr
        else:
            marks[2] = 1.0
            for j in range(m):
                i = gidx[j]
                if i < n_coef:
                    _penalize(w, i, step[i], l1, l2, rec)
                    rec[i, 0] = cum[k + 1]
                    if lr > 0:
                        rec[i, 1] = step[i] / lr
    return si * loss, norm


@njit(cache=True)
def _finish(w, n_coef, ck, l1, l2, step, ratio, rec, marks):
    """End of epoch: catch up every coefficient and keep the step ratios."""
    if l1 != 0.0 or l2 != 0.0:
        _catch_up(w, w[:0].astype(np.int64), n_coef, True, n_coef, ck, l1, l2, step, rec,
                  marks)
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
def sgd_epoch_dense(X, y, sw, order, K, fit_intercept, loss_fn, lp, rule, hp, w, state,
                    lrs, t0, l1, l2, step, ratio, cum, max_norm):
    """Per-sample epoch over the rows ``order`` of a dense C-ordered ``X``."""
    d = X.shape[1]
    n_coef = d * K
    cols, vals, rec, raw, dl, gidx, gval, marks = _buffers(w, K, d, ratio, l1)
    all_cols = np.arange(d)
    loss_sum = 0.0
    norm_sum = 0.0
    rows = dense_rows(X, y, sw)
    for k in range(order.size):
        if k + AHEAD < order.size:
            prefetch_dense_row(rows, order[k + AHEAD])
        i = order[k]
        row = X[i]
        nnz = 0
        for j in range(d):
            nnz += row[j] != 0
        if nnz == d:
            loss, norm = _update(all_cols, row, d, True, y[i], sw[i], k, K, n_coef,
                                 fit_intercept, loss_fn, lp, rule, hp, w, state, lrs, t0, l1,
                                 l2, step, rec, marks, cum, max_norm, raw, dl, gidx, gval)
        else:
            nnz = 0
            for j in range(d):
                if row[j] != 0:
                    cols[nnz] = j
                    vals[nnz] = row[j]
                    nnz += 1
            loss, norm = _update(cols, vals, nnz, False, y[i], sw[i], k, K, n_coef,
                                 fit_intercept, loss_fn, lp, rule, hp, w, state, lrs, t0, l1,
                                 l2, step, rec, marks, cum, max_norm, raw, dl, gidx, gval)
        loss_sum += loss
        norm_sum += norm
    _finish(w, n_coef, cum[order.size], l1, l2, step, ratio, rec, marks)
    return loss_sum, norm_sum


@njit(cache=True)
def sgd_epoch_csr(data, indices, indptr, y, sw, order, K, fit_intercept, loss_fn, lp,
                  rule, hp, w, state, lrs, t0, l1, l2, step, ratio, cum, max_norm):
    """Per-sample epoch over the rows ``order`` of a CSR matrix."""
    d = (w.size - (K if fit_intercept else 0)) // K
    n_coef = d * K
    cols, vals, rec, raw, dl, gidx, gval, marks = _buffers(w, K, 1, ratio, l1)
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
        loss, norm = _update(indices[a:b], data[a:b], b - a, b - a == d, y[i], sw[i], k, K,
                             n_coef, fit_intercept, loss_fn, lp, rule, hp, w, state, lrs,
                             t0, l1, l2, step, rec, marks, cum, max_norm, raw, dl, gidx,
                             gval)
        loss_sum += loss
        norm_sum += norm
    _finish(w, n_coef, cum[order.size], l1, l2, step, ratio, rec, marks)
    return loss_sum, norm_sum
