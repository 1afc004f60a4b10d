"""The one training loop: :func:`minimize`."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from ._average import Averager
from ._capabilities import PROX_GRADIENT, SECOND_ORDER
from ._certificate import EpochCertificate
from ._config import OptimizeResult, SolverConfig, SolverState, Validation
from ._epoch import BatchPlan, SampleContext, minibatch_epoch
from ._objective import Objective
from ._paths import ThreadPlan, fit_threads, penalty_capabilities, select_sample_kernel
from ._progress import Progress
from ._schedules import ScheduleContext
from ._shuffle import draw_seed, shuffled_range
from ._stopping import Monitor

__all__ = ["minimize", "init_state", "resolve_batch_size"]

Callback = Callable[[dict[str, Any], np.ndarray], Any]

#: ``divergence="backoff"`` warns once the rate is below this fraction of
#: ``learning_rate_init`` (ten halvings): a model trained at such a step is rarely good
BACKOFF_FLOOR = 2.0 ** -10


def resolve_batch_size(batch_size: int | str, n_samples: int) -> int:
    """``"full"`` -> all rows, ``"auto"`` -> ``min(200, n)``, ints clipped to ``n``.

    Parameters
    ----------
    batch_size : int or str
        An int, ``"full"`` or ``"auto"``.
    n_samples : int
        Number of rows.

    Returns
    -------
    batch_size : int
        Rows per batch, at least 1.

    Examples
    --------
    >>> from skgd.solver import resolve_batch_size
    >>> resolve_batch_size("full", 1000), resolve_batch_size("auto", 1000)
    (1000, 200)
    >>> resolve_batch_size(64, 10)
    10
    """
    if batch_size == "full":
        return max(n_samples, 1)
    if batch_size == "auto":
        return max(min(200, n_samples), 1)
    return max(min(int(batch_size), n_samples), 1)


def init_state(objective: Objective, config: SolverConfig, random_state=None,
               w0: np.ndarray | None = None) -> SolverState:
    """A fresh :class:`SolverState` (initial parameters from the objective).

    Parameters
    ----------
    objective : Objective
        The problem; gives the initial parameters (:meth:`Objective.init_params`).
    config : SolverConfig
        Gives the optimizer whose state slots are allocated.
    random_state : int, RandomState or None, default=None
        Seeds the initial parameters and the state's generator.
    w0 : ndarray of shape (n_params,) or None, default=None
        Start from these parameters instead of :meth:`Objective.init_params`.

    Returns
    -------
    state : SolverState
        Step count 0, zero optimizer moments.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import SolverConfig, init_state
    >>> from skgd.solver._example import LeastSquares
    >>> A = np.random.RandomState(0).normal(size=(100, 2))
    >>> objective = LeastSquares(A, A @ np.array([2.0, -1.0]))
    >>> state = init_state(objective, SolverConfig(), w0=np.ones(2))
    >>> state.w, state.opt_state.shape
    (array([1., 1.]), (2,))
    """
    rng = check_random_state(random_state)
    w = objective.init_params(rng) if w0 is None else np.array(w0, dtype=objective.dtype)
    w = np.ascontiguousarray(w, dtype=objective.dtype)
    opt_state = config.optimizer.init_state(w.size, w.dtype)
    return SolverState(w=w, opt_state=opt_state, rng=rng, ref_loss=_reference_loss(objective, w))


def _reference_loss(objective: Objective, w: np.ndarray) -> float | None:
    """The loss of ``w`` on up to 1,000 rows: the scale an exploding loss is judged by."""
    rows = np.arange(min(objective.n_samples, 1000))
    with np.errstate(all="ignore"):
        ref = float(objective.value(w, rows)) if rows.size else None
    return ref if ref is None or np.isfinite(ref) else None


def minimize(
    objective: Objective,
    config: SolverConfig | None = None,
    *,
    state: SolverState | None = None,
    validation: Validation | None = None,
    random_state=None,
    callbacks: Sequence[Callback] = (),
) -> OptimizeResult:
    r"""Minimise :math:`F(w) + \alpha R(w)` for an :class:`Objective`.

    The one training loop of skgd. Each epoch visits the rows in (shuffled) order in
    batches of ``config.batch_size``; each batch's gradient (optionally clipped to
    ``max_grad_norm``) goes through the optimizer's update rule, then the regularizer's
    proximal step. With ``batch_size=1`` and an objective that has a compiled
    per-sample kernel, the whole epoch runs in that kernel with the same update rule.
    Full-batch ``lbfgs``/``newton`` run their own iterations instead of epochs.

    After every epoch the loop records the history, checks for divergence, evaluates the
    validation data and asks the stopping monitor whether to go on.

    Parameters
    ----------
    objective : Objective
        Model, loss and training data.
    config : SolverConfig, optional
        Hyperparameters (defaults: ``SolverConfig()``).
    state : SolverState, optional
        Continue from a previous result's ``state`` (``partial_fit``/``warm_start``).
    validation : Validation, optional
        Held-out data: recorded every epoch; used for stopping and restoring the best
        weights when ``config.early_stopping``.
    random_state : int, RandomState or None
        Seeds initialisation and shuffling (ignored when ``state`` is given).
    callbacks : sequence of callables
        ``cb(record, w)`` after each epoch; a truthy return value stops training.

    Returns
    -------
    OptimizeResult

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.solver import SolverConfig, minimize
    >>> from skgd.solver._example import LeastSquares
    >>> A = np.random.RandomState(0).normal(size=(100, 2))
    >>> objective = LeastSquares(A, A @ np.array([2.0, -1.0]))
    >>> config = SolverConfig(batch_size=10, learning_rate_init=0.1, max_iter=50)
    >>> result = minimize(objective, config, random_state=0)
    >>> np.round(result.w, 3), result.converged
    (array([ 2., -1.]), True)
    >>> from skgd.solver import LBFGS
    >>> result = minimize(objective, SolverConfig(optimizer=LBFGS()))
    >>> np.round(result.w, 3), result.converged
    (array([ 2., -1.]), True)
    """
    config = SolverConfig() if config is None else config
    config.optimizer.validate()
    _check_capabilities(objective, config)
    if config.proximal is not None:
        config.proximal.check(objective.layout.size)
    if state is None:
        state = init_state(objective, config, random_state)
    else:
        # a continued fit (partial_fit, warm start) sees new rows: the reference is the
        # larger of the old one and the loss of the current weights on them, so that
        # a first batch fitted to a tiny loss (one class) does not make the next,
        # ordinary batch look like an explosion
        ref = _reference_loss(objective, state.w)
        if ref is not None:
            state.ref_loss = ref if state.ref_loss is None else max(state.ref_loss, ref)
    if config.early_stopping and validation is None:
        raise ValueError("early_stopping needs validation data")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), \
            _progress(config) as progress:
        monitor = Monitor(config, state, objective, validation, progress)
        if PROX_GRADIENT in config.optimizer.capabilities:
            # a proximal-gradient method gets the smooth part and the penalty's prox
            from ._composite import run_composite

            return run_composite(objective, config, state, monitor, callbacks)
        if config.optimizer.full_batch:
            from ._second_order import run_full_batch

            return run_full_batch(objective, config, state, monitor, callbacks)
        return _run_epochs(objective, config, state, monitor, callbacks)


def _progress(cfg: SolverConfig):
    """The fit's verbose output (nothing at all with ``verbose=0``)."""
    if not cfg.verbose:
        return nullcontext(None)
    unit = "iteration" if cfg.optimizer.full_batch else "epoch"
    return Progress(cfg.verbose, cfg.max_iter, cfg.optimizer.name, unit)


