"""Compiled kernels of the factorization model (numba, cached on disk).

Parameter layout (see ``MFObjective``): an optional learned global bias, then one bias
vector per field that has biases, then one ``(n_ids, k)`` row-major factor matrix per
field. A model row is a vector of ``F`` field indices (``-1``: unseen id, which
contributes nothing). For ``k`` factors the prediction is

    mu + sum_f b_f[x_f] + sum_{f<g} <V_f[x_f], V_g[x_g]>

and the pairwise sum is computed as ``(|S|^2 - sum_f |v_f|^2) / 2`` with
``S = sum_f v_f`` (Rendle's FM trick; two fields use the plain dot product, which is
exact).

An *interaction group* is one training row plus, for the implicit losses, its sampled
negatives: copies of the row whose item-side fields (the item and its attributes) are
replaced by those of a random item the user has not interacted with. The gradient of
a group is collected over the unique parameter rows it touches ("slots"), with the
per-interaction regularisation ``alpha |v|^2 / 2`` of every touched factor row and
``alpha_bias b^2 / 2`` of every touched bias, and handed to the optimizer's compiled
update rule in one call: all parameters of the group move simultaneously, from
gradients evaluated at the old values (as in Funk-SVD / Surprise).
"""

import math

import numpy as np
from numba import njit

from ..solver._rules import ptr

SQUARED, LOGISTIC, BPR = 0, 1, 2

#: reassociation lets LLVM vectorise the dot products and sums of squares (the
#: strict left-to-right order makes them latency bound); no flag assumes finite values,
#: so overflow still shows up as inf/NaN for the solver's divergence check
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@njit(cache=True)
def _softplus(x):
    # log(1 + e^x) without overflow
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@njit(cache=True)
def _sigmoid(x):
    # 1 / (1 + e^-x) without overflow on either side
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True, fastmath=FASTMATH)
def _predict_rows(w, rows, nrows, F, k, mu0, mu_off, bias_off, fac_off, S, pred):
    """Predictions of ``rows[:nrows]``; ``S[r]`` gets the sum of the row's factors."""
    for r in range(nrows):
        p = mu0
        if mu_off >= 0:
            p += w[mu_off]
        for f in range(F):
            x = rows[r, f]
            if x >= 0 and bias_off[f] >= 0:
                p += w[bias_off[f] + x]
        if F == 2:
            x0, x1 = rows[r, 0], rows[r, 1]
            if x0 >= 0 and x1 >= 0:
                a, b = fac_off[0] + x0 * k, fac_off[1] + x1 * k
                dot = 0.0
                for j in range(k):
                    dot += w[a + j] * w[b + j]
                p += dot
        else:
            sq = 0.0
            for j in range(k):
                S[r, j] = 0.0
            for f in range(F):
                x = rows[r, f]
                if x >= 0:
                    base = fac_off[f] + x * k
                    for j in range(k):
                        v = w[base + j]
                        S[r, j] += v
                        sq += v * v
            tot = 0.0
            for j in range(k):
                tot += S[r, j] * S[r, j]
            p += 0.5 * (tot - sq)
        pred[r] = p
    return pred


