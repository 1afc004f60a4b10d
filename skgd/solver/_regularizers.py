"""Penalties, applied by the solver as proximal steps."""

from __future__ import annotations

import numpy as np

from ._capabilities import ELASTIC_NET, L2_OR_NONE, NO_PENALTY, PROX, SMOOTH
from ._component import Component
from ._prox import compile_separable, prox_coords, prox_ranges
from ._registry import Registry

REGULARIZERS: Registry = Registry("penalty")


class Regularizer(Component):
    r"""A penalty :math:`\alpha R(w)` on the penalised coordinates (never intercepts),
    applied by the solver as a proximal step after each optimizer update, with the
    optimizer's per-coordinate step :math:`\eta_j`, so L1 yields exact zeros with every
    optimizer.

    Two ways to write one:

    - an elastic-net family member :math:`R(w) = l_1\|w\|_1 + \tfrac{l_2}{2}\|w\|_2^2`
      defines :meth:`coefficients`, the pair :math:`(l_1, l_2)` (the compiled
      per-sample kernels apply it lazily, see :mod:`skgd.solver._paths`);
    - any separable penalty :math:`R(w) = \sum_j r(w_j)` defines, as plain scalar
      ``staticmethod`` s that skgd compiles, ``penalty(w) -> r(w)`` and
      ``prox(w, threshold)`` -> :math:`\operatorname{prox}_{\tau r}(w)` with
      :math:`\tau = \eta_j \alpha`; a differentiable one may add ``gradient(w)`` ->
      :math:`r'(w)` (then L-BFGS and Newton accept it). ``smooth = False`` marks a
      penalty without a gradient.

    Examples
    --------
    A box constraint :math:`w \le 1` written as a projection:

    >>> import numpy as np
    >>> from skgd.solver import Regularizer
    >>> class AtMostOne(Regularizer):
    ...     name = "at_most_one"
    ...     @staticmethod
    ...     def penalty(w):
    ...         return 0.0
    ...     @staticmethod
    ...     def prox(w, threshold):
    ...         return min(w, 1.0)
    >>> w = np.array([0.5, 3.0])
    >>> AtMostOne().apply_prox(w, np.ones(2), 0.1, np.array([[0, 2]]))
    >>> w
    array([0.5, 1. ])
    """

    def coefficients(self) -> tuple[float, float]:
        r"""The weights :math:`(l_1, l_2)` of the L1 and half-squared-L2 terms.

        Returns
        -------
        l1 : float
            Weight of :math:`\|w\|_1`.
        l2 : float
            Weight of :math:`\tfrac12\|w\|_2^2`.
        """
        raise NotImplementedError

    @classmethod
    def _separable(cls) -> bool:
        return "penalty" in _own_names(cls)

    @property
    def capabilities(self) -> frozenset[str]:
        """:data:`~skgd.solver._capabilities.PROX` always; the elastic-net flags for a
        member of that family; ``smooth`` when differentiable."""
        if self._separable():
            caps = {PROX}
            if getattr(self, "gradient", None) is not None:
                caps.add(SMOOTH)
            return frozenset(caps)
        l1, l2 = self.coefficients()
        caps = {PROX, ELASTIC_NET}
        if l1 == 0.0:
            caps |= {L2_OR_NONE, SMOOTH}
            if l2 == 0.0:
                caps.add(NO_PENALTY)
        return frozenset(caps)

    @property
    def smooth(self) -> bool:
        """True when the penalty is differentiable (no L1 part)."""
        return SMOOTH in self.capabilities

    def value(self, w: np.ndarray, alpha: float, coords: np.ndarray) -> float:
        r""":math:`\alpha(l_1\|w_P\|_1 + \tfrac{l_2}{2}\|w_P\|^2)` over coordinates P
        (an index array, or ``[start, stop)`` blocks as for :meth:`apply_prox`); a
        separable penalty gives :math:`\alpha\sum_{j \in P} r(w_j)`.

        Parameters
        ----------
        w : ndarray of shape (n_params,)
            The flat parameter vector.
        alpha : float
            The penalty strength.
        coords : ndarray of int
            The penalised coordinates: an index array, or an ``(r, 2)`` array of
            ``[start, stop)`` blocks.

        Returns
        -------
        value : float
            :math:`\alpha R(w_P)`.
        """
        if alpha == 0:
            return 0.0
        if self._separable():
            total = sum(_compiled(type(self)).value(wp.astype(np.float64, copy=False))
                        for wp in _blocks(w, coords))
            return float(alpha * total)
        l1, l2 = self.coefficients()
        if l1 == 0 and l2 == 0:
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
        r"""Add the gradient of the L2 part, :math:`\alpha l_2 w_P`, to ``grad`` (in place;
        for a separable penalty, :math:`\alpha r'(w_P)`).

        Parameters
        ----------
        grad : ndarray of shape (n_params,)
            The gradient to add to.
        w : ndarray of shape (n_params,)
            The parameters.
        alpha : float
            The penalty strength.
        coords : ndarray of int
            Index array of the penalised coordinates.
        """
        if not alpha:
            return
        if self._separable():
            if SMOOTH not in self.capabilities:
                raise ValueError(f"penalty {self.name!r} has no gradient (define "
                                 "gradient(w) or use a first-order solver)")
            grad[coords] += alpha * _compiled(type(self)).gradient(
                np.ascontiguousarray(w[coords], dtype=np.float64))
            return
        l2 = self.coefficients()[1]
        if l2:
            grad[coords] += alpha * l2 * w[coords]

    def apply_prox(self, w: np.ndarray, step: np.ndarray, alpha: float,
                   coords: np.ndarray) -> None:
        r"""In-place proximal step on ``w[coords]`` with per-coordinate ``step``.

        ``coords`` is an index array, or an ``(r, 2)`` array of ``[start, stop)`` blocks
        when its second dimension is 2 and it is 2-D (the dense mini-batch path). The step
        is :math:`w_j \leftarrow \operatorname{prox}_{\eta_j \alpha R}(w_j)`, e.g.
        soft-thresholding by :math:`\eta_j \alpha l_1` then shrinking by
        :math:`1/(1+\eta_j \alpha l_2)`.

        Parameters
        ----------
        w : ndarray of shape (n_params,)
            The parameters, updated in place.
        step : ndarray of shape (n_params,)
            The optimizer's per-coordinate step :math:`\eta_j`.
        alpha : float
            The penalty strength.
        coords : ndarray of int
            The penalised coordinates: an index array, or an ``(r, 2)`` array of
            ``[start, stop)`` blocks.
        """
        if self._separable():
            if alpha:
                fn = _compiled(type(self))
                if coords.ndim == 2:
                    fn.prox_ranges(w, step, coords, alpha)
                else:
                    fn.prox_coords(w, step, np.asarray(coords, dtype=np.int64), alpha)
            return
        l1, l2 = self.coefficients()
        if not alpha or not (l1 or l2):
            return
        if coords.ndim == 2:
            prox_ranges(w, step, coords, alpha * l1, alpha * l2)
        else:
            prox_coords(w, step, coords, alpha * l1, alpha * l2)


