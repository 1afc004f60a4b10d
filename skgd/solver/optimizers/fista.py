"""FISTA: accelerated proximal gradient with a backtracking line search."""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral

import numpy as np

from ...utils._compat import Interval
from .._certificate import relative
from ._base import FULL_BATCH, OPTIMIZERS, PROX_GRADIENT, Optimizer

#: below this relative size the quadratic term of the line-search test drowns in
#: float64 rounding of the objective values: the test then compares gradients
_RESOLVED = 1e4 * np.finfo(np.float64).eps


def _initial_lipschitz(problem, x: np.ndarray, g: np.ndarray) -> float:
    """A secant estimate of the gradient's Lipschitz constant along ``-g`` (the line
    search raises it where it is too small)."""
    gnorm = float(np.linalg.norm(g))
    if not np.isfinite(gnorm) or gnorm == 0.0:
        return 1.0
    d = g * (-1e-4 * max(1.0, float(np.linalg.norm(x))) / gnorm)
    _, g2 = problem.fun_grad(x + d)
    lip = float(np.linalg.norm(g2 - g) / np.linalg.norm(d))
    return lip if np.isfinite(lip) and lip > 0 else 1.0


def _sufficient(problem, y, f_y: float, g_y, x, f_x: float, lip: float) -> bool:
    r"""Beck and Teboulle's test :math:`f(x) \le f(y) + \nabla f(y)^\top d +
    \tfrac L2\|d\|^2` (:math:`d = x - y`); once the quadratic term is below what
    float64 resolves in :math:`f`, the equivalent (for a quadratic) gradient test
    :math:`(\nabla f(x) - \nabla f(y))^\top d \le L\|d\|^2`."""
    d = x - y
    dd = float(d @ d)
    if dd == 0.0:
        return True  # y is a fixed point of the step: optimal
    if not np.isfinite(f_x):
        return False
    quad = 0.5 * lip * dd
    if quad > _RESOLVED * max(abs(f_y), abs(f_x)):
        return f_x - f_y - float(g_y @ d) <= quad
    _, g_x = problem.fun_grad(x)
    return float((g_x - g_y) @ d) <= lip * dd


def _prox_step(problem, y, f_y: float, g_y, lip: float, max_backtracking: int):
    """The proximal-gradient step from ``y`` with the smallest accepted
    :math:`L \\in \\{L_0, 2L_0, 4L_0, \\dots\\}`: ``(x, f(x), L)``, or None when the
    line search failed."""
    for _ in range(max_backtracking):
        x = problem.prox(y - g_y / lip, 1.0 / lip)
        f_x = problem.fun(x)
        if _sufficient(problem, y, f_y, g_y, x, f_x, lip):
            return x, f_x, lip
        lip *= 2.0
    return None


