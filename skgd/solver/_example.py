"""The small objective the solver's docstring examples train (written out in full in
:class:`skgd.solver.Objective`'s example, which shows how to write one)."""

from __future__ import annotations

import numpy as np

from ._objective import Objective, ParamLayout


class LeastSquares(Objective):
    r"""Unpenalised least squares, :math:`F(w) = \frac{1}{2n}\sum_i (a_i^\top w - b_i)^2`.

    Parameters
    ----------
    A : ndarray of shape (n_samples, n_features)
        The rows :math:`a_i`.
    b : ndarray of shape (n_samples,)
        The targets :math:`b_i`.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver._example import LeastSquares
    >>> A = np.eye(2)
    >>> LeastSquares(A, np.ones(2)).value_grad(np.zeros(2))[0]
    np.float64(0.5)
    """

    def __init__(self, A, b):
        self.A, self.b, self.n_samples = A, b, len(b)
        self.layout = ParamLayout({"w": (A.shape[1],)})

    def init_params(self, random_state, statistics=None):
        """Zeros: the solver starts from :math:`w = 0`."""
        return np.zeros(self.layout.size)

    def value_grad(self, w, idx=None, rng=None):
        """:math:`F` and :math:`\\nabla F` over the rows ``idx`` (all rows if None)."""
        A, b = (self.A, self.b) if idx is None else (self.A[idx], self.b[idx])
        r = A @ w - b
        return 0.5 * np.mean(r**2), A.T @ r / len(b)
