"""Plain per-sample SGD with an L2 (or no) penalty in scikit-learn's ``wscale`` form.

The coefficients are kept as ``scale * v`` so that the proximal step
:math:`w \\leftarrow w / (1 + \\eta_t l_2)`, which every coefficient takes at every
update, costs one multiplication of ``scale`` instead of a pass over ``w``; an update
then touches only the sample's non-zero features. The penalty is exact for every
coefficient at every step (no lazy catch-up is needed), so dense rows are read whole
and dense and CSR input still give the same model (up to rounding: the two
kernels sum in different orders). The optimizer rule is plain SGD
inlined: this path is taken only for ``solver="sgd"`` without L1.

Indices are read as unsigned so that no negative-index wraparound is compiled into
the gathers. Dense and CSR rows get separate epoch kernels: with the row bounds known at compile
time the dense dot product and update vectorise (a shared kernel that chose the row
layout per sample ran 2.5x slower). Both prefetch the row ``AHEAD`` samples ahead in
the shuffled order; rows are visited at random, so without the hint every row starts
with a cache miss.
"""

import numpy as np
from numba import njit

from ..solver._rules import ptr
from ..utils._intrinsics import prefetch

# reassociation lets LLVM vectorise the dot products; NaN/inf semantics are kept so
# that divergence is still detected
FAST = {"reassoc", "contract", "nsz"}
# without reassociation: LLVM would otherwise "vectorise" the indexed sums with
# element-wise gathers, 16 at a time, and spill registers (20 % slower on SST-2)
SPARSE_FAST = {"contract", "nsz"}
AHEAD = 4