@njit(cache=True, fastmath=FASTMATH)
def _group_grad(w, rows, nrows, F, k, loss_code, yi, si, alpha, alpha_b, mu0, mu_off,
                bias_off, fac_off, swapped, S, pred, dl, slot_f, slot_x, slot_g, gidx, gval):
    """Loss (weighted, with the regularisation of the touched rows) and gradient of one
    interaction group.

    The gradient is written as ``m`` unique bias/mean coordinates ``gidx[:m]`` with
    values ``gval[:m]`` and ``ns`` factor rows: field ``slot_f[s]``, id ``slot_x[s]``,
    gradient ``slot_g[s]``. Returns ``(loss, m, ns)``.
    """
    _predict_rows(w, rows, nrows, F, k, mu0, mu_off, bias_off, fac_off, S, pred)
    loss = 0.0
    if loss_code == SQUARED:
        e = pred[0] - yi
        loss = 0.5 * e * e
        dl[0] = e
    elif loss_code == LOGISTIC:
        # positive row labelled 1, negatives labelled 0
        loss = _softplus(-pred[0])
        dl[0] = -_sigmoid(-pred[0])
        for r in range(1, nrows):
            loss += _softplus(pred[r])
            dl[r] = _sigmoid(pred[r])
    else:
        # BPR: -log sigmoid(pred_pos - pred_neg) per sampled negative
        dl[0] = 0.0
        for r in range(1, nrows):
            d = pred[0] - pred[r]
            loss += _softplus(-d)
            g = _sigmoid(-d)
            dl[0] -= g
            dl[r] = g
    reg = 0.0
    m = 0
    if nrows == 1 and F == 2 and rows[0, 0] >= 0 and rows[0, 1] >= 0:
        # the common case, biased MF on one rating: no bookkeeping of shared rows
        e = dl[0]
        if mu_off >= 0:
            gidx[m] = mu_off
            gval[m] = si * e
            m += 1
        for f in range(2):
            c = bias_off[f]
            if c >= 0:
                c += rows[0, f]
                b = w[c]
                gidx[m] = c
                gval[m] = si * (e + alpha_b * b)
                reg += alpha_b * b * b
                m += 1
            slot_f[f] = f
            slot_x[f] = rows[0, f]
        a = fac_off[0] + rows[0, 0] * k
        b = fac_off[1] + rows[0, 1] * k
        for j in range(k):
            p = w[a + j]
            q = w[b + j]
            slot_g[0, j] = si * (e * q + alpha * p)
            slot_g[1, j] = si * (e * p + alpha * q)
            reg += alpha * (p * p + q * q)
        return si * (loss + 0.5 * reg), m, 2
    # general case: collect the gradient over unique (field, id) rows
    ns = 0
    dmu = 0.0
    for r in range(nrows):
        dmu += dl[r]
        for f in range(F):
            x = rows[r, f]
            if x < 0:
                continue
            s = -1
            for q in range(ns):
                if slot_f[q] == f and slot_x[q] == x:
                    s = q
                    break
            if s < 0:
                s = ns
                ns += 1
                slot_f[s] = f
                slot_x[s] = x
                S[nrows + s, 0] = 0.0  # bias gradient of the slot
                for j in range(k):
                    slot_g[s, j] = 0.0
            S[nrows + s, 0] += dl[r]
            # d pred / d v_f = sum of the other fields' factors
            if F == 2:
                xo = rows[r, 1 - f]
                if xo >= 0:
                    ob = fac_off[1 - f] + xo * k
                    for j in range(k):
                        slot_g[s, j] += dl[r] * w[ob + j]
            else:
                base = fac_off[f] + x * k
                for j in range(k):
                    slot_g[s, j] += dl[r] * (S[r, j] - w[base + j])
    if mu_off >= 0 and loss_code != BPR:
        gidx[m] = mu_off
        gval[m] = si * dmu
        m += 1
    for s in range(ns):
        f = slot_f[s]
        x = slot_x[s]
        # with BPR the biases of fields shared by both rows cancel: leave them alone
        if bias_off[f] >= 0 and (loss_code != BPR or swapped[f]):
            c = bias_off[f] + x
            b = w[c]
            gidx[m] = c
            gval[m] = si * (S[nrows + s, 0] + alpha_b * b)
            reg += alpha_b * b * b
            m += 1
        base = fac_off[f] + x * k
        for j in range(k):
            v = w[base + j]
            slot_g[s, j] = si * (slot_g[s, j] + alpha * v)
            reg += alpha * v * v
    return si * (loss + 0.5 * reg), m, ns


@njit(cache=True)
def _contains(sorted_items, a, b, j):
    # binary search of j in sorted_items[a:b]
    while a < b:
        mid = (a + b) // 2
        v = sorted_items[mid]
        if v == j:
            return True
        if v < j:
            a = mid + 1
        else:
            b = mid
    return False


