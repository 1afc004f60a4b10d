"""Compiled per-sample SGD epochs for linear models (dense rows and CSR rows).

Parameter layout (see ``LinearObjective``): ``coef`` of shape ``(n_features, K)`` row
major, then ``K`` intercepts, so a sample touches the ``K`` coefficients of each of its
non-zero features plus the intercepts.

Updates are row-wise ("lazy"): a coefficient's optimizer state and penalty advance
only in the updates where its feature is non-zero. The penalty of the updates a
coordinate missed is applied in one proximal step, with the summed learning rates, when
it is next touched and at the end of the epoch (exact for L1, whose soft-thresholds
add up; first order for L2). Dense rows follow the same rule -- a zero entry is an
absent feature -- so dense and CSR input give the same model.
"""

import numpy as np
from numba import njit

from ..solver._prox import prox_enet
from ..solver._rules import ptr


@njit(cache=True)
def _catch_up(w, coords, m, dense, cum, k, l1, l2, penalized, ratio, last):
    """Apply the penalty of the updates the coordinates ``coords[:m]`` missed."""
    for j in range(m):
        i = j if dense else coords[j]
        if penalized[i] and last[i] < k:
            missed = cum[k] - cum[last[i]]
            w[i] = prox_enet(w[i], ratio[i] * missed, l1, l2)


@njit(cache=True)
def _update(cols, vals, nnz, all_dense, yi, si, k, K, n_coef, fit_intercept, loss_fn, lp,
            rule, hp, w, state, lrs, t0, l1, l2, penalized, step, ratio, last, cum,
            max_norm, raw, dl, gidx, gval):
    """One per-sample update; returns (weighted loss, gradient norm)."""
    n = w.size
    # gather the touched coordinates: K per non-zero feature, then the intercepts
    m = 0
    if all_dense:
        m = n
    else:
        for j in range(nnz):
            base = cols[j] * K
            for c in range(K):
                gidx[m] = base + c
                m += 1
        if fit_intercept:
            for c in range(K):
                gidx[m] = n_coef + c
                m += 1
    if l1 != 0.0 or l2 != 0.0:
        _catch_up(w, gidx, m, all_dense, cum, k, l1, l2, penalized, ratio, last)
    for c in range(K):
        raw[c] = w[n_coef + c] if fit_intercept else 0.0
    for j in range(nnz):
        base = cols[j] * K
        x = vals[j]
        for c in range(K):
            raw[c] += x * w[base + c]
    loss = loss_fn(yi, ptr(raw), K, ptr(dl), ptr(lp))
    m = 0
    sq = 0.0
    for j in range(nnz):
        x = vals[j]
        for c in range(K):
            g = si * dl[c] * x
            gval[m] = g
            sq += g * g
            m += 1
    if fit_intercept:
        for c in range(K):
            g = si * dl[c]
            gval[m] = g
            sq += g * g
            m += 1
    norm = np.sqrt(sq)
    if max_norm > 0.0 and norm > max_norm:
        scale = max_norm / norm
        for j in range(m):
            gval[j] *= scale
    lr = lrs[k]
    rule(ptr(w), ptr(gval), ptr(gidx), m, 1 if all_dense else 0, ptr(state), n, ptr(hp), lr,
         float(t0 + k + 1), ptr(step))
    if l1 != 0.0 or l2 != 0.0:
        for j in range(m):
            i = j if all_dense else gidx[j]
            if penalized[i]:
                w[i] = prox_enet(w[i], step[i], l1, l2)
                ratio[i] = step[i] / lr if lr > 0 else 1.0
                last[i] = k + 1
    return si * loss, norm


@njit(cache=True)
def _finish(w, cum, k, l1, l2, penalized, ratio, last):
    """End of epoch: catch up every penalised coordinate."""
    if l1 == 0.0 and l2 == 0.0:
        return
    for i in range(w.size):
        if penalized[i] and last[i] < k:
            w[i] = prox_enet(w[i], ratio[i] * (cum[k] - cum[last[i]]), l1, l2)


@njit(cache=True)
def _buffers(w, K, d):
    return (np.empty(d, np.int64), np.empty(d, w.dtype), np.zeros(w.size, np.int64),
            np.empty(K), np.empty(K), np.empty(w.size, np.int64), np.empty(w.size, w.dtype))


@njit(cache=True)
def sgd_epoch_dense(X, y, sw, order, K, fit_intercept, loss_fn, lp, rule, hp, w, state,
                    lrs, t0, l1, l2, penalized, step, ratio, cum, max_norm):
    """Per-sample epoch over the rows ``order`` of a dense C-ordered ``X``."""
    d = X.shape[1]
    n_coef = d * K
    cols, vals, last, raw, dl, gidx, gval = _buffers(w, K, d)
    all_cols = np.arange(d)
    loss_sum = 0.0
    norm_sum = 0.0
    for k in range(order.size):
        i = order[k]
        row = X[i]
        nnz = 0
        for j in range(d):
            if row[j] != 0:
                cols[nnz] = j
                vals[nnz] = row[j]
                nnz += 1
        # a full row touches every coordinate: the rule runs over them contiguously
        full = nnz == d
        loss, norm = _update(all_cols if full else cols, row if full else vals, nnz, full,
                             y[i], sw[i], k, K, n_coef, fit_intercept, loss_fn, lp, rule,
                             hp, w, state, lrs, t0, l1, l2, penalized, step, ratio, last,
                             cum, max_norm, raw, dl, gidx, gval)
        loss_sum += loss
        norm_sum += norm
    _finish(w, cum, order.size, l1, l2, penalized, ratio, last)
    return loss_sum, norm_sum


@njit(cache=True)
def sgd_epoch_csr(data, indices, indptr, y, sw, order, K, fit_intercept, loss_fn, lp,
                  rule, hp, w, state, lrs, t0, l1, l2, penalized, step, ratio, cum,
                  max_norm):
    """Per-sample epoch over the rows ``order`` of a CSR matrix."""
    d = (w.size - (K if fit_intercept else 0)) // K
    n_coef = d * K
    cols, vals, last, raw, dl, gidx, gval = _buffers(w, K, 1)
    loss_sum = 0.0
    norm_sum = 0.0
    for k in range(order.size):
        i = order[k]
        a, b = indptr[i], indptr[i + 1]
        loss, norm = _update(indices[a:b], data[a:b], b - a, False, y[i], sw[i], k, K,
                             n_coef, fit_intercept, loss_fn, lp, rule, hp, w, state, lrs,
                             t0, l1, l2, penalized, step, ratio, last, cum, max_norm, raw,
                             dl, gidx, gval)
        loss_sum += loss
        norm_sum += norm
    _finish(w, cum, order.size, l1, l2, penalized, ratio, last)
    return loss_sum, norm_sum
