"""Plain per-sample SGD with an L2 (or no) penalty in scikit-learn's ``wscale`` form.

The coefficients are kept as ``scale * v`` so that the proximal step
:math:`w \\leftarrow w / (1 + \\eta_t l_2)`, which every coefficient takes at every
update, costs one multiplication of ``scale`` instead of a pass over ``w``; an update
then touches only the sample's non-zero features. The penalty is exact for every
coefficient at every step (no lazy catch-up is needed), so dense rows are read whole
and dense and CSR input still give the same model (up to rounding: the two
kernels sum in different orders). The optimizer rule is plain SGD
inlined: this path is taken only for ``solver="sgd"`` without L1. One-output log and
squared losses are inlined too (:func:`skgd.losses.one_output_loss`), and the
summed log-loss is kept as a product (``PRODUCT_RUN``).

The loops work on raw pointers (:func:`~skgd._lowlevel.ptr`), taken once per
epoch. An array handed to an inlined helper is reference-counted at every call: two
atomic library calls that also spill every register; with the row prefetch and the
loss both written as helpers that was about ten such calls a row, a third of the SST-2
epoch. Pointer offsets and unsigned indices also compile without the
negative-index wraparound of array indexing.

Dense and CSR rows get separate epoch kernels: with the row bounds known at compile
time the dense dot product and update vectorise (a shared kernel that chose the row
layout per sample ran 2.5x slower). Both prefetch the row ``AHEAD`` samples ahead in
the shuffled order; rows are visited at random, so without the hint every row starts
with a cache miss.
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .._lowlevel import FAST, FAST_ORDERED, prefetch, ptr
from ..losses import LOSS_LOG, log_loss_terms, one_output_loss
from ..solver._clip import clipped

# FAST_ORDERED for the sparse rows: with reassociation LLVM would "vectorise" the
# indexed sums with element-wise gathers, 16 at a time, and spill registers (20 %
# slower on SST-2)
SPARSE_FAST = FAST_ORDERED
AHEAD = 4
# The summed log-loss of unit-weight samples is kept as a product:
# sum_i log(1 + e_i) = log prod_i (1 + e_i), one log per PRODUCT_RUN samples instead of
# a log1p call per sample (~15 % of the SST-2 epoch). The factors lie in [1, 2], so a
# run cannot overflow; each sample's term is exact to ~2e-16 absolute, far below what
# a mean loss is compared at.
PRODUCT_RUN = 64

#: the coefficients ``v`` of ``w = scale * v`` (a pointer, intercepts after the
#: ``n_coef`` coefficients) and the model's layout
ScaledPtrs = namedtuple("ScaledPtrs", "w n_coef K fit_intercept")
#: a row's loss: its compiled kernel, a pointer to its parameters, its ``kernel_code``
#: and pointers to the ``K``-element scratch of raw outputs and output gradient
LossPtrs = namedtuple("LossPtrs", "fn lp code raw dl")
#: one update: its learning rate, the L2 strength and the clipping threshold (0: off)
ScaledStep = namedtuple("ScaledStep", "lr l2 max_norm")


@njit(inline="always")
def csr_rows(data, indices, indptr, y, sw):
    """Pointers to a CSR matrix, its targets and weights, and the prefetch strides
    (elements per cache line) of its values and indices: the ``rows`` argument of
    :func:`prefetch_csr_row`."""
    return (ptr(data), ptr(indices), ptr(indptr), ptr(y), ptr(sw),
            max(64 // data.itemsize, 1), max(64 // indices.itemsize, 1))


@njit(inline="always")
def prefetch_csr_row(rows, i):
    """Ask for CSR row ``i`` (its indices and values), ``y[i]`` and ``sw[i]``."""
    data, indices, indptr, y, sw, data_step, index_step = rows
    a, b = indptr[i], indptr[i + 1]
    for jj in range(a, b, index_step):
        prefetch(indices, jj)
    for jj in range(a, b, data_step):
        prefetch(data, jj)
    prefetch(y, i)
    prefetch(sw, i)


@njit(inline="always")
def dense_rows(X, y, sw):
    """Pointers to a C-ordered ``X``, its targets and weights, the row length and the
    prefetch stride: the ``rows`` argument of :func:`prefetch_dense_row`."""
    return ptr(X), ptr(y), ptr(sw), X.shape[1], max(64 // X.itemsize, 1)


@njit(inline="always")
def prefetch_dense_row(rows, i):
    """Ask for every cache line of the row ``X[i]``, ``y[i]`` and ``sw[i]``."""
    X, y, sw, d, step = rows
    start = i * d
    for q in range(0, d, step):
        prefetch(X, start + q)
    prefetch(y, i)
    prefetch(sw, i)


@njit(inline="always")
def _clipped_step(dsq, xsq, fit_intercept, now):
    """Gradient norm and the step, clipped (:func:`~skgd.solver._clip.clipped`) so that
    the update's norm is at most ``now.max_norm``; the gradient is ``s_i [x, 1] dl^T``,
    whose squared norm ``dsq (xsq + 1)`` needs no pass over the row."""
    norm = np.sqrt(dsq * (xsq + (1.0 if fit_intercept else 0.0)))
    return norm, clipped(now.lr, norm, now.max_norm)


@njit(inline="always")
def _gradient(model, lossk, yi, si, xsq, now):
    """Loss and output gradient ``lossk.dl`` (weighted) of one sample with ``model.K``
    outputs (:data:`ScaledPtrs`, :data:`LossPtrs`, :data:`ScaledStep`); returns
    ``(weighted loss, gradient norm, step)``."""
    K, dl = model.K, lossk.dl
    loss = si * lossk.fn(yi, lossk.raw, K, dl, lossk.lp)
    dsq = 0.0
    for c in range(K):
        dl[c] *= si
        dsq += dl[c] * dl[c]
    norm, f = _clipped_step(dsq, xsq, model.fit_intercept, now)
    return loss, norm, f


@njit(inline="always")
def _add_loss(acc, lossk, yi, si, z):
    """Add a one-output sample's weighted loss to ``acc = (total, product, count)``
    (see ``PRODUCT_RUN``); returns ``(acc, weighted derivative)``."""
    total, prod, count = acc
    if lossk.code == LOSS_LOG and si == 1.0:
        e, linear, d = log_loss_terms(yi, z)
        total += linear
        prod *= 1.0 + e
        count += 1
        if count == PRODUCT_RUN:
            total += math.log(prod)
            prod, count = 1.0, 0
        return (total, prod, count), d
    loss, d = one_output_loss(lossk.code, yi, z, lossk.fn, lossk.lp, lossk.raw, lossk.dl)
    return (total + si * loss, prod, count), si * d


@njit(inline="always")
def _loss_total(acc):
    return acc[0] + math.log(acc[1])


@njit(inline="always")
def _one_output(acc, p, scale, inv, model, lossk, yi, si, xsq, now):
    """:func:`_gradient` for one output held in a register, from the row's dot product
    ``p`` with ``v`` (``w = scale * v``), with the loss inlined when ``lossk.code``
    allows. Returns ``(acc, g, d, norm, f)``: the row's multiplier ``g`` in the update
    of ``v``, the weighted derivative ``d`` and the (clipped) step ``f``."""
    w, n_coef, fit_intercept = model.w, model.n_coef, model.fit_intercept
    z = scale * p + (w[n_coef] if fit_intercept else 0.0)
    acc, d = _add_loss(acc, lossk, yi, si, z)
    norm, f = _clipped_step(d * d, xsq, fit_intercept, now)
    return acc, (f * inv) * d, d, norm, f


@njit(inline="always")
def _one_output_end(model, d, f, now, scale, inv):
    """After a one-output row update: the intercept step, then :func:`_decay`."""
    if model.fit_intercept:
        model.w[model.n_coef] -= f * d
    return _decay(model.w, model.n_coef, now, scale, inv)


@njit(inline="always")
def _decay(w, n_coef, now, scale, inv):
    """The L2 decay of every coefficient through ``scale`` (``w`` a pointer); also
    keeps ``inv = 1 / scale``. Both are updated by multiplications: the loop-carried
    dependency is then a multiply, not a division, in every sample."""
    if now.l2 != 0.0:
        decay = 1.0 + now.lr * now.l2
        scale *= 1.0 / decay
        inv *= decay
        if scale < 1e-9:  # fold the scale in before it underflows
            for j in range(n_coef):
                w[j] *= scale
            scale, inv = 1.0, 1.0
    return scale, inv


@njit(inline="always")
def _intercept_and_scale(model, dl, f, now, scale, inv):
    """Intercept step, then :func:`_decay` (pointers)."""
    w, n_coef = model.w, model.n_coef
    if model.fit_intercept:
        for c in range(model.K):
            w[n_coef + c] -= f * dl[c]
    return _decay(w, n_coef, now, scale, inv)


@njit(inline="always")
def _offset(model, scale, raw):
    w, n_coef, fit_intercept = model.w, model.n_coef, model.fit_intercept
    for c in range(model.K):
        raw[c] = scale * raw[c] + (w[n_coef + c] if fit_intercept else 0.0)


@njit(cache=True, fastmath=FAST)
def sgd_l2_epoch_dense(X, samples, shape, loss, w, sched):
    """One epoch over the dense rows ``X[samples.order]``; returns (summed weighted loss,
    summed gradient norm). ``w`` is updated in place. The bundles are those of
    :mod:`._bundles` (``sched`` an :data:`~._bundles.L2Schedule`); one-output losses
    that ``loss.code`` names are inlined."""
    y, sw, order = samples
    K, fit_intercept = shape
    lrs, l2, max_norm = sched
    lp = loss.params
    n_samples, d = X.shape
    n_coef = d * K
    # scratch for the loss kernel; pointers to it are taken where they are used, so
    # that the arrays stay alive through the loop
    raw_a, dl_a = np.empty(K), np.empty(K)
    rows = dense_rows(X, y, sw)
    Xp, yp, swp = rows[0], rows[1], rows[2]
    wp = ptr(w)
    model = ScaledPtrs(wp, n_coef, K, fit_intercept)
    scale, inv = 1.0, 1.0
    acc = (0.0, 1.0, 0)  # the summed loss (see _add_loss)
    norm_sum = 0.0
    for k in range(order.size):
        if k + AHEAD < order.size:
            prefetch_dense_row(rows, order[k + AHEAD])
        i = order[k]
        row = i * d  # the row's offset in X
        now = ScaledStep(lrs[k], l2, max_norm)
        lossk = LossPtrs(loss.fn, ptr(lp), loss.code, ptr(raw_a), ptr(dl_a))
        xsq = 0.0
        if K == 1:
            p = 0.0
            for j in range(d):
                x = Xp[row + j]
                p += x * wp[j]
                xsq += x * x
            acc, g, g0, norm, f = _one_output(acc, p, scale, inv, model, lossk, yp[i],
                                              swp[i], xsq, now)
            for j in range(d):
                wp[j] -= g * Xp[row + j]
            scale, inv = _one_output_end(model, g0, f, now, scale, inv)
        else:
            raw, dl = lossk.raw, lossk.dl
            for c in range(K):
                raw[c] = 0.0
            for j in range(d):
                xj = Xp[row + j]
                xsq += xj * xj
                for c in range(K):
                    raw[c] += xj * wp[j * K + c]
            _offset(model, scale, raw)
            loss_k, norm, f = _gradient(model, lossk, yp[i], swp[i], xsq, now)
            acc = (acc[0] + loss_k, acc[1], acc[2])
            for j in range(d):
                xj = Xp[row + j] * (f * inv)
                for c in range(K):
                    wp[j * K + c] -= dl[c] * xj
            scale, inv = _intercept_and_scale(model, dl, f, now, scale, inv)
        norm_sum += norm
    for j in range(n_coef):
        w[j] *= scale
    return _loss_total(acc), norm_sum


@njit(cache=True, fastmath=SPARSE_FAST)
def sgd_l2_epoch_csr(X, samples, shape, loss, w, sched):
    """One epoch over the rows ``samples.order`` of the :data:`~._bundles.CSR` ``X`` (its
    own index dtype); as :func:`sgd_l2_epoch_dense`."""
    y, sw, order = samples
    K, fit_intercept = shape
    lrs, l2, max_norm = sched
    lp = loss.params
    n_coef = X.n_features * K
    raw_a, dl_a = np.empty(K), np.empty(K)  # loss scratch, as in the dense kernel
    rows = csr_rows(X.data, X.indices, X.indptr, y, sw)
    vals, cols, yp, swp = rows[0], rows[1], rows[3], rows[4]
    wp = ptr(w)
    model = ScaledPtrs(wp, n_coef, K, fit_intercept)
    scale, inv = 1.0, 1.0
    acc = (0.0, 1.0, 0)  # the summed loss (see _add_loss)
    norm_sum = 0.0
    for k in range(order.size):
        if k + AHEAD < order.size:
            prefetch_csr_row(rows, order[k + AHEAD])
        i = order[k]
        a, b = rows[2][i], rows[2][i + 1]
        now = ScaledStep(lrs[k], l2, max_norm)
        lossk = LossPtrs(loss.fn, ptr(lp), loss.code, ptr(raw_a), ptr(dl_a))
        if K == 1:
            # two independent sums: the row's dot product is on the critical path
            p, p2, xsq, xsq2 = 0.0, 0.0, 0.0, 0.0
            jj = a
            while jj + 1 < b:
                x, x2 = vals[jj], vals[jj + 1]
                p += x * wp[np.uint64(cols[jj])]
                p2 += x2 * wp[np.uint64(cols[jj + 1])]
                xsq += x * x
                xsq2 += x2 * x2
                jj += 2
            if jj < b:
                x = vals[jj]
                p += x * wp[np.uint64(cols[jj])]
                xsq += x * x
            acc, g, g0, norm, f = _one_output(acc, p + p2, scale, inv, model, lossk, yp[i],
                                              swp[i], xsq + xsq2, now)
            for jj in range(a, b):
                wp[np.uint64(cols[jj])] -= g * vals[jj]
            scale, inv = _one_output_end(model, g0, f, now, scale, inv)
        else:
            acc, norm, scale, inv = _csr_multi_row(acc, rows, a, b, model, lossk, yp[i],
                                                   swp[i], now, (scale, inv))
        norm_sum += norm
    for j in range(n_coef):
        w[j] *= scale
    return _loss_total(acc), norm_sum


@njit(inline="always")
def _csr_multi_row(acc, rows, a, b, model, lossk, yi, si, now, scales):
    """The update of a CSR row ``[a, b)`` of a ``K``-output model (``rows`` from
    :func:`csr_rows`); returns ``(acc, norm, scale, inv)``."""
    vals, cols = rows[0], rows[1]
    w, K = model.w, model.K
    raw, dl = lossk.raw, lossk.dl
    scale, inv = scales
    xsq = 0.0
    for c in range(K):
        raw[c] = 0.0
    for jj in range(a, b):
        x = vals[jj]
        xsq += x * x
        base = cols[jj] * K
        for c in range(K):
            raw[c] += x * w[base + c]
    _offset(model, scale, raw)
    loss_k, norm, f = _gradient(model, lossk, yi, si, xsq, now)
    for jj in range(a, b):
        x = vals[jj] * (f * inv)
        base = cols[jj] * K
        for c in range(K):
            w[base + c] -= dl[c] * x
    scale, inv = _intercept_and_scale(model, dl, f, now, scale, inv)
    return (acc[0] + loss_k, acc[1], acc[2]), norm, scale, inv
