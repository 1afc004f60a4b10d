"""One client's local training (runs in a joblib worker)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np

from ..base import fit_overrides
from ..solver import ProximalTerm, SolverState

__all__ = ["GlobalState", "LocalTask", "ClientUpdate", "train_client"]


@dataclass
class GlobalState:
    """What every client of a round starts from: the global parameters, optimizer
    moments (``n_slots * n`` values, slot ``k`` of coordinate ``i`` at ``k * n + i``),
    update count and learning-rate scale."""

    w: np.ndarray
    opt_state: np.ndarray
    t: int
    lr_scale: float = 1.0


@dataclass
class LocalTask:
    """One client's part of a round: its seed, the epochs the global model has seen,
    the centre-free proximal settings (``mu``, covered ``blocks``), the coordinates
    its update covers (``support``; None: all) and the schedules' horizon."""

    seed: int
    epoch: int
    mu: float = 0.0
    blocks: np.ndarray | None = None
    support: np.ndarray | None = None
    planned_epochs: int | None = None


@dataclass
class ClientUpdate:
    """The result of a local fit, on the task's support: parameters, optimizer
    moments (``(n_slots, len(support))``), update count, last local loss (with the
    proximal term) and non-trained buffers (batch-norm statistics)."""

    w: np.ndarray
    opt_state: np.ndarray
    t: int
    loss: float
    buffers: dict = field(default_factory=dict)


def _slots(opt: np.ndarray, n: int, support: np.ndarray | None) -> np.ndarray:
    slots = opt.reshape(-1, n) if n else opt.reshape(0, 0)
    return slots.copy() if support is None else slots[:, support]


def train_client(template, start: GlobalState, data: tuple, task: LocalTask) -> ClientUpdate:
    """Fit a copy of ``template`` (the global model, with the local parameters set and
    no solver state) on ``data = (X, y, sample_weight)``, warm-started from ``start``.

    The copy keeps the global model's encodings (classes, ids), so a client with a
    single class trains the full set of outputs.
    """
    local = copy.deepcopy(template)  # the threading backend shares ``template``
    local._solver_state = SolverState(
        w=start.w.copy(), opt_state=start.opt_state.copy(),
        rng=np.random.RandomState(task.seed), t=int(start.t), epoch=int(task.epoch),
        lr_scale=float(start.lr_scale))
    proximal = None
    if task.mu:
        proximal = ProximalTerm(mu=task.mu, center=start.w, blocks=task.blocks)
    X, y, sw = data
    with fit_overrides(proximal=proximal, planned_epochs=task.planned_epochs):
        local.fit(X, y, sample_weight=sw)
    st = local._solver_state
    w = np.asarray(st.params)
    n = w.size
    losses = [h["train_loss"] for h in st.history if np.isfinite(h["train_loss"])]
    return ClientUpdate(
        w=w.copy() if task.support is None else w[task.support],
        opt_state=_slots(st.opt_state, n, task.support), t=int(st.t),
        loss=float(losses[-1]) if losses else float("nan"),
        buffers={k: v.copy() for k, v in getattr(local, "_buffers", {}).items()})
