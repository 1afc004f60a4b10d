"""Compiled proximal operator of the elastic-net penalty (shared by every path)."""

from numba import njit


@njit(inline="always")
def prox_enet(w, step, l1, l2):
    r"""Proximal step of :math:`\eta(l_1|w| + \tfrac{l_2}{2}w^2)` for one coordinate.

    Soft-thresholding by :math:`\eta l_1` (which yields exact zeros), then shrinking by
    :math:`1/(1+\eta l_2)`.
    """
    thr = step * l1
    if w > thr:
        w -= thr
    elif w < -thr:
        w += thr
    else:
        w = 0.0 * w
    return w / (1.0 + step * l2)


@njit(cache=True)
def prox_coords(w, step, coords, l1, l2):
    """Apply :func:`prox_enet` to ``w[coords]`` with per-coordinate steps ``step``."""
    for k in range(coords.size):
        i = coords[k]
        w[i] = prox_enet(w[i], step[i], l1, l2)


@njit(cache=True)
def prox_ranges(w, step, ranges, l1, l2):
    """:func:`prox_enet` over the contiguous blocks ``ranges[r] = (start, stop)``; the
    L2-only case is a branch-free loop that vectorises."""
    for r in range(ranges.shape[0]):
        lo, hi = ranges[r, 0], ranges[r, 1]
        if l1 == 0.0:
            for i in range(lo, hi):
                w[i] = w[i] / (1.0 + step[i] * l2)
        else:
            for i in range(lo, hi):
                w[i] = prox_enet(w[i], step[i], l1, l2)
