"""One epoch of first-order updates: the mini-batch path and the per-sample context."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._clip import clip_
from ._objective import Objective, SparseGrad
from ._regularizers import Regularizer
from ._rules import apply_dense, apply_dense_split, apply_sparse


@dataclass
class SampleContext:
    """Arguments of a compiled per-sample epoch (``Objective.sample_epoch``).

    ``lrs[k]`` is the step size of the epoch's ``k``-th update and ``t0`` the number of
    updates before the epoch (the ``k``-th update has count ``t0 + k + 1``). ``l1``/``l2``
    are the penalty coefficients already multiplied by ``alpha``; ``penalized`` is a
    uint8 mask. ``step`` is scratch for the rule's effective steps; ``ratio`` remembers
    each coordinate's last effective step relative to the learning rate, used to catch
    up the penalty of updates in which its feature was absent (lazy updates).
    ``max_grad_norm`` is 0 when clipping is off.
    """

    rule: object
    hp: np.ndarray
    lrs: np.ndarray
    t0: int
    l1: float
    l2: float
    penalized: np.ndarray
    step: np.ndarray
    ratio: np.ndarray
    max_grad_norm: float


def _fused_l2(cfg) -> np.ndarray | None:
    """The rule's hyperparameters with the L2 proximal step fused in, or None (no
    penalty, an L1 part, a regularizer with its own prox, or a rule that cannot)."""
    pen = cfg.penalty
    if not cfg.alpha or type(pen).prox is not Regularizer.prox:
        return None
    l1, l2 = pen.coefficients()
    if l1 or not l2:
        return None
    return cfg.optimizer.fused_l2_hyperparameters(cfg.alpha * l2)


def minibatch_epoch(objective: Objective, w: np.ndarray, opt_state: np.ndarray, order,
                    batch_size: int, lrs: np.ndarray, t0: int, cfg, penalized_ranges,
                    penalized_mask, step: np.ndarray, rng) -> tuple[float, float]:
    """Run the epoch's mini-batches; return (mean loss, mean gradient norm).

    The penalty's proximal step runs over the ``penalized_ranges`` blocks after a dense
    gradient and over the touched penalised coordinates after a :class:`SparseGrad`.
    An L2 step is fused into the update rule when the optimizer can do it
    (:meth:`~skgd.solver.optimizers.Optimizer.fused_l2_hyperparameters`).
    """
    rule = cfg.optimizer.rule(w.dtype)
    hp = cfg.optimizer.hyperparameters()
    hp_l2 = _fused_l2(cfg)
    n = order.size
    loss_sum = 0.0
    gnorm_sum = 0.0
    n_batches = 0
    for k, start in enumerate(range(0, n, batch_size)):
        idx = order[start:start + batch_size]
        # a batch of every row is the full batch: the objective then reads its data in
        # place (the mean gradient does not depend on the row order)
        loss, grad = objective.value_grad(w, None if idx.size == objective.n_samples
                                          else idx, rng)
        lr, t = float(lrs[k]), float(t0 + k + 1)
        if isinstance(grad, SparseGrad):
            vals = np.ascontiguousarray(grad.values, dtype=w.dtype)
            gnorm_sum += clip_(vals, cfg.max_grad_norm)
            gidx = np.ascontiguousarray(grad.idx, dtype=np.int64)
            apply_sparse(rule, w, vals, gidx, opt_state, hp, lr, t, step)
            coords = gidx[penalized_mask[gidx]]
        else:
            grad = np.ascontiguousarray(grad, dtype=w.dtype)
            gnorm_sum += clip_(grad, cfg.max_grad_norm)
            if hp_l2 is not None:
                apply_dense_split(rule, w, grad, opt_state, hp, hp_l2, lr, t, step,
                                  penalized_ranges)
                coords = None
            else:
                apply_dense(rule, w, grad, opt_state, hp, lr, t, step)
                coords = penalized_ranges
        if coords is not None:
            cfg.penalty.prox(w, step, cfg.alpha, coords)
        loss_sum += float(loss) * idx.size
        n_batches += 1
    return loss_sum / max(n, 1), gnorm_sum / max(n_batches, 1)
