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

from collections import namedtuple

import numpy as np
from numba import njit

from .._lowlevel import FAST, ptr
from ..losses import one_output_loss
from ..solver._clip import clipped
from ._wscale import AHEAD, csr_rows, dense_rows, prefetch_csr_row, prefetch_dense_row

#: one row: column and value pointers, its offset and length in them, whether it is a
#: full row (all features, columns not read), its target and weight
Row = namedtuple("Row", "cols vals off nnz full y sw")
#: the parameters (pointer, size) and their layout
ModelPtrs = namedtuple("ModelPtrs", "w n K n_coef fit_intercept")
#: the penalty: strengths, per-coordinate steps, records (``R`` columns) and marks (see
#: :func:`_catch_up`) and the number of penalised coefficients
PenaltyPtrs = namedtuple("PenaltyPtrs", "l1 l2 step rec R marks n_pen")
#: the update's rate, step count, summed rates before and after it, clipping threshold
StepNow = namedtuple("StepNow", "lr t ck ck_next max_norm")
#: per-row scratch: raw outputs, output gradient, touched coordinates and gradient
Scratch = namedtuple("Scratch", "raw dl gidx gval")


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
def _catch_up(w, coords, m, dense, ck, pen):
    """Apply to the coordinates ``coords[:m]`` the penalty of the updates they missed,
    up to the summed rate ``ck`` (``pen`` a :data:`PenaltyPtrs`).

    ``rec[i] = (summed rate at i's last penalty, i's step ratio, L1 owed, L1 paid)``
    (the last two only with an L1 part: ``R`` is 4 or 2)
    keeps one cache line per coordinate. A full row touches every coefficient but only
    records ``marks = (summed rate after it, its rate)``; a coordinate whose record is
    older than the mark was last touched there, with ratio ``step[i] / marks[1]``.
    """
    l1, l2, step, rec, R, marks, n_pen = pen
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


@njit(inline="always")
def _touched(row, model, gidx):
    """The touched coordinates into ``gidx``: K per non-zero feature, then the
    intercepts (all of them, contiguously, for a full row: the rule then needs no index
    list); returns their count."""
    if row.full:
        return model.n
    K, n_coef = model.K, model.n_coef
    cols, off = row.cols, row.off
    m = 0
    for j in range(row.nnz):
        base = cols[off + j] * K
        for c in range(K):
            gidx[m] = base + c
            m += 1
    if model.fit_intercept:
        for c in range(K):
            gidx[m] = n_coef + c
            m += 1
    return m


@njit(inline="always")
def _output_grad(row, model, code, loss_fn, lp, scratch, max_norm):
    """The row's loss and its (weighted, clipped) output gradient into ``scratch.dl``;
    returns (loss, gradient norm before clipping)."""
    K, raw, dl = model.K, scratch.raw, scratch.dl
    xsq = _raw(row.cols, row.vals, row.off, row.nnz, row.full, K, model.n_coef,
               model.fit_intercept, model.w, raw)
    if K == 1:
        loss, dl[0] = one_output_loss(code, row.y, raw[0], loss_fn, lp, raw, dl)
    else:
        loss = loss_fn(row.y, raw, K, dl, lp)
    # the gradient is the outer product si [x, 1] dl^T: its norm needs no extra pass
    si = row.sw
    dsq = 0.0
    for c in range(K):
        dl[c] *= si
        dsq += dl[c] * dl[c]
    norm = np.sqrt(dsq * (xsq + (1.0 if model.fit_intercept else 0.0)))
    for c in range(K):
        dl[c] = clipped(dl[c], norm, max_norm)
    return loss, norm


@njit(inline="always")
def _row_grad(row, model, dl, gval):
    """The gradient's entries at the touched coordinates into ``gval``; returns their
    count."""
    K, vals, off, nnz = model.K, row.vals, row.off, row.nnz
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
    if model.fit_intercept:
        for c in range(K):
            gval[m] = dl[c]
            m += 1
    return m


@njit(inline="always")
def _penalize_touched(full, gidx, m, w, lr, ck_next, pen):
    """The penalty step of the coordinates the update touched (a full row: all of
    them, recorded once in ``marks``)."""
    l1, l2, step, rec, R, marks, n_coef = pen
    if full:
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


@njit(cache=True, fastmath=FAST)
def _update(row, model, code, loss_fn, lp, rule, opt, step, pen, scratch):
    """One per-sample update of the :data:`Row` ``row`` (bundles of pointers: ``model``
    a :data:`ModelPtrs`, ``opt`` the rule's ``(hp, state)``, ``step`` a :data:`StepNow`,
    ``pen`` a :data:`PenaltyPtrs`, ``scratch`` a :data:`Scratch`); returns (weighted
    loss, gradient norm)."""
    gidx = scratch.gidx
    m = _touched(row, model, gidx)
    penalty = pen.l1 != 0.0 or pen.l2 != 0.0
    if penalty and (pen.marks[2] or not row.full):
        _catch_up(model.w, gidx, m, row.full, step.ck, pen)
    loss, norm = _output_grad(row, model, code, loss_fn, lp, scratch, step.max_norm)
    m = _row_grad(row, model, scratch.dl, scratch.gval)
    rule(model.w, scratch.gval, gidx, m, 1 if row.full else 0, opt[1], model.n, opt[0],
         step.lr, step.t, pen.step)
    if penalty:
        _penalize_touched(row.full, gidx, m, model.w, step.lr, step.ck_next, pen)
    return row.sw * loss, norm