def _own_names(cls) -> set[str]:
    """Names defined by ``cls`` or a base below :class:`Regularizer`."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is Regularizer:
            break
        names |= set(vars(klass))
    return names


def _compiled(cls):
    """The compiled loops of a separable penalty (built once per class)."""
    fns = cls.__dict__.get("_compiled_loops")
    if fns is None:
        fns = compile_separable(cls.penalty, cls.prox, getattr(cls, "gradient", None))
        cls._compiled_loops = fns
    return fns


def _blocks(w: np.ndarray, coords: np.ndarray):
    """Views of ``w`` over ``[start, stop)`` blocks, or one gathered copy."""
    if coords.ndim == 2:
        return [w[a:b] for a, b in coords]
    return [w[coords]]


@REGULARIZERS.register
class NoPenalty(Regularizer):
    r"""No penalty: :math:`R(w) = 0`, whose proximal map is the identity,
    :math:`\operatorname{prox}_{tR}(w) = w`.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import NoPenalty
    >>> NoPenalty().coefficients(), NoPenalty().value(np.ones(3), 1.0, np.arange(3))
    ((0.0, 0.0), 0.0)
    """

    name = "none"

    def coefficients(self) -> tuple[float, float]:
        return 0.0, 0.0


@REGULARIZERS.register
class L2(Regularizer):
    r"""Ridge penalty :math:`\tfrac{\alpha}{2}\|w\|_2^2` (proximal step
    :math:`w \leftarrow w/(1+\eta\alpha)`).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import L2
    >>> w = np.array([2.0, -4.0])
    >>> L2().value(w, 0.1, np.arange(2))  # 0.1 * (4 + 16) / 2
    1.0
    >>> L2().apply_prox(w, np.full(2, 1.0), 1.0, np.arange(2))  # w / (1 + 1 * 1)
    >>> w
    array([ 1., -2.])
    """

    name = "l2"

    def coefficients(self) -> tuple[float, float]:
        return 0.0, 1.0


@REGULARIZERS.register
class L1(Regularizer):
    r"""Lasso penalty :math:`\alpha\|w\|_1` (proximal step: soft-thresholding by
    :math:`\eta\alpha`).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import L1
    >>> w = np.array([0.3, -2.0, 1.0])
    >>> L1().apply_prox(w, np.full(3, 1.0), 0.5, np.arange(3))  # soft-threshold by 0.5
    >>> w
    array([ 0. , -1.5,  0.5])
    """

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

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import ElasticNet
    >>> ElasticNet(l1_ratio=0.5).coefficients()
    (0.5, 0.5)
    >>> w = np.array([0.3, -2.0])
    >>> ElasticNet(l1_ratio=0.5).apply_prox(w, np.ones(2), 1.0, np.arange(2))
    >>> w
    array([ 0., -1.])
    """

    name = "elasticnet"

    def __init__(self, l1_ratio: float = 0.15):
        self.l1_ratio = l1_ratio

    def coefficients(self) -> tuple[float, float]:
        if not 0.0 <= self.l1_ratio <= 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {self.l1_ratio}")
        return float(self.l1_ratio), 1.0 - float(self.l1_ratio)


def resolve_penalty(penalty, l1_ratio: float = 0.15) -> Regularizer:
    """A regularizer from ``None``, a registered name or a :class:`Regularizer`.

    Parameters
    ----------
    penalty : str, Regularizer or None
        ``None`` (no penalty), a name of ``REGULARIZERS`` (``"l2"``, ``"l1"``,
        ``"elasticnet"``, ``"none"``) or a regularizer object (returned as is).
    l1_ratio : float, default=0.15
        The mixing of ``"elasticnet"``.

    Returns
    -------
    regularizer : Regularizer
        The penalty object.

    Examples
    --------
    >>> from skgd.solver import resolve_penalty
    >>> resolve_penalty("elasticnet", l1_ratio=0.3)
    ElasticNet(l1_ratio=0.3)
    >>> resolve_penalty(None)
    NoPenalty()
    """
    if penalty is None:
        return NoPenalty()
    if penalty == "elasticnet":
        return ElasticNet(l1_ratio=l1_ratio)
    return REGULARIZERS.resolve(penalty, Regularizer)
