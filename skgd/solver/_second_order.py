"""Full-batch second-order runs (L-BFGS, Newton) inside :func:`minimize`."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._config import OptimizeResult, SolverConfig, SolverState
from ._iterations import IterationLog
from ._stopping import Monitor


def run_full_batch(objective, cfg: SolverConfig, state: SolverState, monitor: Monitor,
                   callbacks):
    """Hand the penalised full-batch objective to the optimizer's own iteration."""
    if not objective.smooth or not cfg.penalty.smooth:
        raise ValueError(
            f"solver={cfg.optimizer.name!r} needs a smooth objective; use a first-order "
            "solver (e.g. solver='sgd' with batch_size='full') for the L1 penalty or "
            "non-differentiable losses."
        )
    coords = np.flatnonzero(objective.layout.mask())
    dtype = state.w.dtype

    last: dict = {}

    def fun_grad(w64):
        w = w64.astype(dtype, copy=False)
        f, g = objective.value_grad(w)
        g = np.array(g, dtype=np.float64)
        cfg.penalty.add_smooth_grad(g, w64, cfg.alpha, coords)
        f = float(f) + cfg.penalty.value(w64, cfg.alpha, coords)
        if cfg.proximal is not None:
            cfg.proximal.add_grad(g, w64)
            f += cfg.proximal.value(w64)
        last["x"], last["f"], last["g"] = w64.copy(), f, g
        return f, g

    def hessp(w64, v):
        hv = np.asarray(objective.hessp(w64.astype(dtype, copy=False), v), dtype=np.float64)
        l2 = cfg.penalty.coefficients()[1] * cfg.alpha
        if l2:
            hv[coords] += l2 * v[coords]
        if cfg.proximal is not None:
            cfg.proximal.add_hessp(hv, v)
        return hv

    log = IterationLog(cfg, state, monitor, callbacks)

    def callback(w64) -> bool:
        """The shared epoch record after each accepted iterate; True stops the run."""
        # the accepted iterate is normally the last point evaluated: no extra pass
        same = "x" in last and np.array_equal(last["x"], w64)
        f, g = (last["f"], last["g"]) if same else fun_grad(w64)
        return log(w64, f, None, float(np.linalg.norm(g)))

    tol = 1e-4 if cfg.tol is None else cfg.tol
    w, nit, converged = cfg.optimizer.run(fun_grad, hessp, state.w.astype(np.float64),
                                          cfg.max_iter, tol, callback)
    converged = log.finish(w, nit, converged)
    if not converged and not log.stopped:
        _warn_stopped_short(cfg, nit, tol)
    return OptimizeResult(w=state.w, state=state, n_iter=nit, converged=converged)


def _warn_stopped_short(cfg: SolverConfig, nit: int, tol: float) -> None:
    """ConvergenceWarning for a run that ended without meeting its criterion."""
    if nit < cfg.max_iter:
        # a line search that found no decrease: the iterate is not an optimum
        warnings.warn(
            f"{cfg.optimizer.name} stopped after {nit} iterations without meeting "
            f"its tolerance tol={tol:g}: the objective stopped decreasing (a failed "
            "line search, features on very different scales, or a tolerance below "
            "what float64 resolves for this problem). Scale the features (e.g. "
            "with StandardScaler) or loosen tol.", ConvergenceWarning, stacklevel=5)
    elif cfg.warn_on_max_iter:
        warnings.warn(
            f"{cfg.optimizer.name} failed to converge after {nit} iterations. "
            "Increase max_iter or scale the data.", ConvergenceWarning, stacklevel=5)
