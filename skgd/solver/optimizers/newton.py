"""Full-batch Newton-CG with a backtracking line search."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral

import numpy as np

from ...utils._compat import Interval
from ._base import FULL_BATCH, OPTIMIZERS, SECOND_ORDER, Optimizer


def _conjugate_gradient(hessp: Callable, g: np.ndarray, max_iter: int) -> np.ndarray:
    """Approximately solve :math:`H p = -g` (truncated CG, Nocedal & Wright Alg. 7.1)."""
    gnorm = np.linalg.norm(g)
    tol = min(0.5, np.sqrt(gnorm)) * gnorm  # forcing sequence: superlinear convergence
    p = np.zeros_like(g)
    r = g.copy()
    d = -r
    rr = r @ r
    for _ in range(max_iter):
        hd = hessp(d)
        curv = d @ hd
        if curv <= 0:  # negative curvature: fall back to the steepest-descent direction
            return -g if not p.any() else p
        a = rr / curv
        p += a * d
        r += a * hd
        rr_new = r @ r
        if np.sqrt(rr_new) <= tol:
            break
        d = -r + (rr_new / rr) * d
        rr = rr_new
    return p


@OPTIMIZERS.register
class Newton(Optimizer):
    r"""Newton's method with conjugate-gradient inner solves (Hessian-free).

    Each iteration solves :math:`\nabla^2F(w)\,p = -\nabla F(w)` approximately with CG
    using Hessian-vector products, then takes the largest step
    :math:`\gamma\in\{1, \tfrac12, \dots\}` satisfying Armijo's condition
    :math:`F(w+\gamma p) \le F(w) + 10^{-4}\gamma\,\nabla F^\top p`. Stops when
    :math:`\max_j|\nabla_j F| \le` ``tol``. Needs a smooth, twice-differentiable loss.

    Parameters
    ----------
    max_cg_iter : int, default=200
        Cap on CG iterations per Newton step.

    References
    ----------
    Nocedal & Wright (2006), "Numerical optimization", chapter 7.1.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Newton
    >>> opt = Newton(max_cg_iter=50)
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

    name = "newton"
    capabilities = frozenset({FULL_BATCH, SECOND_ORDER})
    _parameter_constraints = {"max_cg_iter": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, max_cg_iter: int = 200):
        self.max_cg_iter = max_cg_iter

    def run(self, fun_grad: Callable, hessp: Callable | None, w0: np.ndarray,
            max_iter: int, tol: float, callback: Callable) -> tuple[np.ndarray, int, bool]:
        r"""Minimise ``fun_grad`` from ``w0`` by Newton-CG steps with Armijo backtracking.

        Parameters
        ----------
        fun_grad : callable
            ``fun_grad(w) -> (f, g)``: the penalised full-batch objective and its gradient.
        hessp : callable or None
            ``hessp(w, v)``: the Hessian of the objective at ``w`` times ``v``;
            required (``ValueError`` when None).
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
        if hessp is None:
            raise ValueError("solver='newton' needs an objective with Hessian products")
        w = w0.astype(np.float64)
        f, g = fun_grad(w)
        for it in range(1, max_iter + 1):
            if np.max(np.abs(g)) <= tol:
                return w, it - 1, True
            p = _conjugate_gradient(lambda v, w=w: hessp(w, v), g, int(self.max_cg_iter))
            slope = g @ p
            gamma = 1.0
            for _ in range(60):
                w_new = w + gamma * p
                f_new, g_new = fun_grad(w_new)
                if f_new <= f + 1e-4 * gamma * slope:
                    break
                gamma *= 0.5
            else:
                # no decrease possible (machine precision, or a failed line search on
                # badly scaled data): this iteration took no step
                return w, it - 1, False
            if abs(f - f_new) <= 64 * np.finfo(float).eps * max(abs(f), 1.0) and gamma < 1:
                w, f, g = w_new, f_new, g_new
                callback(w)
                return w, it, True
            w, f, g = w_new, f_new, g_new
            if callback(w):
                return w, it, False
        return w, max_iter, bool(np.max(np.abs(g)) <= tol)
