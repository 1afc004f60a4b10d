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

The per-group helpers take raw pointers (:func:`~skgd._lowlevel.ptr`; 2-d arrays
flat, row-major), not arrays: every array handed to a compiled helper is
reference-counted at each call, two atomic library calls per array that also spill the
caller's registers. With the twenty-odd arrays of a group that was about 40 such calls
per interaction, about a third of a per-interaction epoch with a compiled rule.
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .._lowlevel import FAST_ARCP, ptr
from ..losses import MF_BPR, MF_LOGISTIC, MF_SQUARED

# the losses' codes, as LOSSES declares them (Loss.recommender_code)
SQUARED, LOGISTIC, BPR = MF_SQUARED, MF_LOGISTIC, MF_BPR

#: the factorization kernels' fastmath flags (see :mod:`skgd._lowlevel.flags`)
FASTMATH = FAST_ARCP

#: the model of an interaction group (:func:`group_model`; arrays as pointers)
GroupModel = namedtuple("GroupModel", "F k loss_code alpha alpha_b mu0 mu_off bias_off "
                                      "fac_off swapped")
#: the per-group scratch of :func:`_group_grad` (pointers)
Scratch = namedtuple("Scratch", "S pred dl slot_f slot_x slot_g gidx gval")
#: the training rows and negative-sampling tables of :func:`_fill_group` (pointers)
GroupData = namedtuple("GroupData", "codes F swap_fields n_swap item_table n_items "
                                    "pos_indptr pos_items cand n_cand")


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
def _predict_rows(w, model, rows, nrows, S, pred):
    """Predictions ``pred[:nrows]`` of the rows ``rows[r * F:(r + 1) * F]``; row ``r`` of
    ``S`` (stride ``max(k, 1)``) gets the sum of the row's factors. Pointers; ``model``
    is a :class:`GroupModel`."""
    F, k, mu0, mu_off = model.F, model.k, model.mu0, model.mu_off
    bias_off, fac_off = model.bias_off, model.fac_off
    ks = max(k, 1)
    for r in range(nrows):
        p = mu0
        if mu_off >= 0:
            p += w[mu_off]
        for f in range(F):
            x = rows[r * F + f]
            if x >= 0 and bias_off[f] >= 0:
                p += w[bias_off[f] + x]
        if F == 2:
            x0, x1 = rows[r * F], rows[r * F + 1]
            if x0 >= 0 and x1 >= 0:
                a, b = fac_off[0] + x0 * k, fac_off[1] + x1 * k
                dot = 0.0
                for j in range(k):
                    dot += w[a + j] * w[b + j]
                p += dot
        else:
            sq = 0.0
            Sr = r * ks
            for j in range(k):
                S[Sr + j] = 0.0
            for f in range(F):
                x = rows[r * F + f]
                if x >= 0:
                    base = fac_off[f] + x * k
                    for j in range(k):
                        v = w[base + j]
                        S[Sr + j] += v
                        sq += v * v
            tot = 0.0
            for j in range(k):
                tot += S[Sr + j] * S[Sr + j]
            p += 0.5 * (tot - sq)
        pred[r] = p


@njit(cache=True, fastmath=FASTMATH)
def _group_loss(pred, dl, nrows, yi, loss_code):
    """Loss of a group from its predictions ``pred[:nrows]``; its derivatives by the
    predictions into ``dl[:nrows]`` (pointers)."""
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
    return loss


@njit(cache=True, fastmath=FASTMATH)
def _pair_grad(w, model, rows, si, sc):
    """Gradient of the common group, biased MF on one rating (two known ids): no
    bookkeeping of shared rows. Returns ``(reg, m)``."""
    k, alpha, alpha_b, mu_off = model.k, model.alpha, model.alpha_b, model.mu_off
    bias_off, fac_off = model.bias_off, model.fac_off
    gidx, gval, slot_g = sc.gidx, sc.gval, sc.slot_g
    ks = max(k, 1)
    reg = 0.0
    m = 0
    e = sc.dl[0]
    if mu_off >= 0:
        gidx[m] = mu_off
        gval[m] = si * e
        m += 1
    for f in range(2):
        c = bias_off[f]
        if c >= 0:
            c += rows[f]
            b = w[c]
            gidx[m] = c
            gval[m] = si * (e + alpha_b * b)
            reg += alpha_b * b * b
            m += 1
        sc.slot_f[f] = f
        sc.slot_x[f] = rows[f]
    a = fac_off[0] + rows[0] * k
    b = fac_off[1] + rows[1] * k
    for j in range(k):
        p = w[a + j]
        q = w[b + j]
        slot_g[j] = si * (e * q + alpha * p)
        slot_g[ks + j] = si * (e * p + alpha * q)
        reg += alpha * (p * p + q * q)
    return reg, m


