"""Compiled per-sample SGD epochs for linear models (dense rows and CSR rows).

Parameter layout (see ``LinearObjective``): ``coef`` of shape ``(n_features, K)`` row
major, then ``K`` intercepts, so a sample touches the ``K`` coefficients of each of its
non-zero features plus the intercepts.

Updates are row-wise ("lazy"): a coefficient's optimizer state and penalty advance
only in the updates where its feature is non-zero. The L2 shrinkage of the updates a
coordinate missed is applied in one step, with the summed learning rates, when it is
next touched and at the end of the epoch. Dense rows follow the same rule -- a zero
entry is an absent feature -- so dense and CSR input give the same model.

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
def _penalize(w, i, eta, l1, l2, u, q):
    """Shrink coordinate ``i`` by the L2 part of step ``eta`` and settle its L1 debt."""
    wi = w[i] / (1.0 + eta * l2) if l2 != 0.0 else w[i]
    if l1 != 0.0:
        u[i] += eta * l1
        wi, q[i] = _pay_l1(wi, u[i], q[i])
    w[i] = wi


@njit(cache=True)
def _catch_up(w, coords, m, dense, cum, k, l1, l2, penalized, ratio, last, u, q):
    """Apply the penalty of the updates the coordinates ``coords[:m]`` missed."""
    for j in range(m):
        i = j if dense else coords[j]
        if penalized[i] and last[i] < k:
            _penalize(w, i, ratio[i] * (cum[k] - cum[last[i]]), l1, l2, u, q)


@njit(cache=True)
def _update(cols, vals, nnz, all_dense, yi, si, k, K, n_coef, fit_intercept, loss_fn, lp,
            rule, hp, w, state, lrs, t0, l1, l2, penalized, step, ratio, last, cum,
            max_norm, raw, dl, gidx, gval, u, q):
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
        _catch_up(w, gidx, m, all_dense, cum, k, l1, l2, penalized, ratio, last, u, q)
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
                _penalize(w, i, step[i], l1, l2, u, q)
                ratio[i] = step[i] / lr if lr > 0 else 1.0
                last[i] = k + 1
    return si * loss, norm


@njit(cache=True)
def _finish(w, cum, k, l1, l2, penalized, ratio, last, u, q):
    """End of epoch: catch up every penalised coordinate."""
    if l1 != 0.0 or l2 != 0.0:
        _catch_up(w, w[:0].astype(np.int64), w.size, True, cum, k, l1, l2, penalized, ratio,
                  last, u, q)


@njit(cache=True)
def _buffers(w, K, d):
    return (np.empty(d, np.int64), np.empty(d, w.dtype), np.zeros(w.size, np.int64),
            np.empty(K), np.empty(K), np.empty(w.size, np.int64), np.empty(w.size, w.dtype),
            np.zeros(w.size), np.zeros(w.size))


@njit(cache=True)
def sgd_epoch_dense(X, y, sw, order, K, fit_intercept, loss_fn, lp, rule, hp, w, state,
                    lrs, t0, l1, l2, penalized, step, ratio, cum, max_norm):
    """Per-sample epoch over the rows ``order`` of a dense C-ordered ``X``."""
    d = X.shape[1]
    n_coef = d * K
    cols, vals, last, raw, dl, gidx, gval, u, q = _buffers(w, K, d)
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
        loss, norm = _update(cols, vals, nnz, nnz == d, y[i], sw[i], k, K, n_coef,
                             fit_intercept, loss_fn, lp, rule, hp, w, state, lrs, t0, l1, l2,
                             penalized, step, ratio, last, cum, max_norm, raw, dl, gidx, gval,
                             u, q)
        loss_sum += loss
        norm_sum += norm
    _finish(w, cum, order.size, l1, l2, penalized, ratio, last, u, q)
    return loss_sum, norm_sum


@njit(cache=True)
def sgd_epoch_csr(data, indices, indptr, y, sw, order, K, fit_intercept, loss_fn, lp,
                  rule, hp, w, state, lrs, t0, l1, l2, penalized, step, ratio, cum,
                  max_norm):
    """Per-sample epoch over the rows ``order`` of a CSR matrix."""
    d = (w.size - (K if fit_intercept else 0)) // K
    n_coef = d * K
    cols, vals, last, raw, dl, gidx, gval, u, q = _buffers(w, K, 1)
    loss_sum = 0.0
    norm_sum = 0.0
    for k in range(order.size):
        i = order[k]
        a, b = indptr[i], indptr[i + 1]
        loss, norm = _update(indices[a:b], data[a:b], b - a, False, y[i], sw[i], k, K,
                             n_coef, fit_intercept, loss_fn, lp, rule, hp, w, state, lrs,
                             t0, l1, l2, penalized, step, ratio, last, cum, max_norm, raw,
                             dl, gidx, gval, u, q)
        loss_sum += loss
        norm_sum += norm
    _finish(w, cum, order.size, l1, l2, penalized, ratio, last, u, q)
    return loss_sum, norm_sum
