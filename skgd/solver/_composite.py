"""Full-batch proximal-gradient runs (FISTA) inside :func:`minimize`."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._config import OptimizeResult, SolverConfig, SolverState
from ._iterations import IterationLog
from ._stopping import Monitor

__all__ = ["CompositeProblem", "run_composite"]


@dataclass
class CompositeProblem:
    r"""The problem a proximal-gradient method sees: :math:`f(w) + h(w)` with smooth
    :math:`f` (the data term and the smooth proximal term, in float64) and
    :math:`h = \alpha R` given by its value and proximal operator.

    ``fun_grad(w) -> (f, g)``; ``fun(w) -> f`` (no gradient: the line search's trial
    points); ``prox(z, t)`` returns :math:`\operatorname{prox}_{t h}(z)` (a new
    array); ``penalty(w) -> h(w)``; ``cold_start`` is the point a fit from scratch
    begins from, given for a continued fit (the certificate is relative to its value
    there; None: relative to the first iterate's).
    """

    fun_grad: Callable[[np.ndarray], tuple[float, np.ndarray]]
    fun: Callable[[np.ndarray], float]
    prox: Callable[[np.ndarray, float], np.ndarray]
    penalty: Callable[[np.ndarray], float]
    cold_start: np.ndarray | None = None


def _problem(objective, cfg: SolverConfig, dtype, cold_start) -> CompositeProblem:
    ranges = objective.layout.penalized_ranges()
    proximal = cfg.proximal

    def fun_grad(w64):
        f, g = objective.value_grad(w64.astype(dtype, copy=False))
        g = np.array(g, dtype=np.float64)
        f = float(f)
        if proximal is not None:
            proximal.add_grad(g, w64)
            f += proximal.value(w64)
        return f, g

    def fun(w64):
        f = float(objective.value(w64.astype(dtype, copy=False)))
        return f if proximal is None else f + proximal.value(w64)

    def prox(z, t):
        z = np.array(z, dtype=np.float64)
        if cfg.alpha:
            cfg.penalty.apply_prox(z, np.full(z.size, t), cfg.alpha, ranges)
        return z

    def penalty(w64):
        return cfg.penalty.value(w64, cfg.alpha, ranges)

    return CompositeProblem(fun_grad, fun, prox, penalty, cold_start)


def _cold_start(objective) -> np.ndarray:
    """The point a fit from scratch begins from (a fixed generator: the run's own
    must not advance)."""
    return objective.init_params(np.random.RandomState(0)).astype(np.float64)


def run_composite(objective, cfg: SolverConfig, state: SolverState, monitor: Monitor,
                  callbacks) -> OptimizeResult:
    """Hand the smooth part and the penalty's prox to the optimizer's own iteration
    (capability ``PROX_GRADIENT``); it records each iterate through the monitor."""
    if not objective.smooth:
        raise ValueError(
            f"solver={cfg.optimizer.name!r} needs a differentiable loss (the penalty may "
            "be non-smooth); use a first-order solver such as 'adam' for this loss.")
    if cfg.batch_size != "full":
        raise ValueError(
            f"solver={cfg.optimizer.name!r} is a full-batch method: it needs "
            f"batch_size='full', got batch_size={cfg.batch_size!r}. Set "
            "batch_size='full', or use a first-order solver such as 'adam' for "
            "mini-batch or per-sample fits.")
    dtype = state.w.dtype
    fresh = state.epoch == 0
    problem = _problem(objective, cfg, dtype, None if fresh else _cold_start(objective))
    log = IterationLog(cfg, state, monitor, callbacks)

    def callback(w64, value: float, certificate: float, ratio: float, step: float) -> bool:
        return log(w64, value, step, certificate, ratio)

    tol = 0.0 if cfg.tol is None else cfg.tol
    w, nit, converged = cfg.optimizer.run(problem, state.w.astype(np.float64),
                                          cfg.max_iter, tol, callback)
    converged = log.finish(w, nit, converged)
    if not converged and not log.stopped and cfg.tol is not None:
        _warn(cfg, nit)
    return OptimizeResult(w=state.w, state=state, n_iter=nit, converged=converged)


def _warn(cfg: SolverConfig, nit: int) -> None:
    if nit < cfg.max_iter:
        msg = (f"{cfg.optimizer.name} stopped after {nit} iterations without meeting its "
               f"certificate tol={cfg.tol:g}: the line search found no decrease (features "
               "on very different scales, or a tolerance below what float64 resolves). "
               "Scale the features (e.g. with StandardScaler) or loosen tol.")
    elif not cfg.warn_on_max_iter:
        return
    else:
        msg = (f"{cfg.optimizer.name}: maximum iterations ({cfg.max_iter}) reached before "
               f"the optimality certificate met tol={cfg.tol:g}. Increase max_iter or "
               "loosen tol.")
    warnings.warn(msg, ConvergenceWarning, stacklevel=6)
