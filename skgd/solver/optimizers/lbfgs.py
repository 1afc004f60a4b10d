"""Full-batch L-BFGS (scipy's L-BFGS-B as the engine)."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral

import numpy as np
from scipy.optimize import minimize as scipy_minimize

from ...utils._compat import Interval
from ._base import FULL_BATCH, OPTIMIZERS, Optimizer


@OPTIMIZERS.register
class LBFGS(Optimizer):
    r"""Limited-memory BFGS on the full-batch objective (smooth problems only).

    Stops when :math:`\max_j |\nabla_j F| \le` ``tol`` (as scikit-learn's
    ``LogisticRegression``), when the relative decrease of :math:`F` falls below
    :math:`64\epsilon_{mach}`, or after ``max_iter`` iterations. A stop on the
    decrease counts as converged only when the gradient has also shrunk to
    :math:`10^{-3}` of its initial size: one with the gradient still large (a failed
    line search from badly scaled features, which returns about the initial weights)
    is reported as not converged, and the solver warns.

    Parameters
    ----------
    history_size : int, default=10
        Number of correction pairs (scipy's ``maxcor``).
    max_linesearch : int, default=50
        Line-search steps per iteration (scipy's ``maxls``).

    References
    ----------
    Liu & Nocedal (1989); Byrd, Lu, Nocedal & Zhu (1995), L-BFGS-B.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import LBFGS
    >>> opt = LBFGS(history_size=20)
    >>> w, n_iter, converged = opt.run(lambda w: (0.5 * w @ w - w.sum(), w - 1.0),
    ...                                lambda w, v: v, np.zeros(3), 100, 1e-8, lambda w: False)
    >>> np.round(w, 6), converged
    (array([1., 1., 1.]), True)
    >>> from sklearn.datasets import load_iris
    >>> from skgd.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> round(LogisticRegression(solver=opt).fit(X, y).score(X, y), 2)
    0.97
    """

    name = "lbfgs"
    capabilities = frozenset({FULL_BATCH})
    _parameter_constraints = {"history_size": [Interval(Integral, 1, None, closed="left")],
                              "max_linesearch": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, history_size: int = 10, max_linesearch: int = 50):
        self.history_size = history_size
        self.max_linesearch = max_linesearch

    def run(self, fun_grad: Callable, hessp: Callable | None, w0: np.ndarray,
            max_iter: int, tol: float, callback: Callable) -> tuple[np.ndarray, int, bool]:
        r"""Minimise ``fun_grad`` from ``w0``; returns (w, iterations, converged).

        ``callback(w)`` runs after each iteration; a truthy return stops the run.

        Parameters
        ----------
        fun_grad : callable
            ``fun_grad(w) -> (f, g)``: the penalised full-batch objective and its gradient.
        hessp : callable or None
            ``hessp(w, v)``: the Hessian of the objective at ``w`` times ``v`` (unused).
        w0 : ndarray of shape (n_params,)
            The starting point.
        max_iter : int
            Maximum number of iterations.
        tol : float
            Gradient tolerance: stop when :math:`\max_j |\nabla_j F| \le` ``tol``.
        callback : callable
            ``callback(w)`` after each accepted iterate; a truthy return stops the run.

        Returns
        -------
        w : ndarray of shape (n_params,)
            The last iterate.
        n_iter : int
            Iterations run.
        converged : bool
            Whether the stopping criterion was met.
        """

        g0: list[float] = []

        def first_gradient_kept(w):
            f, g = fun_grad(w)
            if not g0:
                g0.append(float(np.max(np.abs(g), initial=0.0)))
            return f, g

        def stop_when_asked(w):
            if callback(w):
                raise StopIteration  # scipy ends the run and returns this iterate

        res = scipy_minimize(
            first_gradient_kept, w0.astype(np.float64), method="L-BFGS-B", jac=True,
            callback=stop_when_asked,
            options={"maxiter": max_iter, "maxls": self.max_linesearch, "gtol": tol,
                     "ftol": 64 * np.finfo(float).eps, "maxcor": self.history_size},
        )
        g_end = float(np.max(np.abs(res.jac), initial=0.0))
        optimal = g_end <= max(tol, 1e-3 * (g0[0] if g0 else 0.0))
        return res.x, int(res.nit), bool(res.status == 0 and optimal)
