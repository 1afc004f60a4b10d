"""What every skgd estimator shares: the solver parameters and the call of the solver.

Estimators stay thin: they validate input, build an
:class:`~skgd.solver.Objective` and call :meth:`GDMixin._run_solver`, which owns the
translation of the public parameter vocabulary (DESIGN 1.2) into a
:class:`~skgd.solver.SolverConfig`, the early-stopping split, the reuse of the solver
state for ``warm_start``/``partial_fit`` and the fitted attributes of section 1.4.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.callback import CallbackSupportMixin
from sklearn.model_selection import train_test_split

from ._callbacks import fit_tasks
from .solver import (
    OPTIMIZERS,
    REGULARIZERS,
    SCHEDULES,
    Optimizer,
    OptimizeResult,
    ProximalTerm,
    Regularizer,
    Schedule,
    SolverConfig,
    Validation,
    minimize,
    resolve_penalty,
)
from .solver._loop import init_state
from .utils._compat import Interval, StrOptions
from .utils._persist import from_plain, to_plain

__all__ = ["GDMixin", "SOLVER_PARAMETER_CONSTRAINTS", "transactional", "fit_overrides"]


@dataclass
class FitOverrides:
    """What a meta-estimator (:mod:`skgd.federated`) changes in the fits it runs.

    ``epochs=0`` runs the fit up to the solver and stores the fitted attributes of
    the current (or a fresh initial) solver state without any epoch; ``proximal`` adds
    a :class:`~skgd.solver.ProximalTerm` to the solver configuration;
    ``planned_epochs`` replaces ``max_iter`` as the horizon of the schedules that plan
    one (cosine, onecycle). The fit puts its objective and its resolved ``alpha`` in
    ``objective`` and ``alpha``.
    """

    epochs: int | None = None
    proximal: ProximalTerm | None = None
    planned_epochs: int | None = None
    objective: Any = None
    alpha: float | None = None


_OVERRIDES: ContextVar[FitOverrides | None] = ContextVar("skgd_fit_overrides",
                                                         default=None)


@contextmanager
def fit_overrides(*, epochs: int | None = None, proximal: ProximalTerm | None = None,
                  planned_epochs: int | None = None):
    """Apply :class:`FitOverrides` to the skgd fits run in this context (this thread
    or task only: a context variable).

    Parameters
    ----------
    epochs : int or None, default=None
        ``0`` runs a fit up to the solver and stores the fitted attributes of the
        current (or a fresh initial) state without any epoch; None = no change.
    proximal : ProximalTerm or None, default=None
        A proximal term added to the solver configuration (FedProx).
    planned_epochs : int or None, default=None
        Replaces ``max_iter`` as the horizon of the schedules that plan one (cosine,
        onecycle).

    Yields
    ------
    overrides : FitOverrides
        The overrides; each fit stores its objective and resolved ``alpha`` in
        them.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.base import fit_overrides
    >>> from skgd.linear_model import LinearRegression
    >>> X, y = np.eye(3), np.arange(3.0)
    >>> with fit_overrides(epochs=0) as ov:
    ...     reg = LinearRegression(random_state=0).fit(X, y)
    >>> reg.n_iter_, ov.objective.n_samples
    (0, 3)
    """
    overrides = FitOverrides(epochs=epochs, proximal=proximal,
                             planned_epochs=planned_epochs)
    token = _OVERRIDES.set(overrides)
    try:
        yield overrides
    finally:
        _OVERRIDES.reset(token)


def transactional(fit):
    """Decorate an estimator's ``_fit`` so that a call that raises leaves the estimator
    exactly as it was: its attributes, and the solver state that ``partial_fit`` and
    ``warm_start`` continue from (which the solver advances in place).

    Parameters
    ----------
    fit : callable
        The method ``fit(self, *args, **kwargs)`` to guard.

    Returns
    -------
    guarded : callable
        The same method, restoring ``self.__dict__`` (and a copy of the solver state)
        before re-raising any exception.

    Examples
    --------
    >>> from skgd.base import transactional
    >>> class Counter:
    ...     @transactional
    ...     def _fit(self, fail):
    ...         self.n_ = getattr(self, "n_", 0) + 1
    ...         if fail:
    ...             raise ValueError("bad input")
    ...         return self
    >>> c = Counter()._fit(False)
    >>> try:
    ...     c._fit(True)
    ... except ValueError:
    ...     pass
    >>> c.n_  # the failed call left no trace
    1
    """

    @functools.wraps(fit)
    def guarded(self, *args, **kwargs):
        saved = dict(self.__dict__)
        state = saved.get("_solver_state")
        backup = None if state is None else state.rollback_copy()
        try:
            return fit(self, *args, **kwargs)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            if backup is not None:
                self._solver_state = backup
            raise

    return guarded

SOLVER_PARAMETER_CONSTRAINTS: dict = {
    "solver": [OPTIMIZERS.options(), Optimizer],
    "learning_rate": [SCHEDULES.options(), Schedule],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"full", "auto"})],
    "penalty": [REGULARIZERS.options(), None, Regularizer],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left"), None],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "warm_start": ["boolean"],
    "verbose": ["verbose"],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "average": ["boolean", Interval(Integral, 1, None, closed="left")],
    "divergence": [StrOptions({"raise", "backoff"})],
}


class GDMixin(CallbackSupportMixin):
    """Mixin for estimators fitted by :func:`skgd.solver.minimize`.

    The estimator defines the parameters of ``SOLVER_PARAMETER_CONSTRAINTS`` (those it
    has) in ``__init__``. Fitted state: ``_solver_state`` (kept for ``warm_start`` and
    ``partial_fit``) and the attributes set by :meth:`_store_result`. The mixin also
    brings scikit-learn's ``set_callbacks`` (``CallbackSupportMixin``).

    Examples
    --------
    >>> from skgd import LinearRegression, MatrixFactorization
    >>> from skgd.base import GDMixin, SOLVER_PARAMETER_CONSTRAINTS
    >>> issubclass(LinearRegression, GDMixin), issubclass(MatrixFactorization, GDMixin)
    (True, True)
    >>> sorted(SOLVER_PARAMETER_CONSTRAINTS)[:4]
    ['alpha', 'average', 'batch_size', 'divergence']
    """

    def _solver_config(self, *, max_iter: int | None = None, partial: bool = False,
                       has_validation: bool = False, alpha: float | None = None
                       ) -> SolverConfig:
        penalty = getattr(self, "penalty", None)
        if penalty == "none":
            penalty = None
        overrides = _OVERRIDES.get()
        return SolverConfig(
            optimizer=self._optimizer(partial=partial),
            schedule=SCHEDULES.resolve(self.learning_rate, Schedule),
            learning_rate_init=float(self.learning_rate_init),
            batch_size=self.batch_size,
            penalty=resolve_penalty(penalty, getattr(self, "l1_ratio", 0.15)),
            alpha=float(getattr(self, "alpha", 0.0) if alpha is None else alpha),
            max_iter=int(self.max_iter if max_iter is None else max_iter),
            tol=self.tol,
            n_iter_no_change=int(self.n_iter_no_change),
            early_stopping=bool(self.early_stopping) and has_validation and not partial,
            shuffle=bool(self.shuffle),
            max_grad_norm=getattr(self, "max_grad_norm", None),
            divergence=getattr(self, "divergence", "raise"),
            verbose=int(self.verbose),
            warn_on_max_iter=not partial,
            planned_epochs=int(self.max_iter if overrides is None
                               or overrides.planned_epochs is None
                               else overrides.planned_epochs),
            average=int(getattr(self, "average", False)),
            proximal=None if overrides is None else overrides.proximal,
            n_jobs=getattr(self, "n_jobs", None),
            deterministic_threads=bool(getattr(self, "deterministic", False)),
        )

    def _optimizer(self, partial: bool = False) -> Optimizer:
        """The optimizer of a fit (an estimator with ``solver="auto"`` resolves it
        here from the problem)."""
        return OPTIMIZERS.resolve(self.solver, Optimizer)

    def __getstate__(self):
        # the solver state and other internal objects as plain data: skops then trusts
        # everything but the estimator's own class (see skgd.utils._persist)
        return to_plain(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(from_plain(state))

    def __copy__(self):
        # a shallow copy shares the attributes (copy's default would go through
        # __getstate__ and rebuild the internal objects)
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def _wants_validation(self) -> bool:
        """Whether a fit holds out ``validation_fraction`` of the rows: for
        ``early_stopping``, or for a callback that scores held-out data
        (:class:`skgd.callbacks.EarlyStopping`)."""
        return bool(self.early_stopping) or any(
            getattr(cb, "_skgd_needs_validation", False)
            for cb in getattr(self, "_skl_callbacks", None) or ())

    def _validation_indices(self, n_samples: int, stratify=None):
        """Train/validation row indices for ``early_stopping`` (scikit-learn's split)."""
        idx = np.arange(n_samples)
        n_val = int(np.ceil(self.validation_fraction * n_samples))
        if n_val < 2 or n_samples - n_val < 1:
            # one validation row has no meaningful score (R^2 is undefined): it would
            # steer early stopping by noise
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves {n_val} validation "
                f"and {n_samples - n_val} training rows of {n_samples}; early stopping "
                "needs at least 2 validation rows and 1 training row."
            )
        try:
            tr, va = train_test_split(idx, test_size=self.validation_fraction,
                                      random_state=self.random_state, stratify=stratify)
        except ValueError:
            if stratify is None:
                raise
            tr, va = train_test_split(idx, test_size=self.validation_fraction,
                                      random_state=self.random_state)
        return np.sort(tr), np.sort(va)

    def _run_solver(self, objective, *, validation: Validation | None = None,
                    reuse_state: bool = False, partial: bool = False,
                    alpha: float | None = None, data: tuple | None = None):
        """Run the solver, then store the fitted attributes (:meth:`_finish_fit`);
        reuse the previous state for ``warm_start``/``partial_fit``. ``alpha``
        overrides the estimator's (resolved data-dependent values). ``data`` is
        ``(X, y, metadata, (X_val, y_val))`` for the callbacks (``set_callbacks``) of a
        ``fit``, the validation pair as the estimator received or held it out (None
        when there is none); the fit is their root task and each epoch a subtask."""
        config = self._solver_config(max_iter=1 if partial else None, partial=partial,
                                     has_validation=validation is not None, alpha=alpha)
        state = getattr(self, "_solver_state", None) if reuse_state else None
        if state is not None and state.w.size == objective.layout.size:
            state.w = np.ascontiguousarray(state.w, dtype=objective.dtype)
            state.opt_state = np.ascontiguousarray(state.opt_state, dtype=objective.dtype)
            if state.opt_state.size != config.optimizer.init_state(
                    state.w.size, state.w.dtype).size:
                state.opt_state = config.optimizer.init_state(state.w.size, state.w.dtype)
            if not partial:
                state.no_improvement = 0
                state.best_score = -np.inf
        else:
            state = init_state(objective, config, self.random_state)
        overrides = _OVERRIDES.get()
        if overrides is not None:
            overrides.objective, overrides.alpha = objective, config.alpha
            if overrides.epochs == 0:
                result = OptimizeResult(w=state.params, state=state, n_iter=0,
                                        converged=False)
                self._adopt(objective, result)
                return result
        with fit_tasks(self, objective.model, state, config.max_iter,
                       None if partial else data) as hooks:
            result = minimize(objective, config, state=state, validation=validation,
                              callbacks=hooks)
            self._adopt(objective, result)
        return result

    def _adopt(self, objective, result) -> None:
        """Keep ``result.state`` and store the fitted attributes from it."""
        self._solver_state = result.state
        self._store_result(result)
        self._finish_fit(objective.model, result)

    def _fit_chunked(self, X, y, sample_weight, X_val, y_val, *, first: bool,
                     partial: bool):
        """``fit`` on dask collections: a full-batch fit whose loss and gradients are
        computed per chunk on the workers (:mod:`skgd._dask`)."""
        from ._dask import chunked_problem

        if partial:
            raise ValueError(
                "partial_fit takes in-memory data; to train on a dask collection chunk "
                "by chunk use dask_ml.wrappers.Incremental(estimator), or call fit with "
                "a full-batch solver.")
        objective, validation = chunked_problem(self, X, y, sample_weight, X_val, y_val,
                                                first=first)
        if not first and self._solver_state.w.size != objective.layout.size:
            raise ValueError("The number of features or outputs changed since the last fit.")
        alpha = 1.0 / objective.weight_sum if getattr(self, "alpha", None) == "auto" else None
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        self._run_solver(objective, validation=validation, reuse_state=not first,
                         alpha=alpha, data=(X, y, metadata))
        return self

    def _finish_fit(self, objective, result) -> None:
        """Store the fitted attributes from ``self._solver_state`` (the estimator's
        ``_store_params``); runs before the callbacks' end of the fit."""
        self._store_params(objective)

    def _store_result(self, result) -> None:
        st = result.state
        self.n_iter_ = int(st.epoch)
        self.t_ = int(st.t)
        self.history_ = st.history
        self.loss_curve_ = [h["train_loss"] for h in st.history
                            if np.isfinite(h["train_loss"])]
        self.validation_scores_ = result.validation_scores
        self.best_loss_ = float(st.best_loss)
