"""Gradient clipping by global norm: the one definition every path uses."""

import numpy as np
from numba import njit


@njit(inline="always")
def clip_scale(norm, max_norm):
    r"""The factor :math:`\min(1, c/\|g\|)` that clips a gradient of global norm
    ``norm`` to ``max_norm`` = :math:`c` (``max_norm <= 0``: clipping off, factor 1).

    Compiled kernels multiply their gradient by it; :func:`clip_` does the same for
    the solver's Python loop.

    Examples
    --------
    >>> from skgd.solver._clip import clip_scale
    >>> clip_scale(4.0, 2.0), clip_scale(1.0, 2.0), clip_scale(4.0, 0.0)
    (0.5, 1.0, 1.0)
    """
    if max_norm > 0.0 and norm > max_norm:
        return max_norm / norm
    return 1.0


def clip_(g, max_norm):
    """Scale the gradient array ``g`` in place by :func:`clip_scale`; return its norm
    before clipping (``max_norm`` None or 0: clipping off)."""
    norm = float(np.sqrt(np.dot(g, g)))
    scale = clip_scale(norm, float(max_norm or 0.0))
    if scale != 1.0:
        g *= scale
    return norm