@njit(cache=True, fastmath=FASTMATH)
def _find_slot(sc, ns, f, x, nrows, ks, k):
    """The slot of row ``(f, x)``, a new zeroed one if none. Returns ``(s, ns)``."""
    for q in range(ns):
        if sc.slot_f[q] == f and sc.slot_x[q] == x:
            return q, ns
    s = ns
    sc.slot_f[s] = f
    sc.slot_x[s] = x
    sc.S[(nrows + s) * ks] = 0.0  # bias gradient of the slot
    for j in range(k):
        sc.slot_g[s * ks + j] = 0.0
    return s, ns + 1


@njit(cache=True, fastmath=FASTMATH)
def _collect_slots(w, model, rows, nrows, sc):
    """The loss derivatives of a group's rows summed over its unique ``(field, id)``
    rows (slots): bias parts in ``S[nrows + s]``, factor parts in ``slot_g[s]``.
    Returns ``(ns, dmu)``."""
    F, k, fac_off = model.F, model.k, model.fac_off
    S, dl, slot_g = sc.S, sc.dl, sc.slot_g
    ks = max(k, 1)
    ns = 0
    dmu = 0.0
    for r in range(nrows):
        dmu += dl[r]
        for f in range(F):
            x = rows[r * F + f]
            if x < 0:
                continue
            s, ns = _find_slot(sc, ns, f, x, nrows, ks, k)
            S[(nrows + s) * ks] += dl[r]
            # d pred / d v_f = sum of the other fields' factors
            if F == 2:
                xo = rows[r * F + 1 - f]
                if xo >= 0:
                    ob = fac_off[1 - f] + xo * k
                    for j in range(k):
                        slot_g[s * ks + j] += dl[r] * w[ob + j]
            else:
                base = fac_off[f] + x * k
                for j in range(k):
                    slot_g[s * ks + j] += dl[r] * (S[r * ks + j] - w[base + j])
    return ns, dmu


@njit(cache=True, fastmath=FASTMATH)
def _slot_grads(w, model, nrows, si, sc, ns, dmu):
    """The weighted, regularised gradient of the collected slots: mean and biases as
    coordinates ``gidx[:m]``/``gval[:m]``, factor rows in ``slot_g``. Returns
    ``(reg, m)``."""
    k, loss_code, alpha, alpha_b = model.k, model.loss_code, model.alpha, model.alpha_b
    mu_off, bias_off, fac_off, swapped = (model.mu_off, model.bias_off, model.fac_off,
                                          model.swapped)
    gidx, gval, slot_g = sc.gidx, sc.gval, sc.slot_g
    ks = max(k, 1)
    reg = 0.0
    m = 0
    if mu_off >= 0 and loss_code != BPR:
        gidx[m] = mu_off
        gval[m] = si * dmu
        m += 1
    for s in range(ns):
        f = sc.slot_f[s]
        x = sc.slot_x[s]
        # with BPR the biases of fields shared by both rows cancel: leave them alone
        if bias_off[f] >= 0 and (loss_code != BPR or swapped[f]):
            c = bias_off[f] + x
            b = w[c]
            gidx[m] = c
            gval[m] = si * (sc.S[(nrows + s) * ks] + alpha_b * b)
            reg += alpha_b * b * b
            m += 1
        base = fac_off[f] + x * k
        for j in range(k):
            v = w[base + j]
            slot_g[s * ks + j] = si * (slot_g[s * ks + j] + alpha * v)
            reg += alpha * v * v
    return reg, m