@dataclass
class _Plan:
    """What every epoch of one call shares: the per-sample kernel the solver chose (or
    None: mini-batches), updates per epoch, the schedule's context, the mini-batch
    plan, and buffers refilled each epoch (fresh ones cost page faults every epoch)."""

    kernel: str | None
    steps: int
    sctx: ScheduleContext
    batch: BatchPlan
    mask_u8: np.ndarray
    order_buf: np.ndarray | None
    counts: np.ndarray
    t_buf: np.ndarray
    #: how a threaded kernel splits and runs its epochs
    threads: ThreadPlan = ThreadPlan()


def _plan(objective: Objective, cfg: SolverConfig, state: SolverState) -> _Plan:
    n = objective.n_samples
    bs = resolve_batch_size(cfg.batch_size, n)
    threads = fit_threads(cfg) if bs == 1 else ThreadPlan()
    kernel = select_sample_kernel(objective, cfg.optimizer, penalty_capabilities(cfg), bs,
                                  averaging=bool(cfg.average),
                                  proximal=cfg.proximal is not None,
                                  threads=threads.blocks)
    steps = n if bs == 1 else -(-n // bs)
    sctx = ScheduleContext(cfg.learning_rate_init, steps,
                           max(cfg.planned_epochs or cfg.max_iter, 1), cfg.alpha,
                           getattr(objective, "dloss", None))
    step = np.zeros(state.w.size, dtype=state.w.dtype)
    if state.lazy_ratio is None or state.lazy_ratio.size != state.w.size:
        state.lazy_ratio = np.ones(state.w.size)
    if not cfg.average:
        state.averager = None
    elif state.averager is None or state.averager.start != int(cfg.average):
        state.averager = Averager(int(cfg.average))
    return _Plan(kernel, steps, sctx, BatchPlan.build(cfg, objective, bs, step),
                 objective.layout.mask().astype(np.uint8),
                 np.empty(n, dtype=np.int64) if cfg.shuffle and steps > 1 else None,
                 np.arange(steps, dtype=np.float64), np.empty(steps), threads)


def _is_full(plan: _Plan) -> bool:
    """One generic batch of every row per epoch: a full-batch first-order fit."""
    return plan.steps == 1 and plan.kernel is None


def _epoch(objective: Objective, cfg: SolverConfig, state: SolverState,
           plan: _Plan, cert: EpochCertificate | None = None) -> tuple[float, float, float]:
    """One epoch; returns (training objective, mean gradient norm, last rate). A
    full-batch epoch measures ``cert`` at its iterate before the step."""
    full = _is_full(plan)
    # a full batch has no row order (none is drawn: O(n) memory, which a distributed
    # objective must not need on the client)
    order = None if full else _epoch_order(objective.n_samples, cfg, state, plan.order_buf)
    lrs = cfg.schedule.rates(np.add(plan.counts, state.t, out=plan.t_buf), plan.sctx)
    if state.lr_scale != 1.0:
        lrs = lrs * state.lr_scale
    # a full batch's loss is measured at the iterate before its step: its record is
    # F + alpha R of that one iterate (the penalty after the step would mix two)
    penalty = penalty_value(cfg, state.w, plan.batch.ranges) if full else None
    if plan.kernel is not None:
        b = plan.batch
        ctx = SampleContext(plan.kernel, b.rule, b.hp, lrs, state.t, *_enet(cfg),
                            plan.mask_u8, b.step, state.lazy_ratio,
                            float(cfg.max_grad_norm or 0.0), plan.threads)
        loss, gnorm = objective.sample_epoch(state.w, state.opt_state, order, ctx)
    else:
        loss, gnorm = minibatch_epoch(objective, state, order, lrs, plan.batch,
                                      None if cert is None else cert.measure)
    loss += penalty_value(cfg, state.w, plan.batch.ranges) if penalty is None else penalty
    state.t += plan.steps
    return loss, gnorm, float(lrs[-1])


def _run_epochs(objective, cfg: SolverConfig, state: SolverState, monitor: Monitor,
                callbacks):
    plan = _plan(objective, cfg, state)
    fresh, first_epoch = state.epoch == 0, state.epoch
    converged, n_run = False, 0
    backoff = cfg.divergence == "backoff"
    good = _snapshot(state, objective) if backoff else None
    good_loss = np.inf
    best = _BestIterate.maybe(objective, cfg, plan)
    cert = EpochCertificate.maybe(objective, cfg, plan.batch.ranges, _is_full(plan), fresh)
    for _ in range(cfg.max_iter):
        tic = time.perf_counter()
        start = _snapshot(state, objective) if backoff else None
        before = None if best is None else state.w.copy()
        loss, gnorm, lr = _epoch(objective, cfg, state, plan, cert)
        n_run += 1
        if _exploded(loss, state):
            if _diverged(cfg, state, objective, good, loss, monitor):
                break
            continue
        if backoff and loss < good_loss:
            # the loss of an epoch is measured along it: its starting point is the last
            # state known to be good
            good, good_loss = start, loss
        if best is not None:
            best.offer(loss, before)
        state.epoch += 1
        record = monitor.record(loss, lr, gnorm, time.perf_counter() - tic, [],
                                None if cert is None else cert.ratio())
        stop = monitor.update(record, plan.sctx)
        stop = any([bool(cb(record, state.params)) for cb in callbacks]) or stop
        if stop:
            converged = monitor.converged
            break
    monitor.finish(cfg)
    if best is not None:
        best.restore_if_better(objective, cfg, state, plan.batch.ranges)
    _warn_if_useless(cfg, state, fresh, state.epoch - first_epoch)
    if not converged and cfg.tol is not None and cfg.warn_on_max_iter and n_run >= cfg.max_iter:
        _warn_max_iter(cfg, cert)
    return OptimizeResult(w=state.params, state=state, n_iter=n_run, converged=converged)


def _warn_max_iter(cfg: SolverConfig, cert: EpochCertificate | None) -> None:
    """ConvergenceWarning of a run that used all ``max_iter`` epochs."""
    if cert is None:
        msg = (f"Stochastic optimizer: maximum iterations ({cfg.max_iter}) reached and "
               "the optimization hasn't converged yet. Increase max_iter or tol.")
    else:
        msg = (f"Full-batch {cfg.optimizer.name}: maximum iterations ({cfg.max_iter}) "
               "reached before the optimality certificate met tol: the relative norm of "
               f"the proximal-gradient mapping is {cert.ratio():.3g} > tol={cfg.tol:g}. "
               "Increase max_iter, use solver='auto' (L-BFGS, or FISTA for L1), or "
               "loosen tol.")
    warnings.warn(msg, ConvergenceWarning, stacklevel=4)


class _BestIterate:
    """The best iterate of a full-batch run. Its epochs measure the objective at the
    iterate before their step, so the last step's result is unmeasured: at the end it
    is evaluated once and replaced by the best iterate seen when that is better."""

    def __init__(self) -> None:
        self.loss, self.w = np.inf, None

    @classmethod
    def maybe(cls, objective, cfg: SolverConfig, plan: _Plan) -> _BestIterate | None:
        full = plan.steps == 1 and plan.kernel is None
        plain = not cfg.average and not cfg.early_stopping and not objective.get_buffers()
        # a partial_fit call is one step of a longer run: it keeps its step, as an
        # epoch inside a fit does
        whole_fit = cfg.warn_on_max_iter
        return cls() if full and plain and whole_fit else None

    def offer(self, loss: float, w: np.ndarray) -> None:
        if loss < self.loss:
            self.loss, self.w = loss, w

    def restore_if_better(self, objective, cfg: SolverConfig, state: SolverState,
                          ranges: np.ndarray) -> None:
        if self.w is None:
            return
        last = float(objective.value(state.w)) + penalty_value(cfg, state.w, ranges)
        if not last <= self.loss:  # also when the last step made it non-finite
            state.w[...] = self.w


def _warn_if_useless(cfg: SolverConfig, state: SolverState, fresh: bool,
                     completed: int) -> None:
    """Warn when a run that did not raise still ended badly: ``backoff`` rolled back
    every epoch of the call or took the rate below :data:`BACKOFF_FLOOR`, or a fit
    from scratch ended with a training loss above that of its initial parameters (a
    step too large for the loss to explode, as the log-loss, which grows only
    linearly)."""
    if cfg.divergence == "backoff" and not completed:
        warnings.warn(
            f"divergence='backoff' rolled back all {cfg.max_iter} epochs of this call "
            f"(learning-rate scale now {state.lr_scale:.3g}): no epoch was trained. Use a "
            "smaller learning_rate_init, scale the features or increase max_iter.",
            ConvergenceWarning, stacklevel=4)
        return
    if cfg.divergence == "backoff" and state.lr_scale < BACKOFF_FLOOR:
        warnings.warn(
            f"divergence='backoff' halved the learning rate to {state.lr_scale:.3g} times "
            f"learning_rate_init={cfg.learning_rate_init:g} (below the floor of "
            f"{BACKOFF_FLOOR:g}): the model is likely poor. Use a smaller "
            "learning_rate_init or scale the features.", ConvergenceWarning, stacklevel=4)
        return
    losses = [h["train_loss"] for h in state.history if np.isfinite(h["train_loss"])]
    ref = state.ref_loss
    if fresh and losses and ref is not None and np.isfinite(ref) and losses[-1] > ref:
        warnings.warn(
            f"Training ended with a loss of {losses[-1]:.6g}, above the {ref:.6g} of the "
            "initial parameters: the step is too large for this data. Use a smaller "
            "learning_rate_init, scale the features, or set max_grad_norm.",
            ConvergenceWarning, stacklevel=4)


def _check_capabilities(objective: Objective, cfg: SolverConfig) -> None:
    """Refuse a second-order optimizer for an objective without Hessian products, and
    mini-batches for an objective that evaluates full batches only."""
    if (objective.full_batch_only and not cfg.optimizer.full_batch
            and resolve_batch_size(cfg.batch_size, objective.n_samples) < objective.n_samples):
        raise ValueError(
            f"{type(objective).__name__} evaluates full batches only (its rows are "
            f"chunks held by dask workers), but batch_size={cfg.batch_size!r} asks for "
            "mini-batch or per-sample updates. Use solver='lbfgs' or 'newton', or a "
            "first-order solver with batch_size='full'; for mini-batch training of a "
            "dask collection use dask_ml.wrappers.Incremental, which calls partial_fit "
            "on each chunk.")
    if SECOND_ORDER in cfg.optimizer.capabilities and not objective.has_hessp:
        raise ValueError(
            f"solver={cfg.optimizer.name!r} needs Hessian-vector products (capability "
            f"{SECOND_ORDER!r}), which {type(objective).__name__} does not provide; use "
            "'lbfgs' or a first-order solver.")


def _exploded(loss: float, state: SolverState) -> bool:
    """Non-finite loss or weights, or a loss 1e4 times that of the initial parameters:
    once the step is too large the iterates grow geometrically (or, for the log-loss,
    linearly) long before they overflow, while a sane run stays below its start."""
    # the sum is finite exactly when every weight is (or none is huge): no temporary
    if not (np.isfinite(loss) and np.isfinite(state.w.sum(dtype=np.float64))):
        return True
    ref = state.ref_loss
    return ref is not None and ref > 0 and np.isfinite(ref) and loss > 1e4 * ref


def _epoch_order(n: int, cfg: SolverConfig, state: SolverState,
                 out: np.ndarray | None = None) -> np.ndarray:
    if not cfg.shuffle:
        return np.arange(n)
    if state.shuffle_seed is None:
        state.shuffle_seed = draw_seed(state.rng)
    return shuffled_range(n, state.shuffle_seed, state.epoch, out)


def penalty_value(cfg: SolverConfig, w: np.ndarray, ranges: np.ndarray) -> float:
    """:math:`\\alpha R(w)` plus the proximal term's value, when there is one."""
    value = cfg.penalty.value(w, cfg.alpha, ranges)
    return value if cfg.proximal is None else value + cfg.proximal.value(w)


def _enet(cfg: SolverConfig) -> tuple[float, float]:
    if not cfg.alpha:
        return 0.0, 0.0
    l1, l2 = cfg.penalty.coefficients()
    return cfg.alpha * l1, cfg.alpha * l2


def _snapshot(state: SolverState, objective: Objective) -> dict:
    return {"w": state.w.copy(), "opt": state.opt_state.copy(), "t": state.t,
            "monitor": (state.best_loss, state.no_improvement),
            "averager": None if state.averager is None else state.averager.copy(),
            "buffers": {k: v.copy() for k, v in objective.get_buffers().items()}}


def _diverged(cfg, state, objective, good, loss, monitor) -> bool:
    """Raise, or (``divergence="backoff"``) roll back to the last good state with half
    the learning rate; True when the rate became too small to go on."""
    epoch = state.epoch + 1
    if good is None:
        raise ValueError(
            f"Training diverged at epoch {epoch}: the training loss became {loss:.6g} "
            "(non-finite or exploding loss or weights). Use a smaller learning_rate_init "
            f"(now {cfg.learning_rate_init:g}), scale the features (e.g. with "
            "StandardScaler), set max_grad_norm, or pass divergence='backoff' to roll back "
            "and halve the step automatically."
        )
    state.w[...] = good["w"]
    state.opt_state[...] = good["opt"]
    state.t = good["t"]
    # a rolled-back epoch is retried, not counted again by the stopping monitor
    state.best_loss, state.no_improvement = good["monitor"]
    state.averager = None if good["averager"] is None else good["averager"].copy()
    objective.set_buffers(good["buffers"])
    state.lr_scale *= 0.5
    msg = f"diverged at epoch {epoch}; rolled back, learning-rate scale {state.lr_scale:g}"
    stop = state.lr_scale < 1e-8
    state.history.append({"epoch": epoch, "train_loss": float("nan"), "val_loss": None,
                          "val_score": None, "learning_rate": None, "grad_norm": None,
                          "seconds": 0.0, "events": [("stopped: " if stop else "") + msg],
                          "optimality": None})
    monitor.note(msg)
    return stop
