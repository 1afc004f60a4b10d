"""Compiled kernels of the factorization model (numba, cached on disk): predictions,
the loss and gradient of one interaction group and negative sampling. The epochs that
use them are in :mod:`._epochs`.

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