@njit(cache=True, fastmath=FASTMATH)
def _group_grad(w, model, rows, nrows, yi, si, scratch):
    """Loss (weighted, with the regularisation of the touched rows) and gradient of one
    interaction group (the rows filled by :func:`_fill_group`).

    The gradient is written as ``m`` unique bias/mean coordinates ``gidx[:m]`` with
    values ``gval[:m]`` and ``ns`` factor rows: field ``slot_f[s]``, id ``slot_x[s]``,
    gradient row ``s`` of ``slot_g``. ``model`` is a :class:`GroupModel`, ``scratch`` a
    :class:`Scratch` of pointers, ``S`` and ``slot_g`` of stride ``max(k, 1)``; ``w``
    and ``rows`` (stride ``F``) are pointers too. Returns ``(loss, m, ns)``.
    """
    _predict_rows(w, model, rows, nrows, scratch.S, scratch.pred)
    loss = _group_loss(scratch.pred, scratch.dl, nrows, yi, model.loss_code)
    if nrows == 1 and model.F == 2 and rows[0] >= 0 and rows[1] >= 0:
        reg, m = _pair_grad(w, model, rows, si, scratch)
        return si * (loss + 0.5 * reg), m, 2
    # general case: collect the gradient over unique (field, id) rows
    ns, dmu = _collect_slots(w, model, rows, nrows, scratch)
    reg, m = _slot_grads(w, model, nrows, si, scratch, ns, dmu)
    return si * (loss + 0.5 * reg), m, ns


@njit(cache=True)
def _contains(sorted_items, a, b, j):
    # binary search of j in sorted_items[a:b] (a pointer)
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
def _fill_group(data, i, rows, nrows):
    """Row ``i`` and its sampled negatives into ``rows`` (a pointer, stride ``F``):
    negatives draw items uniformly (among the candidates ``cand`` when there are
    any, else among all items), rejecting the user's training items (numba's
    generator, seeded by the caller). ``data`` is :func:`group_data`."""
    codes, F, swap_fields, n_swap = data.codes, data.F, data.swap_fields, data.n_swap
    item_table, n_items, pos_indptr, pos_items = (data.item_table, data.n_items,
                                                  data.pos_indptr, data.pos_items)
    cand, n_cand = data.cand, data.n_cand
    c0 = i * F
    for f in range(F):
        rows[f] = codes[c0 + f]
    u = codes[c0]
    pos = codes[c0 + 1]
    for r in range(1, nrows):
        for f in range(F):
            rows[r * F + f] = codes[c0 + f]
        j = pos
        for _ in range(32):
            if n_cand > 0:
                j = cand[np.random.randint(0, n_cand)]  # noqa: NPY002
            else:
                j = np.random.randint(0, n_items)  # noqa: NPY002 (numba's generator)
            if j != pos and not (u >= 0 and _contains(pos_items, pos_indptr[u],
                                                      pos_indptr[u + 1], j)):
                break
        for c in range(n_swap):
            rows[r * F + swap_fields[c]] = item_table[j * n_swap + c]


@njit(inline="always")
def group_model(F, k, loss_code, alpha, alpha_b, mu0, mu_off, bias_off, fac_off, swapped):
    """The model arguments of :func:`_group_grad`: the arrays as pointers (kernel
    arguments, which outlive them)."""
    return GroupModel(F, k, loss_code, alpha, alpha_b, mu0, mu_off, ptr(bias_off),
                      ptr(fac_off), ptr(swapped))


@njit(inline="always")
def group_data(codes, swap_fields, item_table, pos_indptr, pos_items, cand):
    """The training rows and negative-sampling tables as the pointers and sizes that
    :func:`_fill_group` takes (C-contiguous int64 arrays; computed once per call of
    a kernel, whose arguments they are, so the arrays outlive the pointers).
    ``cand``: the items negatives are drawn from (empty: all)."""
    return GroupData(ptr(codes), codes.shape[1], ptr(swap_fields), swap_fields.size,
                     ptr(item_table), item_table.shape[0], ptr(pos_indptr), ptr(pos_items),
                     ptr(cand), cand.size)


@njit(cache=True, fastmath=FASTMATH)
def predict(w, codes, k, mu0, mu_off, bias_off, fac_off):
    """Predictions of every row of ``codes`` (unseen ids, ``-1``, contribute nothing)."""
    n, F = codes.shape
    out = np.empty(n)
    S = np.zeros(max(k, 1))
    pred = np.empty(1)
    row = np.empty(F, np.int64)
    swapped = np.zeros(F, np.uint8)
    model = group_model(F, k, SQUARED, 0.0, 0.0, mu0, mu_off, bias_off, fac_off, swapped)
    for i in range(n):
        for f in range(F):
            row[f] = codes[i, f]
        _predict_rows(ptr(w), model, ptr(row), 1, ptr(S), ptr(pred))
        out[i] = pred[0]
    return out
