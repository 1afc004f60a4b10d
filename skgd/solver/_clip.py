"""Gradient clipping by global norm: the one definition every path uses."""

import numpy as np
from numba import njit


@njit(inline="always")
def clipped(x, norm, max_norm):
    r"""``x`` scaled as a gradient of global norm ``norm`` is clipped to ``max_norm`` =
    :math:`c`: :math:`x \min(1, c/\|g\|)`, computed as ``x * max_norm / norm``
    (``max_norm <= 0``: clipping off, ``x`` itself).

    The one definition of clipping: the compiled kernels clip a step size, a scalar
    multiplier of the gradient, or (through :func:`clip_scale`, ``x = 1``) a factor
    for a whole gradient array. The expression is kept in this one form, the product
    before the division, so that every kernel rounds as it always has (the two forms
    ``x * (c / n)`` and ``x * c / n`` round differently, and fastmath may rewrite one
    into the other only in some kernels).

    Examples
    --------
    >>> from skgd.solver._clip import clipped
    >>> clipped(3.0, 4.0, 2.0), clipped(3.0, 1.0, 2.0), clipped(3.0, 4.0, 0.0)
    (1.5, 3.0, 3.0)
    """
    if max_norm > 0.0 and norm > max_norm:
        return x * max_norm / norm
    return x


@njit(inline="always")
def clip_scale(norm, max_norm):
    r"""The factor :math:`\min(1, c/\|g\|)` that clips a gradient of global norm
    ``norm`` to ``max_norm`` = :math:`c` (``max_norm <= 0``: clipping off, factor 1):
    :func:`clipped` of 1 (``1 * c / n`` is exactly ``c / n``).

    Compiled kernels multiply their gradient by it; :func:`clip_` does the same for
    the solver's Python loop.

    Examples
    --------
    >>> from skgd.solver._clip import clip_scale
    >>> clip_scale(4.0, 2.0), clip_scale(1.0, 2.0), clip_scale(4.0, 0.0)
    (0.5, 1.0, 1.0)
    """
    return clipped(1.0, norm, max_norm)


def clip_(g, max_norm):
    """Scale the gradient array ``g`` in place by :func:`clip_scale`; return its norm
    before clipping (``max_norm`` None or 0: clipping off)."""
    norm = float(np.sqrt(np.dot(g, g)))
    scale = clip_scale(norm, float(max_norm or 0.0))
    if scale != 1.0:
        g *= scale
    return norm
