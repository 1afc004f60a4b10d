"""Compiled epochs of the factorization model (numba, cached on disk).

:func:`sample_epoch` runs per-interaction updates through an optimizer's compiled
rule, :func:`sgd_pair_epoch` is its inlined special case for biased MF with plain SGD,
and :func:`batch_grad`/:func:`batch_loss` sum the gradient or loss of a mini-batch of
interaction groups (see :mod:`._kernels` for the model, the groups and the layout).
Their per-group helpers take pointers, taken at the call, where the scratch arrays
are used: an array allocated in the kernel and then held only as a pointer would be
freed after its last use.

The two SGD epochs prefetch the per-interaction data (user and item ids, rating,
weight) ``AHEAD`` rows ahead in the visiting order: the order is shuffled, so each of
these reads misses the cache, and the factor rows' addresses wait on the ids. On
ml-100k u1.base (interleaved runs, medians of 31) this cut the default fit's epoch
time by 24-37 % (the whole fit by 22 %) and the SVD++ epoch's by 7 %; distances 4 to 8
measured the same.
Prefetching the factor rows themselves (every line or the first two, 2 to 8 rows ahead)
gained under 3 % on top, within the noise, so it is not done. An unshuffled epoch over
rows grouped by user (Surprise's order) is unchanged, its reads being sequential.
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from .._lowlevel import prefetch, ptr
from ..solver._clip import clip_scale, clipped
from ._kernels import FASTMATH, SQUARED, Scratch, _fill_group, _group_grad, group_data, group_model

#: prefetch distance, in interactions, of the SGD epochs (see the module docstring)
AHEAD = 6

#: the training rows of the generic kernels and their negative-sampling tables
#: (``cand``: the items negatives are drawn from, empty for all of them)
Groups = namedtuple("Groups", "codes y sw swap_fields item_table pos_indptr pos_items "
                              "cand")
#: the model of the generic kernels (``bias_off``/``fac_off``: block offsets per field)
Spec = namedtuple("Spec", "k loss_code n_neg alpha alpha_b mu0 mu_off bias_off fac_off "
                          "swapped")
#: an optimizer step of :func:`sample_epoch` besides the rule itself
RuleStep = namedtuple("RuleStep", "hp state lrs t0 step max_norm")
#: the scratch of :func:`batch_grad`, of ``w``'s length (zeros, -1, any)
Accumulator = namedtuple("Accumulator", "acc mark touched")
#: the ratings of the two-field epochs: user and item index, rating, weight per row
Ratings = namedtuple("Ratings", "users items y sw")
#: biased MF's constants: regularisation and the mean/bias offsets (-1: absent)
Biased = namedtuple("Biased", "alpha alpha_b mu0 mu_off bu_off bi_off")
#: an SGD step of the two-field epochs: step size per update, clipping norm (0: off)
Step = namedtuple("Step", "lrs max_norm")
#: SVD++'s implicit factors: the ``(n_items, k)`` rows ``y_j``, their regularisation and
#: each user's items (CSR: ``indptr``, ``items``)
Implicit = namedtuple("Implicit", "Y2 alpha_y indptr items")


@njit(cache=True)
def _scratch(w, F, k, nrows):
    ms = F * nrows
    return (np.empty((nrows, F), np.int64), np.zeros((nrows + ms, max(k, 1))),
            np.empty(nrows), np.empty(nrows), np.empty(ms, np.int64),
            np.empty(ms, np.int64), np.empty((ms, max(k, 1)), w.dtype),
            np.empty(ms + 1, np.int64), np.empty(ms + 1, w.dtype))


@njit(inline="always")
def _group_model(spec):
    return group_model(spec.fac_off.size, spec.k, spec.loss_code, spec.alpha, spec.alpha_b,
                       spec.mu0, spec.mu_off, spec.bias_off, spec.fac_off, spec.swapped)


@njit(inline="always")
def _group_data(data):
    return group_data(data.codes, data.swap_fields, data.item_table, data.pos_indptr,
                      data.pos_items, data.cand)


@njit(cache=True, fastmath=FASTMATH)
def _clip_group(gval, m, slot_g, ns, k, max_norm):
    """Global norm of a group's gradient (``gval[:m]``, ``slot_g[:ns, :k]``, pointers,
    ``slot_g`` of stride ``max(k, 1)``), clipped in place to ``max_norm``."""
    ks = max(k, 1)
    sq = 0.0
    for j in range(m):
        sq += gval[j] * gval[j]
    for s in range(ns):
        for j in range(k):
            sq += slot_g[s * ks + j] * slot_g[s * ks + j]
    norm = math.sqrt(sq)
    # clipping by the global norm of this interaction's gradient
    scale = clip_scale(norm, max_norm)
    if scale != 1.0:
        for j in range(m):
            gval[j] *= scale
        for s in range(ns):
            for j in range(k):
                slot_g[s * ks + j] *= scale
    return norm


@njit(cache=True, fastmath=FASTMATH, nogil=True)
def sample_epoch(data, spec, order, seed, w, rule, opt):
    """Per-interaction epoch over the rows ``order``. Returns (sum of losses, sum of
    gradient norms).

    ``data`` is :class:`Groups`, ``spec`` :class:`Spec`, ``opt`` :class:`RuleStep`.
    Each interaction's gradient goes through the optimizer's compiled update rule: one
    call for the biases it touches, then one call per factor row, on the row's
    contiguous block (``dense=1`` with pointers offset to the row; the state of slot
    ``s`` of coordinate ``i`` stays at ``state[s * n + i]``).
    """
    np.random.seed(seed)  # noqa: NPY002 (seeds numba's own generator)
    k, fac_off, state, step, hp = spec.k, spec.fac_off, opt.state, opt.step, opt.hp
    nrows = 1 if spec.loss_code == SQUARED else 1 + spec.n_neg
    rows, S, pred, dl, slot_f, slot_x, slot_g, gidx, gval = _scratch(
        w, data.codes.shape[1], k, nrows)
    gdata = _group_data(data)
    model = _group_model(spec)
    loss_sum = 0.0
    norm_sum = 0.0
    n = w.size
    for kk in range(order.size):
        i = order[kk]
        _fill_group(gdata, i, ptr(rows), nrows)
        loss, m, ns = _group_grad(ptr(w), model, ptr(rows), nrows, data.y[i], data.sw[i],
                                  Scratch(ptr(S), ptr(pred), ptr(dl), ptr(slot_f),
                                          ptr(slot_x), ptr(slot_g), ptr(gidx), ptr(gval)))
        norm = _clip_group(ptr(gval), m, ptr(slot_g), ns, k, opt.max_norm)
        lr = opt.lrs[kk]
        t = float(opt.t0 + kk + 1)
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


@njit(inline="always")
def _bias_terms(e, bu, bi, alpha_b, has_mu, has_bu, has_bi, sq, reg):
    """``sq`` and ``reg`` plus the squared gradient and the regularisation of the
    mean and the two biases (those present)."""
    if has_mu:
        sq += e * e
    if has_bu:
        sq += (e + alpha_b * bu) ** 2
        reg += alpha_b * bu * bu
    if has_bi:
        sq += (e + alpha_b * bi) ** 2
        reg += alpha_b * bi * bi
    return sq, reg


@njit(inline="always")
def _prefetch_row(pu, pi, py, ps, i):
    # the user, item, rating and weight of row i (pointers)
    prefetch(pu, i)
    prefetch(pi, i)
    prefetch(py, i)
    prefetch(ps, i)


@njit(cache=True, fastmath=FASTMATH, boundscheck=False, nogil=True)
def sgd_pair_epoch(data, order, model, P2, Q2, w, step):
    """Per-interaction epoch of biased MF (two fields, squared error) with plain SGD.

    The inlined special case of :func:`sample_epoch` for the SGD rule
    :math:`w \\leftarrow w - \\eta g`: the same gradients (evaluated at the old
    values) and the same update, fused into one pass over the two factor rows, which
    the compiler vectorises (the call through the rule's pointer cannot be). ``P2`` and
    ``Q2`` are the ``(n_users, k)`` and ``(n_items, k)`` row-major views of the factor
    blocks of ``w``; ``users``/``items`` the field indices of the rows, read in the
    order ``order`` (no per-epoch gather); ``data`` is :class:`Ratings`, ``model``
    :class:`Biased`, ``step`` :class:`Step`. The gradient norm (reported, and used for
    clipping when ``max_norm > 0``) follows from three reductions of one pass,
    :math:`\\|g_p\\|^2 + \\|g_q\\|^2 = s^2[(e^2+\\alpha^2)(\\|p\\|^2+\\|q\\|^2)
    + 4 e \\alpha\\, p^\\top q]`. Returns (sum of losses, sum of gradient norms).
    """
    # clipping on or off are two compiled loops: with a run-time test inside one loop,
    # the step size depends on the norm's square root and division, which then sit on
    # the critical path from one update to the next (about 25% slower)
    if step.max_norm > 0.0:
        return _pair_loop(data, order, model, P2, Q2, w, step, True)
    return _pair_loop(data, order, model, P2, Q2, w, step, False)


@njit(cache=True, fastmath=FASTMATH, boundscheck=False)
def _pair_loop(data, order, model, P2, Q2, w, step, clip):
    users, items, y, sw = data
    alpha, alpha_b, mu0, mu_off, bu_off, bi_off = model
    lrs, max_norm = step
    loss_sum = 0.0
    norm_sum = 0.0
    k = P2.shape[1]
    has_mu = mu_off >= 0
    has_bu = bu_off >= 0
    has_bi = bi_off >= 0
    # pointers, not arrays, in the loop (see skgd._lowlevel.prefetch)
    pu, pi, py, ps = ptr(users), ptr(items), ptr(y), ptr(sw)
    n = order.size
    for kk in range(n):
        if kk + AHEAD < n:
            _prefetch_row(pu, pi, py, ps, order[kk + AHEAD])
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
        pq = 0.0
        pp = 0.0
        qq = 0.0
        for j in range(k):
            p = P[j]
            q = Q[j]
            pq += p * q
            pp += p * p
            qq += q * q
        e = pred + bu + bi + pq - y[i]
        reg = alpha * (pp + qq)
        sq = (e * e + alpha * alpha) * (pp + qq) + 4.0 * e * alpha * pq
        sq, reg = _bias_terms(e, bu, bi, alpha_b, has_mu, has_bu, has_bi, sq, reg)
        norm = si * math.sqrt(max(sq, 0.0))
        c = lrs[kk] * si
        # clipping by the global norm of this interaction's gradient (the test also
        # outside clip_scale: the unclipped step stays off the norm's critical path)
        if clip and norm > max_norm:
            c *= clip_scale(norm, max_norm)
        if has_mu:
            w[mu_off] -= c * e
        if has_bu:
            w[bu_off + x0] = bu - c * (e + alpha_b * bu)
        if has_bi:
            w[bi_off + x1] = bi - c * (e + alpha_b * bi)
        for j in range(k):
            p = P[j]
            q = Q[j]
            P[j] = p - c * (e * q + alpha * p)
            Q[j] = q - c * (e * p + alpha * q)
        loss_sum += si * (0.5 * e * e + 0.5 * reg)
        norm_sum += norm
    return loss_sum, norm_sum


@njit(cache=True, fastmath=FASTMATH)
def _accumulate(grad, m, ns, k, fac_off, accum, nt):
    """Add a group's gradient ``grad = (gidx, gval, slot_f, slot_x, slot_g)`` into
    ``accum.acc``, registering new coordinates in ``accum.touched``/``accum.mark``.
    Returns the new count ``nt``."""
    gidx, gval, slot_f, slot_x, slot_g = grad
    acc, mark, touched = accum
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
    return nt


@njit(cache=True, fastmath=FASTMATH)
def _batch(data, spec, idx, seed, w, accum, with_grad):
    """Summed loss of the groups of rows ``idx``; with ``with_grad`` also their summed
    gradient, added into ``accum.acc`` at the ``nt`` coordinates ``touched[:nt]``
    (marked in ``mark``). Returns ``(loss_sum, nt)``."""
    np.random.seed(seed)  # noqa: NPY002 (seeds numba's own generator)
    k = spec.k
    nrows = 1 if spec.loss_code == SQUARED else 1 + spec.n_neg
    rows, S, pred, dl, slot_f, slot_x, slot_g, gidx, gval = _scratch(
        accum.acc, data.codes.shape[1], k, nrows)
    gdata = _group_data(data)
    model = _group_model(spec)
    nt = 0
    loss_sum = 0.0
    for q in range(idx.size):
        i = idx[q]
        _fill_group(gdata, i, ptr(rows), nrows)
        loss, m, ns = _group_grad(ptr(w), model, ptr(rows), nrows, data.y[i], data.sw[i],
                                  Scratch(ptr(S), ptr(pred), ptr(dl), ptr(slot_f),
                                          ptr(slot_x), ptr(slot_g), ptr(gidx), ptr(gval)))
        loss_sum += loss
        if with_grad:
            nt = _accumulate((gidx, gval, slot_f, slot_x, slot_g), m, ns, k, spec.fac_off,
                             accum, nt)
    return loss_sum, nt


@njit(cache=True, fastmath=FASTMATH)
def batch_grad(data, spec, idx, seed, w, accum):
    """Summed loss and gradient of the groups of rows ``idx``, as unique coordinates.

    ``accum`` (:class:`Accumulator`: ``acc`` zeros, ``mark`` -1) is scratch of ``w``'s
    length, restored on return. Returns ``(loss_sum, coords, grad_sum)``.
    """
    loss_sum, nt = _batch(data, spec, idx, seed, w, accum, True)
    acc, mark, touched = accum
    coords = touched[:nt].copy()
    vals = np.empty(nt)
    for j in range(nt):
        c = coords[j]
        vals[j] = acc[c]
        acc[c] = 0.0
        mark[c] = -1
    return loss_sum, coords, vals


@njit(cache=True, fastmath=FASTMATH)
def batch_loss(data, spec, idx, seed, w):
    """Summed loss of the groups of rows ``idx`` (:func:`batch_grad` without the
    gradient)."""
    none = np.empty(0, np.int64)
    return _batch(data, spec, idx, seed, w, Accumulator(np.empty(0), none, none),
                  False)[0]


@njit(cache=True)
def group_by_user(users, order):
    """``order`` regrouped by user: users in the order of their first appearance, each
    user's rows in their order. Returns (rows, block starts)."""
    n = order.size
    n_users = 0
    for kk in range(n):
        n_users = max(n_users, users[order[kk]] + 1)
    rank = np.full(n_users, -1, np.int64)
    count = np.zeros(n_users + 1, np.int64)
    nb = 0
    for kk in range(n):
        x = users[order[kk]]
        if rank[x] < 0:
            rank[x] = nb
            nb += 1
        count[rank[x] + 1] += 1
    for b in range(nb):
        count[b + 1] += count[b]
    starts = count[:nb + 1].copy()
    out = np.empty(n, np.int64)
    for kk in range(n):
        i = order[kk]
        r = rank[users[i]]
        out[count[r]] = i
        count[r] += 1
    return out, starts


@njit(inline="always")
def _prefetch_rating(pi, py, ps, i):
    # the item, rating and weight of row i (pointers)
    prefetch(pi, i)
    prefetch(py, i)
    prefetch(ps, i)


@njit(inline="always")
def _block_start(Y2, hist_items, a0, a1, z, G):
    """Start of a user's block in :func:`svdpp_epoch`: ``z = s sum_j y_j`` over the
    user's items ``hist_items[a0:a1]``, ``G = 0``; returns ``(s, sum_j |y_j|^2)``."""
    m = a1 - a0
    s = 1.0 / math.sqrt(m) if m > 0 else 0.0
    for j in range(z.size):
        z[j] = 0.0
        G[j] = 0.0
    ysq = 0.0
    for t in range(a0, a1):
        Yr = Y2[hist_items[t]]
        for j in range(z.size):
            v = Yr[j]
            z[j] += v
            ysq += v * v
    for j in range(z.size):
        z[j] *= s
    return s, ysq


@njit(inline="always")
def _block_end(Y2, hist_items, a0, a1, D, s, G):
    """End of a user's block: every ``y_j = D y_j - s G``."""
    for t in range(a0, a1):
        Yr = Y2[hist_items[t]]
        for j in range(G.size):
            Yr[j] = D * Yr[j] - s * G[j]


@njit(inline="always")
def _svdpp_sq(e, dots, alpha, ay, ysq, m):
    """The squared gradient norm of an interaction without the biases' terms, from the
    products ``dots = (pq, zq, pp, qq, pz, zz)``."""
    pq, zq, pp, qq, pz, zz = dots
    # |e q + a p|^2 + |e (p + z) + a q|^2 + sum_j |e s q + a_y y_j|^2 (m s^2 = 1)
    sq = (e * e * qq + 2.0 * e * alpha * pq + alpha * alpha * pp
          + e * e * (pp + 2.0 * pz + zz) + 2.0 * e * alpha * (pq + zq)
          + alpha * alpha * qq)
    if m > 0:
        sq += e * e * qq + 2.0 * e * ay * zq + ay * ay * ysq
    return sq


@njit(inline="always")
def _dots(P, Q, z, k):
    """``(p.q, z.q, p.p, q.q, p.z, z.z)`` of the rows ``P``, ``Q``, ``z`` (pointers)."""
    pq = 0.0
    zq = 0.0
    pp = 0.0
    qq = 0.0
    pz = 0.0
    zz = 0.0
    for j in range(k):
        p = P[j]
        q = Q[j]
        v = z[j]
        pq += p * q
        zq += v * q
        pp += p * p
        qq += q * q
        pz += p * v
        zz += v * v
    return pq, zq, pp, qq, pz, zz


@njit(inline="always")
def _fused_step(rows, k, c, e, alpha, d, g):
    """One interaction's SGD step of ``p_u``, ``q_i`` and the recursions of ``z`` and
    ``G`` (``rows = (P, Q, z, G)``, pointers), all at the old values, in one pass."""
    P, Q, z, G = rows
    for j in range(k):
        p = P[j]
        q = Q[j]
        v = z[j]
        P[j] = p - c * (e * q + alpha * p)
        Q[j] = q - c * (e * (p + v) + alpha * q)
        z[j] = d * v - g * q
        G[j] = d * G[j] + g * q


@njit(cache=True, fastmath=FASTMATH, boundscheck=False)
def svdpp_epoch(data, order, model, P2, Q2, w, step, implicit):
    r"""Per-interaction SGD epoch of SVD++ (two fields, squared error).

    The user vector is :math:`p_u + z_u` with :math:`z_u = |N(u)|^{-1/2} \sum_{j \in
    N(u)} y_j` (``hist_*``: CSR of each user's items :math:`N(u)`), and an interaction
    moves :math:`\mu, b_u, b_i, p_u, q_i` and every :math:`y_j, j \in N(u)` by its
    gradient at the old values, as Surprise's ``SVDpp``, in O(k) instead of
    O(|N(u)| k): the rows are processed user by user (:func:`group_by_user`), and
    within a user's block every :math:`y_j` follows the same affine recursion
    :math:`y_j \leftarrow d_t y_j - c_t s e_t q_t` (:math:`d_t = 1 - c_t \alpha_y`,
    :math:`s = |N(u)|^{-1/2}`), so :math:`y_j = D y_j^{(0)} - s G` with a scalar
    :math:`D` and one vector :math:`G` applied at the end of the block, while
    :math:`z_u \leftarrow d_t z_u - c_t e_t q_t` is kept exactly. The squared norm
    :math:`\sum_j \|y_j\|^2` (for the loss, the gradient norm and clipping) follows
    the same recursion. ``data`` is :class:`Ratings`, ``model`` :class:`Biased`, ``step``
    :class:`Step`, ``implicit`` :class:`Implicit`; ``P2``/``Q2`` as in
    :func:`sgd_pair_epoch`. Returns (sum of losses, sum of gradient norms).
    """
    users, items, y, sw = data
    alpha, alpha_b, mu0, mu_off, bu_off, bi_off = model
    lrs, max_norm = step
    Y2, alpha_y, hist_indptr, hist_items = implicit
    k = P2.shape[1]
    rows, starts = group_by_user(users, order)
    pi, py, ps = ptr(items), ptr(y), ptr(sw)
    n = rows.size
    z = np.empty(k)
    G = np.empty(k)
    loss_sum = 0.0
    norm_sum = 0.0
    for b in range(starts.size - 1):
        u = users[rows[starts[b]]]
        a0, a1 = hist_indptr[u], hist_indptr[u + 1]
        m = a1 - a0
        s, ysq = _block_start(Y2, hist_items, a0, a1, z, G)
        ay = alpha_y if m > 0 else 0.0
        D = 1.0
        P = P2[u]
        for kk in range(starts[b], starts[b + 1]):
            if kk + AHEAD < n:
                _prefetch_rating(pi, py, ps, rows[kk + AHEAD])
            i = rows[kk]
            x1 = items[i]
            si = sw[i]
            Q = Q2[x1]
            bu = w[bu_off + u] if bu_off >= 0 else 0.0
            bi = w[bi_off + x1] if bi_off >= 0 else 0.0
            dots = _dots(ptr(P), ptr(Q), ptr(z), k)
            pq, zq, pp, qq = dots[0], dots[1], dots[2], dots[3]
            pred = mu0 + bu + bi + pq + zq
            if mu_off >= 0:
                pred += w[mu_off]
            e = pred - y[i]
            sq, reg = _bias_terms(e, bu, bi, alpha_b, mu_off >= 0, bu_off >= 0, bi_off >= 0,
                                  _svdpp_sq(e, dots, alpha, ay, ysq, m),
                                  alpha * (pp + qq) + ay * ysq)
            norm = si * math.sqrt(max(sq, 0.0))
            c = clipped(lrs[kk] * si, norm, max_norm)
            if mu_off >= 0:
                w[mu_off] -= c * e
            if bu_off >= 0:
                w[bu_off + u] = bu - c * (e + alpha_b * bu)
            if bi_off >= 0:
                w[bi_off + x1] = bi - c * (e + alpha_b * bi)
            d = 1.0 - c * ay
            g = c * e
            _fused_step((ptr(P), ptr(Q), ptr(z), ptr(G)), k, c, e, alpha, d, g)
            # sum_j |d y_j - g s q|^2 = d^2 ysq - 2 d g q.z + g^2 qq (m s^2 = 1)
            if m > 0:
                ysq = max(d * d * ysq - 2.0 * d * g * zq + g * g * qq, 0.0)
            D *= d
            loss_sum += si * (0.5 * e * e + 0.5 * reg)
            norm_sum += norm
        _block_end(Y2, hist_items, a0, a1, D, s, G)
    return loss_sum, norm_sum
