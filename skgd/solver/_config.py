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
    r"""Hyperparameters of one call of :func:`skgd.solver.minimize`.

    Parameters mirror the estimators' shared vocabulary (DESIGN section 1.2), as
    resolved objects rather than names.

    Parameters
    ----------
    optimizer : Optimizer, default=SGD()
        The update rule (or a full-batch method such as :class:`LBFGS`).
    schedule : Schedule, default=Constant()
        The step-size schedule :math:`\eta_t`.
    learning_rate_init : float, default=0.01
        The initial step size :math:`\eta_0`.
    batch_size : int or str, default=32
        Rows per update: an int, ``"full"`` (all rows) or ``"auto"``
        (``min(200, n_samples)``).
    penalty : Regularizer, default=NoPenalty()
        The penalty :math:`R`, applied as a proximal step.
    alpha : float, default=0.0
        The penalty strength :math:`\alpha`.
    max_iter : int, default=100
        Maximum number of epochs (full-batch iterations).
    tol : float or None, default=1e-4
        Improvement the stopping monitor asks of the loss (or the validation score
        with ``early_stopping``); None never stops early.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping (or the schedule's ``on_plateau``).
    early_stopping : bool, default=False
        Stop on the validation score and restore its best weights (needs a
        ``validation`` in :func:`minimize`).
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    max_grad_norm : float or None, default=None
        Clip every batch gradient to this global norm; None = no clipping.
    divergence : {"raise", "backoff"}, default="raise"
        On a non-finite loss: raise a ``ValueError``, or roll back the epoch and halve
        the learning rate.
    verbose : int, default=0
        0 = silent, 1 = a live progress line, 2 or more = one line per epoch.
    warn_on_max_iter : bool, default=True
        Emit a ``ConvergenceWarning`` when ``max_iter`` is reached (off for
        ``partial_fit``).
    planned_epochs : int or None, default=None
        Epochs the schedule plans for (cosine, onecycle); None = ``max_iter``.
    average : int, default=0
        Polyak–Ruppert averaging: 0 = off, else the samples seen before it starts
        (1 = from the first update).
    proximal : ProximalTerm or None, default=None
        A centred proximal term beside the penalty (FedProx's local objective).
    n_jobs : int or None, default=None
        Threads of the compiled per-sample epochs that have a threaded form
        (:data:`~skgd.solver._paths.SAMPLE_KERNELS`), lock-free (Hogwild); None or 1 =
        one thread.
    deterministic_threads : bool, default=False
        Run the threaded epochs on a reproducible schedule instead of Hogwild.

    Examples
    --------
    >>> from skgd.solver import Adam, L1, SolverConfig
    >>> config = SolverConfig(optimizer=Adam(), penalty=L1(), alpha=0.01, batch_size=16)
    >>> config.max_iter, type(config.schedule).__name__
    (100, 'Constant')
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

    Parameters
    ----------
    objective : Objective
        The objective over the held-out rows (its :meth:`Objective.value` is the
        validation loss).
    score : callable or None, default=None
        ``score(w) -> float``, higher is better (e.g. accuracy or R²); None = minus the
        validation loss.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import Validation
    >>> from skgd.solver._example import LeastSquares
    >>> A = np.random.RandomState(0).normal(size=(100, 2))
    >>> objective = LeastSquares(A, A @ np.array([2.0, -1.0]))
    >>> validation = Validation(objective)
    >>> validation.evaluate(np.array([2.0, -1.0]))  # (loss, score)
    (0.0, -0.0)
    """

    objective: Objective
    score: Callable[[np.ndarray], float] | None = None

    def evaluate(self, w: np.ndarray) -> tuple[float, float]:
        """The validation loss and score of ``w``.

        Parameters
        ----------
        w : ndarray of shape (n_params,)
            The flat parameter vector.

        Returns
        -------
        loss : float
            The validation loss.
        score : float
            The validation score (minus the loss without ``score``).
        """
        loss = float(self.objective.value(w))
        score = float(self.score(w)) if self.score is not None else -loss
        return loss, score


@dataclass
class SolverState:
    """Everything :func:`minimize` needs to continue training (``partial_fit``,
    ``warm_start``): parameters, optimizer moments, step count, schedule multiplier,
    stopping-monitor memory, history and the shuffling generator.

    Build one with :func:`init_state` (or take ``OptimizeResult.state``) rather than
    by hand.

    Parameters
    ----------
    w : ndarray of shape (n_params,)
        The current iterate.
    opt_state : ndarray
        The optimizer's state slots, flat.
    rng : numpy.random.RandomState
        Drives shuffling, dropout and negative sampling.
    t : int, default=0
        Updates made so far (the schedule's count).
    epoch : int, default=0
        Epochs run so far.
    lr_scale : float, default=1.0
        The multiplier of the rates (lowered by ``plateau`` and divergence back-off).
    best_loss : float, default=inf
        Best training loss seen by the stopping monitor.
    best_score : float, default=-inf
        Best validation score seen.
    no_improvement : int, default=0
        Epochs in a row without improvement.
    history : list of dict, default=[]
        One record per epoch (``train_loss``, ``val_score``, ``learning_rate``, ...).
    lazy_ratio : ndarray or None, default=None
        Per-coordinate scale of the lazily applied penalty (compiled sparse paths).
    ref_loss : float or None, default=None
        Loss of the initial parameters on up to 1,000 rows: the scale against which
        an exploding loss is detected.
    shuffle_seed : int or None, default=None
        Seeds the per-epoch shuffles (drawn from ``rng`` when first needed).
    averager : object or None, default=None
        The iterate average when ``average`` is on.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import SolverConfig, init_state, minimize
    >>> from skgd.solver._example import LeastSquares
    >>> A = np.random.RandomState(0).normal(size=(100, 2))
    >>> objective = LeastSquares(A, A @ np.array([2.0, -1.0]))
    >>> state = init_state(objective, SolverConfig(), random_state=0)
    >>> state.t, state.epoch, state.w
    (0, 0, array([0., 0.]))
    >>> result = minimize(objective, SolverConfig(max_iter=3, tol=None, warn_on_max_iter=False),
    ...                   state=state)
    >>> result.state is state, state.epoch
    (True, 3)
    """

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

    Parameters
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

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import SolverConfig, minimize
    >>> from skgd.solver._example import LeastSquares
    >>> A = np.random.RandomState(0).normal(size=(100, 2))
    >>> objective = LeastSquares(A, A @ np.array([2.0, -1.0]))
    >>> result = minimize(objective, SolverConfig(batch_size="full", learning_rate_init=0.5))
    >>> result.converged, result.n_iter == len(result.history)
    (True, True)
    """

    w: np.ndarray
    state: SolverState
    n_iter: int
    converged: bool

    @property
    def history(self) -> list[dict[str, Any]]:
        """The per-epoch records of the state (all calls so far, not only this one)."""
        return self.state.history

    @property
    def loss_curve(self) -> list[float]:
        """The training loss of every recorded epoch."""
        return [h["train_loss"] for h in self.state.history]

    @property
    def validation_scores(self) -> list[float] | None:
        """The validation score of every epoch that has one, or None."""
        scores = [h["val_score"] for h in self.state.history if h.get("val_score") is not None]
        return scores or None

    @property
    def best_loss(self) -> float:
        """The best training loss the stopping monitor saw."""
        return float(self.state.best_loss)
