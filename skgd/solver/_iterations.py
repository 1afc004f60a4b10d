"""The epoch record of the full-batch drivers that run an optimizer's own iteration
(L-BFGS/Newton in :mod:`._second_order`, FISTA in :mod:`._composite`)."""

from __future__ import annotations

import time

import numpy as np

from ._config import SolverConfig, SolverState
from ._stopping import Monitor


class IterationLog:
    """Records each accepted iterate of an optimizer's ``run`` as one epoch.

    Calling it with an iterate updates ``state.w`` and the epoch count, appends the
    history record through the shared :class:`~skgd.solver._stopping.Monitor`, asks
    the monitor to stop on the validation plateau (``early_stopping`` only: the
    optimizer's own test decides convergence) and calls the callbacks; it returns
    True to stop the run. :meth:`finish` adopts the run's final iterate.
    """

    def __init__(self, cfg: SolverConfig, state: SolverState, monitor: Monitor, callbacks):
        self.cfg, self.state, self.monitor, self.callbacks = cfg, state, monitor, callbacks
        self.dtype = state.w.dtype
        self.stopped = False
        self._tic = time.perf_counter()

    def __call__(self, w64: np.ndarray, value: float, lr: float | None, gnorm: float,
                 optimality: float | None = None) -> bool:
        state = self.state
        state.w = np.ascontiguousarray(w64, dtype=self.dtype)
        state.epoch += 1
        rec = self.monitor.record(value, lr, gnorm, time.perf_counter() - self._tic, [],
                                  optimality)
        plateau = self.monitor.update(rec, None) if self.cfg.early_stopping else False
        state.best_loss = min(state.best_loss, value)
        self.stopped = any([bool(cb(rec, state.params)) for cb in self.callbacks]) or plateau
        self._tic = time.perf_counter()
        return self.stopped

    def finish(self, w: np.ndarray, nit: int, converged: bool) -> bool:
        """Adopt the run's result ``w`` after ``nit`` iterations; return whether the
        fit converged (the optimizer's test, or the monitor's validation plateau).

        Raises
        ------
        ValueError
            If ``w`` is not finite (nothing is adopted).
        """
        if not np.all(np.isfinite(w)):
            raise ValueError(
                f"Training diverged at iteration {nit}: non-finite weights. Scale the "
                "features (e.g. with StandardScaler) or increase alpha.")
        self.state.w = np.ascontiguousarray(w, dtype=self.dtype)
        self.state.t += nit
        self.monitor.finish(self.cfg)
        return converged or self.monitor.converged
