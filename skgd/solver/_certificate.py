r"""The optimality certificate of full-batch fits: the proximal-gradient mapping.

For the composite objective :math:`F(w) + \alpha R(w)` (smooth :math:`F`, the penalty
:math:`R` with its proximal operator) and a step :math:`t > 0`,

.. math::
    G_t(w) = \frac{w - \operatorname{prox}_{t\alpha R}\big(w - t\nabla F(w)\big)}{t}

is zero exactly at a minimiser (for a smooth problem it is :math:`\nabla F(w)`). A
full-batch first-order fit stops once :math:`\|G_t(w_k)\| \le \text{tol}\cdot
\|G_t(w_0)\|`, with :math:`w_0` the point a cold start begins from (also under
``warm_start``): a scale-free test, unlike a plateau of the loss.
"""

from __future__ import annotations

import numpy as np

from ._objective import Objective, SparseGrad

__all__ = ["gradient_mapping_norm", "EpochCertificate"]


def gradient_mapping_norm(w: np.ndarray, grad: np.ndarray, t: float, cfg,
                          ranges: np.ndarray) -> float:
    r""":math:`\|G_t(w)\|` for the gradient ``grad`` of the smooth part at ``w``.

    ``cfg`` is the :class:`~skgd.solver.SolverConfig` (its penalty and ``alpha``; the
    gradient of its proximal term, which is smooth, is added here); ``ranges`` are the
    penalised ``[start, stop)`` blocks.
    """
    w64 = np.asarray(w, dtype=np.float64)
    g = np.array(grad, dtype=np.float64)
    if cfg.proximal is not None:
        cfg.proximal.add_grad(g, w64)
    z = w64 - t * g
    if cfg.alpha:
        cfg.penalty.apply_prox(z, np.full(z.size, t), cfg.alpha, ranges)
    return float(np.linalg.norm(w64 - z) / t)


def relative(value: float, reference: float | None) -> float:
    """``value / reference``, 0 when both are 0 (the start was already optimal)."""
    if reference is None or not np.isfinite(reference):
        return np.inf
    if reference > 0:
        return value / reference
    return 0.0 if value == 0 else np.inf


class EpochCertificate:
    r"""The certificate of a full-batch first-order fit (``batch_size="full"`` with a
    first-order optimizer), measured with the unit step :math:`t = 1` (the *natural
    residual*: no step size of the optimizer enters it).

    The epoch computes the gradient at :math:`w_k` anyway; :meth:`measure` turns it
    into :math:`\|G_1(w_k)\|`. The reference is the first epoch's value for a fit
    from scratch, else the value at the objective's cold-start parameters.
    """

    def __init__(self, cfg, ranges: np.ndarray) -> None:
        self.cfg = cfg
        self.ranges = ranges
        self.reference: float | None = None
        self.last: float | None = None

    @classmethod
    def maybe(cls, objective: Objective, cfg, ranges: np.ndarray, full: bool,
              fresh: bool) -> EpochCertificate | None:
        """The certificate of this run, or None for stochastic runs (mini-batch,
        per-sample, or a random full-batch gradient), ``partial_fit`` (one epoch of a
        longer run) and ``average``."""
        if (not full or cfg.average or not cfg.warn_on_max_iter
                or getattr(objective, "random_gradient", False)):
            return None
        cert = cls(cfg, ranges)
        if not fresh:
            cert.reference = cert._cold_start_value(objective)
        return cert

    def _cold_start_value(self, objective: Objective) -> float | None:
        # a fixed generator: the run's own must not advance (determinism)
        w0 = objective.init_params(np.random.RandomState(0))
        _, g = objective.value_grad(w0, None, np.random.RandomState(0))
        g = _dense(g, w0.size)
        value = gradient_mapping_norm(w0, g, 1.0, self.cfg, self.ranges)
        return value if np.isfinite(value) else None

    def measure(self, w: np.ndarray, grad) -> None:
        """Record :math:`\\|G_1(w)\\|` from the full-batch gradient at ``w`` (before the
        step and any clipping)."""
        self.last = gradient_mapping_norm(w, _dense(grad, w.size), 1.0, self.cfg,
                                          self.ranges)
        if self.reference is None:
            self.reference = self.last

    def ratio(self) -> float:
        """The last measured value relative to the reference."""
        return relative(np.inf if self.last is None else self.last, self.reference)


def _dense(grad, n: int) -> np.ndarray:
    if isinstance(grad, SparseGrad):
        out = np.zeros(n)
        out[grad.idx] = grad.values
        return out
    return np.asarray(grad, dtype=np.float64)