@njit(cache=True)
def _fill_group(codes, i, rows, nrows, swap_fields, item_table, pos_indptr, pos_items):
    """Row ``i`` and its sampled negatives (uniform over the items, rejecting the
    user's training items; numba's generator, seeded by the caller)."""
    F = codes.shape[1]
    for f in range(F):
        rows[0, f] = codes[i, f]
    n_items = item_table.shape[0]
    u = codes[i, 0]
    pos = codes[i, 1]
    for r in range(1, nrows):
        for f in range(F):
            rows[r, f] = codes[i, f]
        j = pos
        for _ in range(32):
            j = np.random.randint(0, n_items)  # noqa: NPY002 (numba's generator)
            if j != pos and not (u >= 0 and _contains(pos_items, pos_indptr[u],
                                                      pos_indptr[u + 1], j)):
                break
        for c in range(swap_fields.size):
            rows[r, swap_fields[c]] = item_table[j, c]


@njit(cache=True)
def _scratch(w, F, k, nrows):
    ms = F * nrows
    return (np.empty((nrows, F), np.int64), np.zeros((nrows + ms, max(k, 1))),
            np.empty(nrows), np.empty(nrows), np.empty(ms, np.int64),
            np.empty(ms, np.int64), np.empty((ms, max(k, 1)), w.dtype),
            np.empty(ms + 1, np.int64), np.empty(ms + 1, w.dtype))


@njit(cache=True, fastmath=FASTMATH)
def sample_epoch(codes, y, sw, order, k, loss_code, n_neg, alpha, alpha_b, mu0, mu_off,
                 bias_off, fac_off, swapped, swap_fields, item_table, pos_indptr, pos_items,
                 seed, rule, hp, w, state, lrs, t0, step, max_norm):
    """Per-interaction epoch over the rows ``order``. Returns (sum of losses, sum of
    gradient norms).

    Each interaction's gradient goes through the optimizer's compiled update rule: one
    call for the biases it touches, then one call per factor row, on the row's
    contiguous block (``dense=1`` with pointers offset to the row; the state of slot
    ``s`` of coordinate ``i`` stays at ``state[s * n + i]``).
    """
    np.random.seed(seed)  # noqa: NPY002 (seeds numba's own generator)
    F = codes.shape[1]
    nrows = 1 if loss_code == SQUARED else 1 + n_neg
    rows, S, pred, dl, slot_f, slot_x, slot_g, gidx, gval = _scratch(w, F, k, nrows)
    loss_sum = 0.0
    norm_sum = 0.0
    n = w.size
    for kk in range(order.size):
        i = order[kk]
        _fill_group(codes, i, rows, nrows, swap_fields, item_table, pos_indptr, pos_items)
        loss, m, ns = _group_grad(w, rows, nrows, F, k, loss_code, y[i], sw[i], alpha,
                                  alpha_b, mu0, mu_off, bias_off, fac_off, swapped, S, pred,
                                  dl, slot_f, slot_x, slot_g, gidx, gval)
        sq = 0.0
        for j in range(m):
            sq += gval[j] * gval[j]
        for s in range(ns):
            for j in range(k):
                sq += slot_g[s, j] * slot_g[s, j]
        norm = math.sqrt(sq)
        # clipping by the global norm of this interaction's gradient
        if max_norm > 0.0 and norm > max_norm:
            scale = max_norm / norm
            for j in range(m):
                gval[j] *= scale
            for s in range(ns):
                for j in range(k):
                    slot_g[s, j] *= scale
        lr = lrs[kk]
        t = float(t0 + kk + 1)
        if m > 0:
            rule(ptr(w), ptr(gval), ptr(gidx), m, 0, ptr(state), n, ptr(hp), lr, t,
                 ptr(step))
        for s in range(ns):
            a = fac_off[slot_f[s]] + slot_x[s] * k
            rule(ptr(w[a:]), ptr(slot_g[s]), ptr(gidx), k, 1, ptr(state[a:]), n, ptr(hp),
                 lr, t, ptr(step[a:]))
        loss_sum += loss
        norm_sum += norm
    return loss_sum, norm_sum


@njit(cache=True, fastmath=FASTMATH)
def _sqnorm(v):
    s = 0.0
    for j in range(v.size):
        s += v[j] * v[j]
    return s


