"""Multi-threaded per-interaction epochs of the factorization model (numba ``prange``).

An epoch's visiting order is cut into *blocks*; ``bounds[r, t] = (lo, hi)`` is the
block thread ``t`` runs in round ``r``, ``order[lo:hi]``, with the single-thread
kernel of :mod:`._epochs` (the same update, the same code). Rounds run one after the
other; the blocks of a round run at once, lock-free. Two schedules fill ``bounds``:

- **Hogwild** (Niu et al. 2011; :func:`hogwild_bounds`): one round, thread ``t`` takes
  the ``t``-th contiguous shard of the shuffled order. Threads may update the same
  item (or user) row at the same time; a lost or mixed update is rare while the
  ratings are spread over many rows, and SGD tolerates it. Results are valid but not
  reproducible bit for bit: they depend on the threads' timing.
- **Strata** (DSGD, Gemulla et al. 2011; :func:`strata_order`): users and items are
  dealt into ``T`` groups each (a fresh random deal every epoch); round ``r`` gives
  thread ``t`` the ratings of user group ``t`` and item group ``(t + r) mod T``, so
  the blocks of a round share no user row, item row or bias and every update reads
  and writes rows no other thread touches. The epoch is then a fixed function of the
  seed and ``T``: reproducible run to run, and the same when the blocks run on fewer
  threads or one after the other (:func:`pair_epoch_blocks`); not equal to the
  one-thread epoch, whose order differs, nor across values of ``T``.

Every entry kernel is ``nogil``: concurrent calls from several Python threads run in
parallel (see :mod:`skgd._lowlevel.threads` for the thread-safe layer they need).
"""

import numpy as np
from numba import njit, prange

from ._epochs import Groups, RuleStep, Step, _pair_loop, sample_epoch, sgd_pair_epoch


@njit(cache=True)
def hogwild_bounds(n, T):
    """One round of ``T`` contiguous shards of ``n`` rows: ``(1, T, 2)``."""
    b = np.empty((1, T, 2), np.int64)
    for t in range(T):
        b[0, t, 0] = t * n // T
        b[0, t, 1] = (t + 1) * n // T
    return b


@njit(cache=True)
def deal(n_ids, T, seed):
    """A random group in ``0..T-1`` for each of ``n_ids`` ids, ``n_ids // T`` or one
    more per group."""
    np.random.seed(seed)  # noqa: NPY002 (seeds numba's own generator)
    perm = np.random.permutation(n_ids)  # noqa: NPY002
    g = np.empty(n_ids, np.int64)
    for r in range(n_ids):
        g[perm[r]] = r % T
    return g


