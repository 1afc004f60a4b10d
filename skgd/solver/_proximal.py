"""A centred proximal term: FedProx's anchor to the global model."""

from __future__ import annotations

from numbers import Real

import numpy as np

from ..utils._compat import Interval
from ._component import Component
from ._prox import prox_center_coords, prox_center_ranges

__all__ = ["ProximalTerm"]


class ProximalTerm(Component):
    r"""The centred quadratic :math:`\tfrac{\mu}{2}\|w_S - c_S\|^2` added to the
    objective, applied by the solver as a proximal step.

    FedProx (Li et al., 2020) adds it to every client's local objective with the
    centre :math:`c` = the global model of the round, which keeps local training from
    drifting far from it on non-IID data. It is a second penalty beside the
    estimator's ``penalty``/``alpha`` and is *not* scaled by ``alpha``; it covers the
    coordinates :math:`S` of ``blocks`` (all, by default: intercepts and biases too).

    Where the solver applies it:

    - mini-batch and full-batch first-order updates: after the optimizer's rule and
      the penalty's proximal step, the exact proximal step
      :math:`w_j \leftarrow (w_j + \eta_j\mu c_j)/(1 + \eta_j\mu)` with the rule's
      per-coordinate step :math:`\eta_j` (over every covered coordinate after a dense
      gradient, over the covered coordinates a sparse gradient touches otherwise, as
      the penalty's lazy step);
    - L-BFGS and Newton: its value, gradient :math:`\mu(w - c)` and Hessian
      :math:`\mu I` are added to the objective;
    - the compiled per-sample kernels do not implement it: with a proximal term a
      ``batch_size=1`` fit runs in the generic loop with batches of one row (the same
      updates), and a model trained only by such kernels (``svdpp``) refuses it.

    The epoch's recorded training loss includes the term.

    Parameters
    ----------
    mu : float, default=0.0
        Strength :math:`\mu \ge 0`.
    center : ndarray of shape (n_params,) or None
        The anchor :math:`c`, in the solver's flat parameter layout.
    blocks : ndarray of shape (r, 2) or None
        ``[start, stop)`` blocks of the covered coordinates; None covers all.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import ProximalTerm
    >>> term = ProximalTerm(mu=1.0, center=np.zeros(2))
    >>> w = np.array([2.0, -4.0])
    >>> term.apply_prox(w, np.full(2, 1.0))
    >>> w
    array([ 1., -2.])
    >>> term.value(w)
    2.5
    """

    name = "proximal"
    _parameter_constraints: dict = {"mu": [Interval(Real, 0, None, closed="left")],
                                    "center": ["array-like"], "blocks": ["array-like", None]}

    def __init__(self, mu: float = 0.0, center=None, blocks=None):
        self.mu = mu
        self.center = center
        self.blocks = blocks

    def _ranges(self, n: int) -> np.ndarray:
        if self.blocks is None:
            return np.array([[0, n]], dtype=np.int64)
        return np.asarray(self.blocks, dtype=np.int64).reshape(-1, 2)

    def _covered(self, n: int) -> np.ndarray:
        cached = getattr(self, "_mask", None)
        if cached is None or cached.size != n:
            cached = np.zeros(n, dtype=np.uint8)
            for a, b in self._ranges(n):
                cached[a:b] = 1
            self._mask = cached
        return cached

    def check(self, n_params: int) -> None:
        """Raise ``ValueError`` unless the centre is a finite vector of ``n_params``.

        Parameters
        ----------
        n_params : int
            The size of the solver's flat parameter vector.
        """
        c = self.center
        if c is None or np.ndim(c) != 1 or len(c) != n_params:
            raise ValueError(f"ProximalTerm.center must be a vector of the {n_params} "
                             f"parameters, got shape {np.shape(c)}.")
        if not np.all(np.isfinite(c)):
            raise ValueError("ProximalTerm.center holds NaN or inf.")

    def _diff(self, w: np.ndarray) -> np.ndarray:
        mask = self._covered(w.size).astype(bool)
        return (np.asarray(w, dtype=np.float64) - np.asarray(self.center, dtype=np.float64)
                ) * mask

    def value(self, w: np.ndarray) -> float:
        r""":math:`\tfrac{\mu}{2}\|w_S - c_S\|^2`.

        Parameters
        ----------
        w : ndarray of shape (n_params,)
            The parameters.

        Returns
        -------
        value : float
            The term's value.
        """
        if not self.mu:
            return 0.0
        d = self._diff(w)
        return float(0.5 * self.mu * (d @ d))

    def add_grad(self, grad: np.ndarray, w: np.ndarray) -> None:
        r"""Add :math:`\mu(w_S - c_S)` to ``grad`` (in place).

        Parameters
        ----------
        grad : ndarray of shape (n_params,)
            The gradient to add to.
        w : ndarray of shape (n_params,)
            The parameters.
        """
        if self.mu:
            grad += self.mu * self._diff(w)

    def add_hessp(self, hv: np.ndarray, v: np.ndarray) -> None:
        r"""Add :math:`\mu v_S` to the Hessian product ``hv`` (in place).

        Parameters
        ----------
        hv : ndarray of shape (n_params,)
            The Hessian-vector product to add to.
        v : ndarray of shape (n_params,)
            The direction.
        """
        if self.mu:
            hv += self.mu * v * self._covered(v.size)

    def apply_prox(self, w: np.ndarray, step: np.ndarray,
                   touched: np.ndarray | None = None) -> None:
        r"""In-place proximal step with the per-coordinate ``step``: on every covered
        coordinate, or on the covered ones among ``touched`` (a sparse gradient's):
        :math:`w_j \leftarrow (w_j + \eta_j\mu c_j)/(1 + \eta_j\mu)`.

        Parameters
        ----------
        w : ndarray of shape (n_params,)
            The parameters, updated in place.
        step : ndarray of shape (n_params,)
            The optimizer's per-coordinate step :math:`\eta_j`.
        touched : ndarray of int or None, default=None
            The coordinates a sparse gradient touched; None = all covered coordinates.
        """
        if not self.mu:
            return
        center = np.asarray(self.center, dtype=w.dtype)
        if touched is None:
            prox_center_ranges(w, step, center, self._ranges(w.size), float(self.mu))
        else:
            prox_center_coords(w, step, center, touched, self._covered(w.size),
                               float(self.mu))
