"""One epoch of first-order updates: the mini-batch path and the per-sample context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._capabilities import ELASTIC_NET
from ._clip import clip_
from ._objective import Objective, SparseGrad
from ._rules import apply_dense, apply_dense_split, apply_sparse


@dataclass
class SampleContext:
    """Arguments of a compiled per-sample epoch (``Objective.sample_epoch``).

    ``kernel`` names the epoch the solver chose (:data:`skgd.solver._paths.SAMPLE_KERNELS`).
    ``lrs[k]`` is the step size of the epoch's ``k``-th update and ``t0`` the number of
    updates before the epoch (the ``k``-th update has count ``t0 + k + 1``). ``l1``/``l2``
    are the penalty coefficients already multiplied by ``alpha``; ``penalized`` is a
    uint8 mask. ``step`` is scratch for the rule's effective steps; ``ratio`` remembers
    each coordinate's last effective step relative to the learning rate, used to catch
    up the penalty of updates in which its feature was absent (lazy updates).
    ``max_grad_norm`` is 0 when clipping is off. ``threads`` is the
    :class:`~skgd.solver._paths.ThreadPlan` of a threaded kernel (None otherwise).
    """

    kernel: str
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
    threads: Any = None


def _fused_l2(cfg) -> np.ndarray | None:
    """The rule's hyperparameters with the L2 proximal step fused in, or None (no
    penalty, an L1 part, a regularizer with its own prox, or a rule that cannot)."""
    pen = cfg.penalty
    if not cfg.alpha or ELASTIC_NET not in pen.capabilities:
        return None
    l1, l2 = pen.coefficients()
    if l1 or not l2:
        return None
    return cfg.optimizer.fused_l2_hyperparameters(cfg.alpha * l2)


@dataclass
class BatchPlan:
    """What every mini-batch of a fit shares: the config, the batch size, the
    penalised blocks (``ranges``, ``(r, 2)`` ``[start, stop)``) and mask, the scratch of
    the rule's effective steps, the compiled rule and its hyperparameters (``hp_l2``:
    with the L2 step fused in, or None)."""

    cfg: object
    batch_size: int
    ranges: np.ndarray
    mask: np.ndarray
    step: np.ndarray
    rule: object
    hp: np.ndarray
    hp_l2: np.ndarray | None

    @classmethod
    def build(cls, cfg, objective: Objective, batch_size: int, step: np.ndarray) -> BatchPlan:
        # the proximal term needs the rule's step on every coordinate: no fused L2 step
        fused = _fused_l2(cfg) if cfg.proximal is None else None
        return cls(cfg, batch_size, objective.layout.penalized_ranges(),
                   objective.layout.mask(), step, cfg.optimizer.rule(objective.dtype),
                   cfg.optimizer.hyperparameters(), fused)


def minibatch_epoch(objective: Objective, state, order: np.ndarray | None, lrs: np.ndarray,
                    plan: BatchPlan, certify=None) -> tuple[float, float]:
    """Run the epoch's mini-batches over ``state.w``; return (mean loss, mean gradient
    norm). ``lrs[k]`` is the step size of the ``k``-th batch; ``order`` None is one
    full batch, whose gradient goes to ``certify(w, grad)`` (when given) before the
    step.

    Each batch: gradient, clipping (:func:`~skgd.solver._clip.clip_`), the optimizer's
    rule, the penalty's proximal step -- over the penalised blocks after a dense
    gradient, over the touched penalised coordinates after a :class:`SparseGrad`, or
    fused into the rule for an elastic-net L2 step -- and the iterate average when
    ``state.averager`` is set.
    """
    w, cfg, avg = state.w, plan.cfg, state.averager
    n = objective.n_samples if order is None else order.size
    loss_sum = 0.0
    gnorm_sum = 0.0
    n_batches = 0
    for k, start in enumerate(range(0, n, plan.batch_size)):
        idx = None if order is None else order[start:start + plan.batch_size]
        m = n if idx is None else idx.size
        # a batch of every row is the full batch: the objective then reads its data in
        # place (the mean gradient does not depend on the row order)
        loss, grad = objective.value_grad(w, None if m == objective.n_samples else idx,
                                          state.rng)
        if certify is not None and idx is None:
            certify(w, grad)
        lr, t = float(lrs[k]), float(state.t + k + 1)
        touched = None
        if isinstance(grad, SparseGrad):
            vals = np.ascontiguousarray(grad.values, dtype=w.dtype)
            touched = np.ascontiguousarray(grad.idx, dtype=np.int64)
        else:
            vals = np.ascontiguousarray(grad, dtype=w.dtype)
        gnorm_sum += clip_(vals, cfg.max_grad_norm)
        if avg is not None:
            avg.before(w, touched)
        _step(w, vals, touched, state.opt_state, lr, t, plan)
        if avg is not None:
            avg.after(w, touched, m)
        loss_sum += float(loss) * m
        n_batches += 1
    if avg is not None:
        avg.settle(w)
    return loss_sum / max(n, 1), gnorm_sum / max(n_batches, 1)


def _step(w, vals, touched, opt_state, lr: float, t: float, plan: BatchPlan) -> None:
    """The optimizer's rule, then the penalty's proximal step and that of the
    proximal term (the one place they are applied on the mini-batch path)."""
    if touched is not None:
        apply_sparse(plan.rule, w, vals, touched, opt_state, plan.hp, lr, t, plan.step)
        coords = touched[plan.mask[touched]]
    elif plan.hp_l2 is not None:
        apply_dense_split(plan.rule, w, vals, opt_state, plan.hp, plan.hp_l2, lr, t,
                          plan.step, plan.ranges)
        return
    else:
        apply_dense(plan.rule, w, vals, opt_state, plan.hp, lr, t, plan.step)
        coords = plan.ranges
    plan.cfg.penalty.apply_prox(w, plan.step, plan.cfg.alpha, coords)
    if plan.cfg.proximal is not None:
        plan.cfg.proximal.apply_prox(w, plan.step, touched)