@njit(cache=True, fastmath=FASTMATH, boundscheck=False)
def sgd_pair_epoch(users, items, y, sw, order, alpha, alpha_b, mu0, mu_off, bu_off, bi_off,
                   P2, Q2, w, lrs, max_norm):
    """Per-interaction epoch of biased MF (two fields, squared error) with plain SGD.

    The inlined special case of :func:`sample_epoch` for the SGD rule
    :math:`w \\leftarrow w - \\eta g`: the same gradients (evaluated at the old
    values) and the same update, fused into one pass over the two factor rows, which
    the compiler vectorises (the call through the rule's pointer cannot be). ``P2`` and
    ``Q2`` are the ``(n_users, k)`` and ``(n_items, k)`` row-major views of the factor
    blocks of ``w``; ``users``/``items`` the field indices of the rows, read in the
    order ``order`` (no per-epoch gather). Only :math:`p^\\top q` is a reduction per
    interaction: the squared row norms (for the reported loss and gradient norm) are
    computed once per epoch and updated in closed form. The gradient norm uses
    :math:`\\|g_p\\|^2 + \\|g_q\\|^2 = s^2[(e^2+\\alpha^2)(\\|p\\|^2+\\|q\\|^2)
    + 4 e \\alpha\\, p^\\top q]`.
    """
    loss_sum = 0.0
    norm_sum = 0.0
    k = P2.shape[1]
    k8 = k - k % 8
    # squared norms of the rows, kept up to date in O(1) per update (only the reported
    # loss and gradient norm read them; the parameters never do)
    pn = np.empty(P2.shape[0])
    qn = np.empty(Q2.shape[0])
    for r in range(P2.shape[0]):
        pn[r] = _sqnorm(P2[r])
    for r in range(Q2.shape[0]):
        qn[r] = _sqnorm(Q2[r])
    has_mu = mu_off >= 0
    has_bu = bu_off >= 0
    has_bi = bi_off >= 0
    clip = max_norm > 0.0
    for kk in range(order.size):
        i = order[kk]
        x0 = users[i]
        x1 = items[i]
        si = sw[i]
        pred = mu0
        if has_mu:
            pred += w[mu_off]
        bu = w[bu_off + x0] if has_bu else 0.0
        bi = w[bi_off + x1] if has_bi else 0.0
        P = P2[x0]
        Q = Q2[x1]
        pp = pn[x0]
        qq = qn[x1]
        pq = 0.0
        # the loops run to a multiple of 8 (vectorised, two accumulators), then over the
        # tail in a loop of its own: the compiler vectorises that one too, instead of a
        # scalar remainder (about 12% faster for k=100)
        for j in range(k8):
            pq += P[j] * Q[j]
        for j in range(k8, k):
            pq += P[j] * Q[j]
        e = pred + bu + bi + pq - y[i]
        reg = alpha * (pp + qq)
        sq = (e * e + alpha * alpha) * (pp + qq) + 4.0 * e * alpha * pq
        if has_mu:
            sq += e * e
        if has_bu:
            sq += (e + alpha_b * bu) ** 2
            reg += alpha_b * bu * bu
        if has_bi:
            sq += (e + alpha_b * bi) ** 2
            reg += alpha_b * bi * bi
        norm = si * math.sqrt(max(sq, 0.0))
        # clipping by the global norm of this interaction's gradient
        c = lrs[kk] * si
        if clip and norm > max_norm:
            c *= max_norm / norm
        if has_mu:
            w[mu_off] -= c * e
        if has_bu:
            w[bu_off + x0] = bu - c * (e + alpha_b * bu)
        if has_bi:
            w[bi_off + x1] = bi - c * (e + alpha_b * bi)
        for j in range(k8):
            p = P[j]
            q = Q[j]
            P[j] = p - c * (e * q + alpha * p)
            Q[j] = q - c * (e * p + alpha * q)
        for j in range(k8, k):
            p = P[j]
            q = Q[j]
            P[j] = p - c * (e * q + alpha * p)
            Q[j] = q - c * (e * p + alpha * q)
        # p' = d p - g q and q' = d q - g p, so |p'|^2 = d^2 |p|^2 - 2 d g p.q + g^2 |q|^2
        d = 1.0 - c * alpha
        g = c * e
        cross = 2.0 * d * g * pq
        pn[x0] = max(d * d * pp - cross + g * g * qq, 0.0)
        qn[x1] = max(d * d * qq - cross + g * g * pp, 0.0)
        loss_sum += si * (0.5 * e * e + 0.5 * reg)
        norm_sum += norm
    return loss_sum, norm_sum