@njit(inline="always")
def prefetch_csr_row(data, indices, indptr, y, sw, i):
    """Ask for CSR row ``i`` (its indices and values), ``y[i]`` and ``sw[i]``."""
    a, b = indptr[i], indptr[i + 1]
    for jj in range(a, b, max(64 // indices.itemsize, 1)):
        prefetch(indices, jj)
    for jj in range(a, b, max(64 // data.itemsize, 1)):
        prefetch(data, jj)
    prefetch(y, i)
    prefetch(sw, i)


@njit(inline="always")
def prefetch_dense_row(X, y, sw, i):
    """Ask for every cache line of the C-ordered row ``X[i]``, ``y[i]`` and ``sw[i]``."""
    d = X.shape[1]
    start = i * d
    for q in range(0, d, max(64 // X.itemsize, 1)):
        prefetch(X, start + q)  # a flat index into the data
    prefetch(y, i)
    prefetch(sw, i)


@njit(inline="always")
def _gradient(raw, yi, si, xsq, K, fit_intercept, loss_fn, lp, dl, lr, max_norm):
    """Loss and output gradient ``dl`` (weighted) of one sample; returns
    ``(weighted loss, gradient norm, step)`` with the step clipped so that the update's
    norm is at most ``max_norm`` (the gradient is ``si [x, 1] dl^T``: its norm needs no
    pass over the row)."""
    loss = si * loss_fn(yi, ptr(raw), K, ptr(dl), ptr(lp))
    dsq = 0.0
    for c in range(K):
        dl[c] *= si
        dsq += dl[c] * dl[c]
    norm = np.sqrt(dsq * (xsq + (1.0 if fit_intercept else 0.0)))
    f = lr
    if max_norm > 0.0 and norm > max_norm:
        f = lr * max_norm / norm
    return loss, norm, f


@njit(inline="always")
def _intercept_and_scale(w, n_coef, K, fit_intercept, dl, f, lr, l2, scale, inv):
    """Intercept step, then the L2 decay of every coefficient through ``scale``; also
    keeps ``inv = 1 / scale``. Both are updated by multiplications: the loop-carried
    dependency is then a multiply, not a division, in every sample."""
    if fit_intercept:
        for c in range(K):
            w[n_coef + c] -= f * dl[c]
    if l2 != 0.0:
        decay = 1.0 + lr * l2
        scale *= 1.0 / decay
        inv *= decay
        if scale < 1e-9:  # fold the scale in before it underflows
            for j in range(n_coef):
                w[j] *= scale
            scale, inv = 1.0, 1.0
    return scale, inv


@njit(inline="always")
def _offset(w, n_coef, K, fit_intercept, scale, raw):
    for c in range(K):
        raw[c] = scale * raw[c] + (w[n_coef + c] if fit_intercept else 0.0)


@njit(cache=True, fastmath=FAST)
def sgd_l2_epoch_dense(X, y, sw, order, K, fit_intercept, loss_fn, lp, w, lrs, l2,
                       max_norm):
    """One epoch over the dense rows ``X[order]``; returns (summed weighted loss,
    summed gradient norm). ``w`` is updated in place."""
    n_samples, d = X.shape
    n_coef = d * K
    raw = np.empty(K)
    dl = np.empty(K)
    scale, inv = 1.0, 1.0
    loss_sum = 0.0
    norm_sum = 0.0
    for k in range(order.size):
        if k + AHEAD < order.size:
            prefetch_dense_row(X, y, sw, order[k + AHEAD])
        i = order[k]
        xsq = 0.0
        if K == 1:
            p = 0.0
            for j in range(d):
                x = X[i, j]
                p += x * w[j]
                xsq += x * x
            raw[0] = p
        else:
            for c in range(K):
                raw[c] = 0.0
            for j in range(d):
                x = X[i, j]
                xsq += x * x
                for c in range(K):
                    raw[c] += x * w[j * K + c]
        _offset(w, n_coef, K, fit_intercept, scale, raw)
        lr = lrs[k]
        loss, norm, f = _gradient(raw, y[i], sw[i], xsq, K, fit_intercept, loss_fn, lp,
                                  dl, lr, max_norm)
        loss_sum += loss
        norm_sum += norm
        if K == 1:
            g = (f * inv) * dl[0]
            for j in range(d):
                w[j] -= g * X[i, j]
        else:
            for j in range(d):
                x = X[i, j] * (f * inv)
                for c in range(K):
                    w[j * K + c] -= dl[c] * x
        scale, inv = _intercept_and_scale(w, n_coef, K, fit_intercept, dl, f, lr, l2,
                                          scale, inv)
    for j in range(n_coef):
        w[j] *= scale
    return loss_sum, norm_sum


@njit(cache=True, fastmath=SPARSE_FAST)
def sgd_l2_epoch_csr(data, indices, indptr, n_features, y, sw, order, K, fit_intercept,
                     loss_fn, lp, w, lrs, l2, max_norm):
    """One epoch over the CSR rows ``order``; as :func:`sgd_l2_epoch_dense`."""
    n_coef = n_features * K
    raw = np.empty(K)
    dl = np.empty(K)
    scale, inv = 1.0, 1.0
    loss_sum = 0.0
    norm_sum = 0.0
    for k in range(order.size):
        if k + AHEAD < order.size:
            prefetch_csr_row(data, indices, indptr, y, sw, order[k + AHEAD])
        i = order[k]
        a, b = indptr[i], indptr[i + 1]
        xsq = 0.0
        if K == 1:
            # two independent sums: the row's dot product is on the critical path
            p, p2, xsq2 = 0.0, 0.0, 0.0
            jj = a
            while jj + 1 < b:
                x, x2 = data[jj], data[jj + 1]
                p += x * w[np.uint64(indices[jj])]
                p2 += x2 * w[np.uint64(indices[jj + 1])]
                xsq += x * x
                xsq2 += x2 * x2
                jj += 2
            if jj < b:
                x = data[jj]
                p += x * w[np.uint64(indices[jj])]
                xsq += x * x
            raw[0] = p + p2
            xsq += xsq2
        else:
            for c in range(K):
                raw[c] = 0.0
            for jj in range(a, b):
                x = data[jj]
                xsq += x * x
                base = indices[jj] * K
                for c in range(K):
                    raw[c] += x * w[base + c]
        _offset(w, n_coef, K, fit_intercept, scale, raw)
        lr = lrs[k]
        loss, norm, f = _gradient(raw, y[i], sw[i], xsq, K, fit_intercept, loss_fn, lp,
                                  dl, lr, max_norm)
        loss_sum += loss
        norm_sum += norm
        if K == 1:
            g = (f * inv) * dl[0]
            for jj in range(a, b):
                w[np.uint64(indices[jj])] -= g * data[jj]
        else:
            for jj in range(a, b):
                x = data[jj] * (f * inv)
                base = indices[jj] * K
                for c in range(K):
                    w[base + c] -= dl[c] * x
        scale, inv = _intercept_and_scale(w, n_coef, K, fit_intercept, dl, f, lr, l2,
                                          scale, inv)
    for j in range(n_coef):
        w[j] *= scale
    return loss_sum, norm_sum