@njit(cache=True)
def _finish(w, pen, ck, ratio, rec, gidx):
    """End of epoch: catch up every coefficient and keep the step ratios (``gidx`` is
    only a live int64 array for the coordinate list, which ``dense=True`` skips)."""
    if pen.l1 != 0.0 or pen.l2 != 0.0:
        _catch_up(ptr(w), ptr(gidx), pen.n_pen, True, ck, pen)
        for i in range(pen.n_pen):
            ratio[i] = rec[i, 1]


@njit(cache=True)
def _buffers(w, K, d, ratio, l1):
    # without L1 the two debt columns are never read: half the record, half the
    # cache lines a touched coordinate costs
    rec = np.zeros((w.size, 4 if l1 != 0.0 else 2))
    rec[:, 1] = ratio
    return (np.empty(d, np.int64), np.empty(d, w.dtype), rec, np.empty(K), np.empty(K),
            np.empty(w.size, np.int64), np.empty(w.size, w.dtype), np.zeros(3))


@njit(inline="always")
def _epoch_bundles(w, K, fit_intercept, d, n_coef, rule, penalty):
    """Scratch arrays and the pointer bundles of an epoch (``d`` entries of row
    scratch)."""
    cols, vals, rec, raw, dl, gidx, gval, marks = _buffers(w, K, d, penalty.ratio,
                                                           penalty.l1)
    model = ModelPtrs(ptr(w), w.size, K, n_coef, fit_intercept)
    pen = PenaltyPtrs(penalty.l1, penalty.l2, ptr(penalty.step), ptr(rec), rec.shape[1],
                      ptr(marks), n_coef)
    scratch = Scratch(ptr(raw), ptr(dl), ptr(gidx), ptr(gval))
    opt = (ptr(rule.hp), ptr(rule.state))
    return (cols, vals, rec, raw, dl, gidx, gval, marks), model, pen, scratch, opt


@njit(inline="always")
def _step_now(sched, k):
    return StepNow(sched.lrs[k], float(sched.t0 + k + 1), sched.cum[k], sched.cum[k + 1],
                   sched.max_norm)


@njit(cache=True)
def sgd_epoch_dense(X, samples, shape, loss, rule, w, sched, penalty):
    """Per-sample epoch over the rows ``samples.order`` of a dense C-ordered ``X``
    (bundles of :mod:`._bundles`); returns (summed weighted loss, summed gradient
    norm)."""
    y, sw, order = samples
    K = shape.K
    d = X.shape[1]
    n_coef = d * K
    bufs, model, pen, scratch, opt = _epoch_bundles(w, K, shape.fit_intercept, d, n_coef,
                                                    rule, penalty)
    cols, vals, rec, gidx = bufs[0], bufs[1], bufs[2], bufs[5]
    lp = ptr(loss.params)
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
        row = Row(cols_p, vals_p, off, nnz, nnz == d, y[i], sw[i])
        loss_k, norm = _update(row, model, loss.code, loss.fn, lp, rule.fn, opt,
                               _step_now(sched, k), pen, scratch)
        loss_sum += loss_k
        norm_sum += norm
    _finish(w, pen, sched.cum[order.size], penalty.ratio, rec, gidx)
    return loss_sum, norm_sum


@njit(cache=True)
def sgd_epoch_csr(X, samples, shape, loss, rule, w, sched, penalty):
    """Per-sample epoch over the rows ``samples.order`` of a :data:`~._bundles.CSR`
    ``X`` (int64 ``indices``); as :func:`sgd_epoch_dense`."""
    data, indices, indptr = X.data, X.indices, X.indptr
    y, sw, order = samples
    K = shape.K
    d = X.n_features
    n_coef = d * K
    bufs, model, pen, scratch, opt = _epoch_bundles(w, K, shape.fit_intercept, 1, n_coef,
                                                    rule, penalty)
    rec, gidx = bufs[2], bufs[5]
    lp = ptr(loss.params)
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
        row = Row(ptr(indices), ptr(data), a, b - a, b - a == d, y[i], sw[i])
        loss_k, norm = _update(row, model, loss.code, loss.fn, lp, rule.fn, opt,
                               _step_now(sched, k), pen, scratch)
        loss_sum += loss_k
        norm_sum += norm
    _finish(w, pen, sched.cum[order.size], penalty.ratio, rec, gidx)
    return loss_sum, norm_sum