@njit(cache=True, fastmath=FASTMATH)
def batch_grad(codes, y, sw, idx, k, loss_code, n_neg, alpha, alpha_b, mu0, mu_off,
               bias_off, fac_off, swapped, swap_fields, item_table, pos_indptr, pos_items,
               seed, w, acc, mark, touched):
    """Summed loss and gradient of the groups of rows ``idx``, as unique coordinates.

    ``acc`` (zeros) and ``mark`` (-1) are scratch of ``w``'s length, restored on return.
    Returns ``(loss_sum, coords, grad_sum)``.
    """
    np.random.seed(seed)  # noqa: NPY002 (seeds numba's own generator)
    F = codes.shape[1]
    nrows = 1 if loss_code == SQUARED else 1 + n_neg
    rows, S, pred, dl, slot_f, slot_x, slot_g, gidx, gval = _scratch(acc, F, k, nrows)
    nt = 0
    loss_sum = 0.0
    for q in range(idx.size):
        i = idx[q]
        _fill_group(codes, i, rows, nrows, swap_fields, item_table, pos_indptr, pos_items)
        loss, m, ns = _group_grad(w, rows, nrows, F, k, loss_code, y[i], sw[i], alpha,
                                  alpha_b, mu0, mu_off, bias_off, fac_off, swapped, S, pred,
                                  dl, slot_f, slot_x, slot_g, gidx, gval)
        loss_sum += loss
        for j in range(m + ns * k):
            if j < m:
                c = gidx[j]
                g = gval[j]
            else:
                s = (j - m) // k
                c = fac_off[slot_f[s]] + slot_x[s] * k + (j - m) % k
                g = slot_g[s, (j - m) % k]
            if mark[c] < 0:
                mark[c] = nt
                touched[nt] = c
                nt += 1
            acc[c] += g
    coords = touched[:nt].copy()
    vals = np.empty(nt)
    for j in range(nt):
        c = coords[j]
        vals[j] = acc[c]
        acc[c] = 0.0
        mark[c] = -1
    return loss_sum, coords, vals


@njit(cache=True, fastmath=FASTMATH)
def batch_loss(codes, y, sw, idx, k, loss_code, n_neg, alpha, alpha_b, mu0, mu_off,
               bias_off, fac_off, swapped, swap_fields, item_table, pos_indptr, pos_items,
               seed, w):
    """Summed loss of the groups of rows ``idx`` (:func:`batch_grad` without the
    gradient accumulation)."""
    np.random.seed(seed)  # noqa: NPY002 (seeds numba's own generator)
    F = codes.shape[1]
    nrows = 1 if loss_code == SQUARED else 1 + n_neg
    rows, S, pred, dl, slot_f, slot_x, slot_g, gidx, gval = _scratch(w, F, k, nrows)
    loss_sum = 0.0
    for q in range(idx.size):
        i = idx[q]
        _fill_group(codes, i, rows, nrows, swap_fields, item_table, pos_indptr, pos_items)
        loss, m, ns = _group_grad(w, rows, nrows, F, k, loss_code, y[i], sw[i], alpha,
                                  alpha_b, mu0, mu_off, bias_off, fac_off, swapped, S, pred,
                                  dl, slot_f, slot_x, slot_g, gidx, gval)
        loss_sum += loss
    return loss_sum


@njit(cache=True, fastmath=FASTMATH)
def predict(w, codes, k, mu0, mu_off, bias_off, fac_off):
    """Predictions of every row of ``codes`` (unseen ids, ``-1``, contribute nothing)."""
    n, F = codes.shape
    out = np.empty(n)
    S = np.zeros((1, max(k, 1)))
    pred = np.empty(1)
    for i in range(n):
        _predict_rows(w, codes[i:i + 1], 1, F, k, mu0, mu_off, bias_off, fac_off, S, pred)
        out[i] = pred[0]
    return out