@OPTIMIZERS.register
class FISTA(Optimizer):
    r"""FISTA: the fast iterative shrinkage-thresholding algorithm (full batch).

    Minimises :math:`f(w) + h(w)` with :math:`f` the smooth data term and :math:`h =
    \alpha R` the penalty, used only through its proximal operator (so L1 and
    elastic-net give exact zeros):

    .. math::
        x_k = \operatorname{prox}_{h/L_k}\big(y_k - \nabla f(y_k)/L_k\big),\quad
        t_{k+1} = \tfrac{1 + \sqrt{1 + 4t_k^2}}{2},\quad
        y_{k+1} = x_k + \tfrac{t_k - 1}{t_{k+1}}(x_k - x_{k-1}),

    with :math:`L_k` found by backtracking (doubling from a secant estimate until
    :math:`f(x_k) \le f(y_k) + \nabla f(y_k)^\top(x_k - y_k) +
    \tfrac{L_k}{2}\|x_k - y_k\|^2`). With ``restart`` the momentum is reset whenever
    :math:`(y_k - x_k)^\top(x_k - x_{k-1}) > 0` (O'Donoghue and Candès' gradient
    scheme), which makes the convergence linear on strongly convex problems.

    It stops when the norm of the proximal-gradient mapping :math:`L_k\|y_k - x_k\|`
    is at most ``tol`` times its value at the first iterate of a fit from scratch,
    and returns the iterate of lowest :math:`f + h` it visited. Needs
    ``batch_size="full"`` and a differentiable loss; ``solver="auto"`` picks it for
    full-batch fits with an L1 or elastic-net penalty.

    Parameters
    ----------
    restart : bool, default=True
        Adaptive restart of the momentum.
    max_backtracking : int, default=60
        Doublings of :math:`L` per iteration before the line search is declared
        failed (the fit then warns).

    References
    ----------
    Beck & Teboulle (2009), "A fast iterative shrinkage-thresholding algorithm for
    linear inverse problems", SIAM J. Imaging Sciences 2(1).
    O'Donoghue & Candès (2015), "Adaptive restart for accelerated gradient schemes",
    Foundations of Computational Mathematics 15.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd import LinearRegression
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> y = X @ np.array([1.0, 0.0])
    >>> reg = LinearRegression(solver="fista", batch_size="full", penalty="l1",
    ...                        alpha=0.01, tol=1e-10).fit(X, y)
    >>> float(reg.coef_[1])
    0.0
    """

    name = "fista"
    capabilities = frozenset({FULL_BATCH, PROX_GRADIENT})
    _parameter_constraints = {"restart": ["boolean"],
                              "max_backtracking": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, restart: bool = True, max_backtracking: int = 60):
        self.restart = restart
        self.max_backtracking = max_backtracking

    def _reference(self, problem, lip: float) -> tuple[float | None, float]:
        """The certificate at the cold-start point of a continued fit, and L."""
        if problem.cold_start is None:
            return None, lip
        c = problem.cold_start
        f_c, g_c = problem.fun_grad(c)
        step = _prox_step(problem, c, f_c, g_c, _initial_lipschitz(problem, c, g_c),
                          int(self.max_backtracking))
        if step is None:
            return None, lip
        return step[2] * float(np.linalg.norm(step[0] - c)), max(lip, step[2])

    def run(self, problem, w0: np.ndarray, max_iter: int, tol: float,
            callback: Callable) -> tuple[np.ndarray, int, bool]:
        r"""Minimise ``problem`` from ``w0``: (best iterate, iterations, converged).

        Parameters
        ----------
        problem : CompositeProblem
            The problem :math:`f(w) + h(w)` (``skgd.solver._composite``): smooth
            :math:`f` by ``fun_grad(w) -> (f, g)`` and ``fun(w)``, :math:`h = \alpha R`
            by ``penalty(w)`` and ``prox(z, t)`` (:math:`\operatorname{prox}_{th}(z)`),
            and ``cold_start``, the cold-start point of a continued fit (or None).
        w0 : ndarray of shape (n_params,)
            The starting point.
        max_iter : int
            Maximum number of iterations.
        tol : float
            Stop when the norm of the proximal-gradient mapping is at most ``tol`` times
            its value at the cold start.
        callback : callable
            ``callback(x, value, certificate, ratio, step)`` after each iterate; a
            truthy return stops the run.

        Returns
        -------
        w : ndarray of shape (n_params,)
            The iterate of lowest :math:`F + \alpha R`.
        n_iter : int
            Iterations run.
        converged : bool
            Whether the certificate reached ``tol``.
        """
        x = np.array(w0, dtype=np.float64)
        f_y, g_y = problem.fun_grad(x)
        reference, lip = self._reference(problem, _initial_lipschitz(problem, x, g_y))
        y, t = x, 1.0
        best, best_value = x, np.inf
        for it in range(1, max_iter + 1):
            step = _prox_step(problem, y, f_y, g_y, lip, int(self.max_backtracking))
            if step is None:
                return best, it - 1, False
            x_new, f_new, lip = step
            certificate = lip * float(np.linalg.norm(x_new - y))
            reference = certificate if reference is None else reference
            value = f_new + problem.penalty(x_new)
            if value <= best_value:
                best, best_value = x_new, value
            if self.restart and float((y - x_new) @ (x_new - x)) > 0:
                t = 1.0
            t_next = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
            y = x_new + ((t - 1.0) / t_next) * (x_new - x)
            x, t = x_new, t_next
            ratio = relative(certificate, reference)
            stop = callback(x, value, certificate, ratio, 1.0 / lip)
            if ratio <= tol:
                return best, it, True
            if stop:
                return best, it, False
            f_y, g_y = problem.fun_grad(y)
        return best, max_iter, False