@njit(cache=True)
def strata_order(users, items, order, gu, gi, T):
    """``order`` regrouped into DSGD strata (see the module docstring).

    ``gu``/``gi``: the group of every user and item (:func:`deal`). Returns
    ``(order, bounds)``: the rows of block ``(r, t)`` -- user group ``t``, item group
    ``(t + r) mod T`` -- are ``order[bounds[r, t, 0]:bounds[r, t, 1]]``, in their
    order in ``order``.
    """
    n = order.size
    count = np.zeros(T * T + 1, np.int64)
    key = np.empty(n, np.int64)
    for kk in range(n):
        i = order[kk]
        tu = gu[users[i]]
        r = (gi[items[i]] - tu) % T
        key[kk] = r * T + tu
        count[key[kk] + 1] += 1
    for b in range(T * T):
        count[b + 1] += count[b]
    bounds = np.empty((T, T, 2), np.int64)
    for b in range(T * T):
        bounds[b // T, b % T, 0] = count[b]
        bounds[b // T, b % T, 1] = count[b + 1]
    out = np.empty(n, np.int64)
    for kk in range(n):
        out[count[key[kk]]] = order[kk]
        count[key[kk]] += 1
    return out, bounds


@njit(cache=True, nogil=True, parallel=True)
def pair_epoch_threads(data, order, bounds, model, P2, Q2, w, step):
    """:func:`~._epochs.sgd_pair_epoch` over the blocks ``bounds`` (see the module
    docstring), one thread per block of a round. Returns (sum of losses, sum of
    gradient norms)."""
    R, T = bounds.shape[0], bounds.shape[1]
    clip = step.max_norm > 0.0
    losses = np.zeros((R, T))
    norms = np.zeros((R, T))
    for r in range(R):
        for t in prange(T):
            lo, hi = bounds[r, t, 0], bounds[r, t, 1]
            part = Step(step.lrs[lo:hi], step.max_norm)
            if clip:
                loss, norm = _pair_loop(data, order[lo:hi], model, P2, Q2, w, part, True)
            else:
                loss, norm = _pair_loop(data, order[lo:hi], model, P2, Q2, w, part, False)
            losses[r, t] = loss
            norms[r, t] = norm
    return losses.sum(), norms.sum()


@njit(cache=True, nogil=True, parallel=True)
def sample_epoch_threads(data, spec, order, bounds, seed, w, rule, opt, members):
    """:func:`~._epochs.sample_epoch` (any compiled rule, any model, negative
    sampling) over the blocks ``bounds``; block ``(r, t)`` samples its negatives
    from its own stream, seeded by ``seed`` and its index. Update counts follow the
    positions in ``order``. ``members = (items, starts)`` lists the items of each
    item group (strata: block ``(r, t)`` draws its negatives from group
    ``(t + r) mod T``, so that they too stay in the block's rows; a uniform item of
    the group is a uniform item overall, the groups being dealt at random); empty
    groups (Hogwild) draw from all items. Returns (sum of losses, sum of gradient
    norms)."""
    R, T = bounds.shape[0], bounds.shape[1]
    items, starts = members
    losses = np.zeros((R, T))
    norms = np.zeros((R, T))
    for r in range(R):
        for t in prange(T):
            lo, hi = bounds[r, t, 0], bounds[r, t, 1]
            part = RuleStep(opt.hp, opt.state, opt.lrs[lo:hi], opt.t0 + lo, opt.step,
                            opt.max_norm)
            g = (t + r) % T
            cand = items[starts[g]:starts[g + 1]]
            block = Groups(data.codes, data.y, data.sw, data.swap_fields, data.item_table,
                           data.pos_indptr, data.pos_items, cand)
            loss, norm = sample_epoch(block, spec, order[lo:hi], seed + r * T + t, w,
                                      rule, part)
            losses[r, t] = loss
            norms[r, t] = norm
    return losses.sum(), norms.sum()


def group_members(groups, T):
    """``(items, starts)``: the ids of each group of ``groups`` (values ``0..T-1``),
    group ``g`` at ``items[starts[g]:starts[g + 1]]``."""
    items = np.argsort(groups, kind="stable").astype(np.int64)
    starts = np.zeros(T + 1, np.int64)
    np.cumsum(np.bincount(groups, minlength=T), out=starts[1:])
    return items, starts


def pair_epoch_blocks(data, order, bounds, model, P2, Q2, w, step):
    """:func:`pair_epoch_threads` with its blocks run one after the other in the
    calling thread (no parallel launch)."""
    loss = norm = 0.0
    for r in range(bounds.shape[0]):
        for lo, hi in bounds[r]:
            a, b = sgd_pair_epoch(data, order[lo:hi], model, P2, Q2, w,
                                  Step(step.lrs[lo:hi], step.max_norm))
            loss += a
            norm += b
    return loss, norm


def sample_epoch_blocks(data, spec, order, bounds, seed, w, rule, opt, members):
    """:func:`sample_epoch_threads` with its blocks run one after the other in the
    calling thread (no parallel launch)."""
    items, starts = members
    T = bounds.shape[1]
    loss = norm = 0.0
    for r in range(bounds.shape[0]):
        for t, (lo, hi) in enumerate(bounds[r]):
            g = (t + r) % T
            block = data._replace(cand=items[starts[g]:starts[g + 1]])
            a, b = sample_epoch(block, spec, order[lo:hi], seed + r * T + t, w, rule,
                                opt._replace(lrs=opt.lrs[lo:hi], t0=opt.t0 + lo))
            loss += a
            norm += b
    return loss, norm
