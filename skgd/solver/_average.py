r"""Polyak–Ruppert averaging of the iterates, kept by the solver for every path.

With averaging on, after every update :math:`c = 1, 2, \dots` (counted once ``average``
samples have been seen) the solver keeps

.. math:: \bar w_c = \bar w_{c-1} + (w_c - \bar w_{c-1}) / c,

the mean of the iterates since averaging started, and the estimator predicts with
:math:`\bar w`. After an update that touched only some coordinates (a row-wise sparse
gradient) only those are brought up to date: a coordinate that kept its value ``w_j``
from update ``L`` to ``c - 1`` owes the mean ``(L \bar w_j + (c - 1 - L) w_j)/(c - 1)``,
paid when it is next touched and at the end of each epoch, so an update costs what the
gradient costs, not the length of ``w``.

References
----------
Polyak & Juditsky (1992), "Acceleration of stochastic approximation by averaging";
Ruppert (1988). scikit-learn's SGD ``average`` parameter has the same meaning.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["Averager"]


@njit(cache=True)
def _catch_up(avg, last, w, idx, c):
    """Bring ``avg[idx]`` to the mean over ``c`` iterates (values constant since their
    ``last`` update)."""
    for k in range(idx.size):
        j = idx[k]
        owed = c - last[j]
        if owed > 0:
            avg[j] += (w[j] - avg[j]) * (owed / c)
            last[j] = c


@njit(cache=True)
def _catch_up_all(avg, last, w, c):
    for j in range(w.size):
        owed = c - last[j]
        if owed > 0:
            avg[j] += (w[j] - avg[j]) * (owed / c)
            last[j] = c


class Averager:
    """The running average of one fit (kept in :class:`SolverState` across calls).

    Parameters
    ----------
    start : int
        Samples seen before averaging starts (``average=True`` is 1).
    """

    def __init__(self, start: int):
        self.start = int(start)
        self.seen = 0
        self.count = 0
        self.avg: np.ndarray | None = None
        self.last: np.ndarray | None = None

    def copy(self) -> Averager:
        out = Averager(self.start)
        out.seen, out.count = self.seen, self.count
        if self.avg is not None:
            out.avg, out.last = self.avg.copy(), self.last.copy()
        return out

    def before(self, w: np.ndarray, idx: np.ndarray | None) -> None:
        """Before an update that touches ``idx`` (None: every coordinate): settle what
        those coordinates owe for the updates they missed."""
        if self.count == 0:
            return
        if idx is None:
            _catch_up_all(self.avg, self.last, w, self.count)
        else:
            _catch_up(self.avg, self.last, w, idx, self.count)

    def after(self, w: np.ndarray, idx: np.ndarray | None, n_samples: int) -> None:
        """After an update over ``n_samples`` samples that touched ``idx``."""
        self.seen += n_samples
        if self.seen < self.start:
            return
        self.count += 1
        if self.avg is None or self.count == 1:
            self.avg = w.astype(np.float64)
            self.last = np.full(w.size, self.count, dtype=np.int64)
            return
        if idx is None:
            _catch_up_all(self.avg, self.last, w, self.count)
        else:
            _catch_up(self.avg, self.last, w, idx, self.count)

    def settle(self, w: np.ndarray) -> None:
        """Bring every coordinate up to date (end of an epoch)."""
        if self.count > 0:
            _catch_up_all(self.avg, self.last, w, self.count)

    def params(self, w: np.ndarray) -> np.ndarray:
        """The averaged parameters in ``w``'s dtype, or ``w`` before averaging starts."""
        if self.count == 0:
            return w
        self.settle(w)
        return self.avg.astype(w.dtype)
