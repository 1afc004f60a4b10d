"""Solver configuration (immutable) and solver state (returned, kept by estimators)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._objective import Objective
from ._proximal import ProximalTerm
from ._regularizers import NoPenalty, Regularizer
from ._schedules import Constant, Schedule
from .optimizers import SGD, Optimizer

__all__ = ["SolverConfig", "SolverState", "OptimizeResult", "Validation"]


@dataclass(frozen=True)
class SolverConfig:
    """Hyperparameters of one call of :func:`skgd.solver.minimize`.

    Parameters mirror the estimators' shared vocabulary (DESIGN section 1.2).
    ``batch_size`` is an int or ``"full"``; ``divergence`` is ``"raise"`` (default) or
    ``"backoff"`` (roll back the epoch and halve the learning rate). ``proximal``
    adds a :class:`~skgd.solver.ProximalTerm` to ``penalty`` (FedProx's local
    objective).
    """

    optimizer: Optimizer = field(default_factory=SGD)
    schedule: Schedule = field(default_factory=Constant)
    learning_rate_init: float = 0.01
    batch_size: int | str = 32
    penalty: Regularizer = field(default_factory=NoPenalty)
    alpha: float = 0.0
    max_iter: int = 100
    tol: float | None = 1e-4
    n_iter_no_change: int = 5
    early_stopping: bool = False
    shuffle: bool = True
    max_grad_norm: float | None = None
    divergence: str = "raise"
    verbose: int = 0
    warn_on_max_iter: bool = True
    #: epochs the schedule plans for (cosine, onecycle); defaults to ``max_iter``
    planned_epochs: int | None = None
    #: Polyak–Ruppert averaging: 0 off, else the samples seen before it starts
    average: int = 0
    #: a centred proximal term beside the penalty (FedProx), or None
    proximal: ProximalTerm | None = None
    #: threads of the compiled per-sample epochs that have a threaded form
    #: (:data:`~skgd.solver._paths.SAMPLE_KERNELS`; None = 1, -1 = the thread budget)
    n_jobs: int | None = None
    #: with several threads, the reproducible schedule (DSGD strata) instead of Hogwild
    deterministic_threads: bool = False


@dataclass
class Validation:
    """Held-out data for early stopping and the validation curve.

    ``objective`` gives the validation loss; ``score(w)`` (higher is better) the
    validation score; when None the score is minus the validation loss.
    """

    objective: Objective
    score: Callable[[np.ndarray], float] | None = None

    def evaluate(self, w: np.ndarray) -> tuple[float, float]:
        loss = float(self.objective.value(w))
        score = float(self.score(w)) if self.score is not None else -loss
        return loss, score


@dataclass
class SolverState:
    """Everything :func:`minimize` needs to continue training (``partial_fit``,
    ``warm_start``): parameters, optimizer moments, step count, schedule multiplier,
    stopping-monitor memory, history and the shuffling generator."""

    w: np.ndarray
    opt_state: np.ndarray
    rng: np.random.RandomState
    t: int = 0
    epoch: int = 0
    lr_scale: float = 1.0
    best_loss: float = np.inf
    best_score: float = -np.inf
    no_improvement: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    lazy_ratio: np.ndarray | None = None
    #: loss of the initial parameters (on up to 1,000 rows): the scale against which an
    #: exploding loss is detected
    ref_loss: float | None = None
    #: seeds the per-epoch shuffles (drawn from ``rng`` when first needed)
    shuffle_seed: int | None = None
    #: the iterate average when ``average`` is on (:class:`~skgd.solver._average.Averager`)
    averager: Any = None

    def rollback_copy(self) -> SolverState:
        """A copy to restore when a call fails: the arrays, the generator and the
        averager copied; the history shared up to its current length (records are
        only appended)."""
        c = copy.copy(self)
        c.w, c.opt_state = self.w.copy(), self.opt_state.copy()
        c.lazy_ratio = None if self.lazy_ratio is None else self.lazy_ratio.copy()
        c.averager = None if self.averager is None else self.averager.copy()
        c.rng = copy.deepcopy(self.rng)
        c.history = list(self.history)
        return c

    @property
    def params(self) -> np.ndarray:
        """The parameters to predict with: the iterate average once averaging has
        started, else ``w``."""
        return self.w if self.averager is None else self.averager.params(self.w)


@dataclass
class OptimizeResult:
    """What :func:`minimize` returns.

    Attributes
    ----------
    w : ndarray
        The parameters to predict with: the final ones, their average with
        ``average``, or the best ones when early stopping restored them.
    state : SolverState
        Pass back to continue training.
    n_iter : int
        Epochs (or full-batch iterations) run by this call.
    converged : bool
        Whether the stopping rule fired before ``max_iter``.
    """

    w: np.ndarray
    state: SolverState
    n_iter: int
    converged: bool

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.state.history

    @property
    def loss_curve(self) -> list[float]:
        return [h["train_loss"] for h in self.state.history]

    @property
    def validation_scores(self) -> list[float] | None:
        scores = [h["val_score"] for h in self.state.history if h.get("val_score") is not None]
        return scores or None

    @property
    def best_loss(self) -> float:
        return float(self.state.best_loss)
