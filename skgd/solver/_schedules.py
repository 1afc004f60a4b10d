r"""Learning-rate schedules.

A schedule maps the 0-based update count :math:`t` to a step size, vectorised over an
array of counts (the solver asks for a whole epoch's rates at once and hands them to the
compiled per-sample kernel). Epoch-based schedules use fractional epochs
:math:`e = t / n_b` with :math:`n_b` updates per epoch, and :math:`T` = ``max_iter``
:math:`\cdot n_b` is the planned number of updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._component import Component
from ._registry import Registry

SCHEDULES: Registry = Registry("learning_rate")


@dataclass(frozen=True)
class ScheduleContext:
    r"""What a schedule may depend on besides the update count.

    Parameters
    ----------
    lr0 : float
        The initial step size :math:`\eta_0` (``learning_rate_init``).
    steps_per_epoch : int
        Updates per epoch :math:`n_b` (rows / batch size; 1 for full-batch GD).
    max_iter : int
        Planned epochs; :attr:`total_steps` :math:`T` = ``max_iter * steps_per_epoch``.
    alpha : float, default=0.0
        The penalty strength (used by ``optimal``).
    dloss : callable or None, default=None
        ``dloss(p)``: the loss's derivative at prediction ``p`` with target 1
        (:meth:`skgd.losses.Loss.dloss`, used by ``optimal``).

    Examples
    --------
    >>> from skgd.solver import ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> ctx.total_steps
    50
    """

    lr0: float
    steps_per_epoch: int
    max_iter: int
    alpha: float = 0.0
    dloss: Callable[[float], float] | None = None

    @property
    def total_steps(self) -> int:
        """The planned number of updates :math:`T` (``max_iter * steps_per_epoch``, at least 1)."""
        return max(1, self.max_iter * self.steps_per_epoch)


class Schedule(Component):
    """Base class: :meth:`rates` gives the step sizes of update counts ``t``.

    A new schedule is one class with its hyperparameters in ``__init__`` and
    :meth:`rates` (optionally :meth:`on_plateau`); registering it with
    ``@SCHEDULES.register`` makes its ``name`` valid for ``learning_rate=``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Schedule, ScheduleContext
    >>> class Halving(Schedule):
    ...     name = "halving_example"
    ...     def rates(self, t, ctx):
    ...         return ctx.lr0 * 0.5 ** (t // ctx.steps_per_epoch)
    >>> Halving().rates(np.arange(4.0), ScheduleContext(lr0=1.0, steps_per_epoch=2, max_iter=2))
    array([1. , 1. , 0.5, 0.5])
    """

    def rates(self, t: np.ndarray, ctx: ScheduleContext) -> np.ndarray:
        r"""Step sizes of the update counts ``t`` (float64). ``t`` is a buffer the loop
        refills every epoch: return a new array or ``t`` itself, and keep no reference
        to it after the call.

        Parameters
        ----------
        t : ndarray of float64
            0-based update counts.
        ctx : ScheduleContext
            The initial rate, updates per epoch, planned epochs and the problem's
            ``alpha`` and loss derivative.

        Returns
        -------
        rates : ndarray of float64, shape of ``t``
            The step size :math:`\eta_t` of every count.
        """
        raise NotImplementedError

    def on_plateau(self, scale: float, ctx: ScheduleContext) -> float | None:
        """Called when the stopping monitor sees a plateau. Return a new multiplier of
        the rates to continue training, or None to let the monitor stop.

        Parameters
        ----------
        scale : float
            The current multiplier of the rates (1 until a first plateau).
        ctx : ScheduleContext
            The schedule's context.

        Returns
        -------
        scale : float or None
            The new multiplier, or None (the default) to stop.
        """
        return None


@SCHEDULES.register
class Constant(Schedule):
    r""":math:`\eta_t = \eta_0`.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Constant, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> Constant().rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.1, 0.1, 0.1, 0.1])
    """

    name = "constant"

    def rates(self, t, ctx):
        return np.full(t.shape, ctx.lr0, dtype=np.float64)


@SCHEDULES.register
class InvScaling(Schedule):
    r""":math:`\eta_t = \eta_0 / (t+1)^{p}` (scikit-learn's ``invscaling``).

    Parameters
    ----------
    power_t : float, default=0.25
        The exponent :math:`p`.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import InvScaling, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> InvScaling(power_t=0.5).rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.1   , 0.0302, 0.0218, 0.0156])
    """

    name = "invscaling"

    def __init__(self, power_t: float = 0.25):
        self.power_t = power_t

    def rates(self, t, ctx):
        return ctx.lr0 / _power(t + 1.0, self.power_t)


def _power(x: np.ndarray, p: float) -> np.ndarray:
    """:math:`x^p`; the common exponents by square roots, which cost a fifth of
    ``np.power``'s per-element ``pow`` (the rates of a per-sample epoch are one value
    a sample)."""
    if p == 0.5:
        return np.sqrt(x)
    if p == 0.25:
        return np.sqrt(np.sqrt(x))
    if p == 1.0:
        return x
    return np.power(x, p)


@SCHEDULES.register
class Optimal(Schedule):
    r"""Bottou's schedule :math:`\eta_t = 1/(\alpha (t_0 + t))` (scikit-learn's ``optimal``).

    :math:`t_0` follows Bottou's heuristic as in scikit-learn: with a typical weight
    :math:`\tilde w = \alpha^{-1/4}`, :math:`t_0 = 1/(\eta^*\alpha)` and
    :math:`\eta^* = \tilde w / \max(1, |L'(-\tilde w, 1)|)`. Needs ``alpha > 0``;
    ``learning_rate_init`` is ignored.

    References
    ----------
    Bottou (2012), "Stochastic gradient descent tricks".

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import SquaredError
    >>> from skgd.solver import Optimal, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5, alpha=0.01,
    ...                       dloss=SquaredError().dloss)
    >>> Optimal().rates(np.array([0.0, 10.0, 40.0]), ctx).round(4)
    array([0.7597, 0.7061, 0.5827])
    """

    name = "optimal"

    def rates(self, t, ctx):
        if ctx.alpha <= 0:
            raise ValueError("learning_rate='optimal' needs alpha > 0")
        typw = np.sqrt(1.0 / np.sqrt(ctx.alpha))
        dl = abs(ctx.dloss(-typw)) if ctx.dloss is not None else 1.0
        eta0 = typw / max(1.0, dl)
        t0 = 1.0 / (eta0 * ctx.alpha)
        rates = t + t0  # in place from here: one temporary per epoch
        rates *= ctx.alpha
        return np.divide(1.0, rates, out=rates)


@SCHEDULES.register
class Step(Schedule):
    r""":math:`\eta_t = \eta_0\,\gamma^{\lfloor e / s \rfloor}`: decay by ``gamma`` every
    ``step_size`` epochs.

    Parameters
    ----------
    step_size : int, default=10
        Epochs between decays.
    gamma : float, default=0.5
        Decay factor.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Step, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> Step(step_size=2, gamma=0.5).rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.1  , 0.1  , 0.05 , 0.025])
    """

    name = "step"

    def __init__(self, step_size: int = 10, gamma: float = 0.5):
        self.step_size = step_size
        self.gamma = gamma

    def rates(self, t, ctx):
        epoch = t // ctx.steps_per_epoch
        return ctx.lr0 * np.power(self.gamma, epoch // max(1, self.step_size))


@SCHEDULES.register
class Exponential(Schedule):
    r""":math:`\eta_t = \eta_0\,\gamma^{e}` with fractional epochs :math:`e`.

    Parameters
    ----------
    gamma : float, default=0.95
        Decay per epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Exponential, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> Exponential(gamma=0.5).rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.1   , 0.05  , 0.025 , 0.0062])
    """

    name = "exponential"

    def __init__(self, gamma: float = 0.95):
        self.gamma = gamma

    def rates(self, t, ctx):
        return ctx.lr0 * np.power(self.gamma, t / ctx.steps_per_epoch)


def _cosine(frac: np.ndarray, high: float, low: float) -> np.ndarray:
    frac = np.clip(frac, 0.0, 1.0)
    return low + 0.5 * (high - low) * (1.0 + np.cos(np.pi * frac))


@SCHEDULES.register
class Cosine(Schedule):
    r"""Cosine annealing over the planned updates :math:`T`:
    :math:`\eta_t = \eta_{\min} + \tfrac12(\eta_0-\eta_{\min})(1+\cos(\pi t/T))`.

    Parameters
    ----------
    min_ratio : float, default=0.0
        :math:`\eta_{\min} / \eta_0`.

    References
    ----------
    Loshchilov & Hutter (2017), "SGDR: stochastic gradient descent with warm restarts".

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Cosine, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> Cosine(min_ratio=0.1).rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.1   , 0.0914, 0.0689, 0.0186])
    """

    name = "cosine"

    def __init__(self, min_ratio: float = 0.0):
        self.min_ratio = min_ratio

    def rates(self, t, ctx):
        return _cosine(t / ctx.total_steps, ctx.lr0, ctx.lr0 * self.min_ratio)


@SCHEDULES.register
class WarmupCosine(Schedule):
    r"""Linear warm-up from 0 to :math:`\eta_0` over the first ``warmup_fraction`` of the
    planned updates, then cosine annealing to ``min_ratio`` :math:`\cdot\eta_0`.

    Parameters
    ----------
    warmup_fraction : float, default=0.05
        Share of :math:`T` spent warming up.
    min_ratio : float, default=0.0
        Final rate relative to :math:`\eta_0`.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import WarmupCosine, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> WarmupCosine(warmup_fraction=0.2).rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.01  , 0.1   , 0.0854, 0.0146])
    """

    name = "warmup_cosine"

    def __init__(self, warmup_fraction: float = 0.05, min_ratio: float = 0.0):
        self.warmup_fraction = warmup_fraction
        self.min_ratio = min_ratio

    def rates(self, t, ctx):
        warm = max(1.0, self.warmup_fraction * ctx.total_steps)
        up = ctx.lr0 * (t + 1.0) / warm
        down = _cosine((t - warm) / max(1.0, ctx.total_steps - warm), ctx.lr0,
                       ctx.lr0 * self.min_ratio)
        return np.where(t < warm, up, down)


@SCHEDULES.register
class OneCycle(Schedule):
    r"""One-cycle policy: cosine rise from :math:`\eta_0/d` to :math:`\eta_0` over the
    first ``pct_start`` of the planned updates, then cosine decay to
    :math:`\eta_0/(d\cdot d_f)`.

    Parameters
    ----------
    pct_start : float, default=0.3
        Share of :math:`T` spent rising.
    div_factor : float, default=25.0
        :math:`d`.
    final_div_factor : float, default=1e4
        :math:`d_f`.

    References
    ----------
    Smith & Topin (2019), "Super-convergence"; PyTorch's ``OneCycleLR``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import OneCycle, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> OneCycle(pct_start=0.3).rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.004 , 0.076 , 0.095 , 0.0188])
    """

    name = "onecycle"

    def __init__(self, pct_start: float = 0.3, div_factor: float = 25.0,
                 final_div_factor: float = 1e4):
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor

    def rates(self, t, ctx):
        peak = max(1.0, self.pct_start * ctx.total_steps)
        start = ctx.lr0 / self.div_factor
        rise = _cosine(1.0 - t / peak, ctx.lr0, start)
        fall = _cosine((t - peak) / max(1.0, ctx.total_steps - peak), ctx.lr0,
                       start / self.final_div_factor)
        return np.where(t < peak, rise, fall)


@SCHEDULES.register
class Plateau(Schedule):
    r"""Constant :math:`\eta_0`, multiplied by ``factor`` whenever the stopping monitor
    sees ``n_iter_no_change`` epochs without an improvement of ``tol`` (instead of
    stopping); training stops once the rate falls below ``min_lr`` (scikit-learn MLP's
    ``adaptive`` with ``factor=0.2``).

    Parameters
    ----------
    factor : float, default=0.2
        Multiplier applied at each plateau, in (0, 1).
    min_lr : float, default=1e-6
        Stop when the rate drops below this.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Plateau, ScheduleContext
    >>> ctx = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=5)
    >>> Plateau(factor=0.2).rates(np.array([0.0, 10.0, 20.0, 40.0]), ctx).round(4)
    array([0.1, 0.1, 0.1, 0.1])
    >>> Plateau(factor=0.2).on_plateau(1.0, ctx)  # the rate multiplier after a plateau
    0.2
    """

    name = "plateau"

    def __init__(self, factor: float = 0.2, min_lr: float = 1e-6):
        self.factor = factor
        self.min_lr = min_lr

    def rates(self, t, ctx):
        return np.full(t.shape, ctx.lr0, dtype=np.float64)

    def on_plateau(self, scale, ctx):
        new = scale * self.factor
        return new if ctx.lr0 * new >= self.min_lr else None


SCHEDULES.alias("adaptive", "plateau")  # scikit-learn's MLP name
