"""Penalties, applied by the solver as proximal steps."""

from __future__ import annotations

import numpy as np

from ._component import Component
from ._prox import prox_coords, prox_ranges
from ._registry import Registry

REGULARIZERS: Registry = Registry("penalty")


class Regularizer(Component):
    r"""An elastic-net family penalty :math:`\alpha\,(l_1\|w\|_1 + \tfrac{l_2}{2}\|w\|_2^2)`.

    Subclasses define :meth:`coefficients`, the pair :math:`(l_1, l_2)`. The penalty acts
    on the penalised coordinates only (never intercepts). The solver applies it as a
    proximal step after each optimizer update, with the optimizer's per-coordinate step,
    so L1 yields exact zeros with every optimizer.
    """

    def coefficients(self) -> tuple[float, float]:
        """The weights :math:`(l_1, l_2)` of the L1 and half-squared-L2 terms."""
        raise NotImplementedError

    @property
    def smooth(self) -> bool:
        """True when the penalty is differentiable (no L1 part)."""
        return self.coefficients()[0] == 0.0

    def value(self, w: np.ndarray, alpha: float, coords: np.ndarray) -> float:
        """:math:`\\alpha(l_1\\|w_P\\|_1 + \\tfrac{l_2}{2}\\|w_P\\|^2)` over coordinates P
        (an index array, or ``[start, stop)`` blocks as for :meth:`prox`)."""
        l1, l2 = self.coefficients()
        if alpha == 0 or (l1 == 0 and l2 == 0):
            return 0.0
        total = 0.0
        for wp in _blocks(w, coords):
            wp = wp.astype(np.float64, copy=False)
            if l1:
                total += l1 * np.abs(wp).sum()
            if l2:
                total += 0.5 * l2 * (wp @ wp)
        return float(alpha * total)

    def add_smooth_grad(self, grad: np.ndarray, w: np.ndarray, alpha: float, coords) -> None:
        """Add the gradient of the L2 part, :math:`\\alpha l_2 w_P`, to ``grad``."""
        l2 = self.coefficients()[1]
        if alpha and l2:
            grad[coords] += alpha * l2 * w[coords]

    def prox(self, w: np.ndarray, step: np.ndarray, alpha: float, coords: np.ndarray) -> None:
        """In-place proximal step on ``w[coords]`` with per-coordinate ``step``.

        ``coords`` is an index array, or an ``(r, 2)`` array of ``[start, stop)`` blocks
        when its second dimension is 2 and it is 2-D (the dense mini-batch path).
        """
        l1, l2 = self.coefficients()
        if not alpha or not (l1 or l2):
            return
        if coords.ndim == 2:
            prox_ranges(w, step, coords, alpha * l1, alpha * l2)
        else:
            prox_coords(w, step, coords, alpha * l1, alpha * l2)


def _blocks(w: np.ndarray, coords: np.ndarray):
    """Views of ``w`` over ``[start, stop)`` blocks, or one gathered copy."""
    if coords.ndim == 2:
        return [w[a:b] for a, b in coords]
    return [w[coords]]


@REGULARIZERS.register
class NoPenalty(Regularizer):
    """No penalty."""

    name = "none"

    def coefficients(self) -> tuple[float, float]:
        return 0.0, 0.0


@REGULARIZERS.register
class L2(Regularizer):
    r"""Ridge penalty :math:`\tfrac{\alpha}{2}\|w\|_2^2` (proximal step
    :math:`w \leftarrow w/(1+\eta\alpha)`)."""

    name = "l2"

    def coefficients(self) -> tuple[float, float]:
        return 0.0, 1.0


@REGULARIZERS.register
class L1(Regularizer):
    r"""Lasso penalty :math:`\alpha\|w\|_1` (proximal step: soft-thresholding by
    :math:`\eta\alpha`)."""

    name = "l1"

    def coefficients(self) -> tuple[float, float]:
        return 1.0, 0.0


@REGULARIZERS.register
class ElasticNet(Regularizer):
    r"""Elastic net :math:`\alpha(\rho\|w\|_1 + \tfrac{1-\rho}{2}\|w\|_2^2)`.

    Parameters
    ----------
    l1_ratio : float, default=0.15
        The mixing :math:`\rho \in [0, 1]` (scikit-learn's SGD convention).
    """

    name = "elasticnet"

    def __init__(self, l1_ratio: float = 0.15):
        self.l1_ratio = l1_ratio

    def coefficients(self) -> tuple[float, float]:
        if not 0.0 <= self.l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {self.l1_ratio}")
        return float(self.l1_ratio), 1.0 - float(self.l1_ratio)


def resolve_penalty(penalty, l1_ratio: float = 0.15) -> Regularizer:
    """A regularizer from ``None``, a registered name or a :class:`Regularizer`."""
    if penalty is None:
        return NoPenalty()
    if penalty == "elasticnet":
        return ElasticNet(l1_ratio=l1_ratio)
    return REGULARIZERS.resolve(penalty, Regularizer)
