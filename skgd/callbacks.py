"""skgd's callbacks: scikit-learn ``FitCallback`` objects for ``set_callbacks``.

They follow scikit-learn's callback protocol (``sklearn.callback``), so they work on
every skgd estimator and solver, inside ``Pipeline`` and ``GridSearchCV``, and in joblib
workers; scikit-learn's own ``ProgressBar`` and ``ScoringMonitor`` work beside them.

- :class:`EarlyStopping` stops a fit when a score on the validation data stops
  improving and restores the weights of its best epoch;
- :class:`Checkpoint` saves the fitted estimator every few epochs.
"""

from __future__ import annotations

import copy
import os
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from .solver._stopping import judge

__all__ = ["EarlyStopping", "Checkpoint"]

#: attributes that describe the whole run, not one epoch's model: never restored
_RUN_ATTRIBUTES = frozenset({"_solver_state", "history_", "loss_curve_",
                             "validation_scores_", "n_iter_", "t_", "best_loss_"})
#: what the callback machinery sets on an estimator during its fit
_CALLBACK_ATTRIBUTES = ("_skl_callbacks", "_callback_fit_ctx", "_parent_callback_ctx",
                        "_skl_callbacks_to_teardown", "_skgd_validation")


def _epoch_end(context, fitted_estimator) -> bool:
    return context.task_name == "epoch" and fitted_estimator is not None


class _Run:
    """One fit's progress as :class:`EarlyStopping` sees it."""

    def __init__(self) -> None:
        self.best, self.bad, self.epoch = -np.inf, 0, 0
        self.best_epoch, self.best_attrs, self.best_w = 0, None, None


class EarlyStopping:
    r"""Stop training when a validation score stops improving; restore the best epoch.

    After each epoch (each L-BFGS/Newton iteration) the model as of that epoch is
    scored on the estimator's validation data: ``X_val``/``y_val`` passed to ``fit``,
    or else the ``validation_fraction`` of the training rows that the estimator holds
    out when this callback is set (as ``early_stopping=True`` does). An epoch
    *improves* when its score :math:`s_k` exceeds the best so far by more than
    ``min_delta``,

    .. math:: s_k > \max_{j<k} s_j + \delta,

    and training stops after ``patience`` epochs in a row without improvement. The
    built-in ``early_stopping`` parameter applies the same rule (with ``tol`` as
    :math:`\delta` and ``n_iter_no_change`` as the patience) to the estimator's own
    score.

    Parameters
    ----------
    scoring : str, callable or None, default=None
        A scikit-learn scorer name or callable (skgd's ranking scorers from
        :func:`skgd.metrics.make_ranking_scorer` included); None uses the estimator's
        ``score``; for the linear models and MLPs that is the validation score the
        solver already records every epoch (``history_[k]["val_score"]``), so it costs
        no second pass.
    patience : int, default=5
        Epochs without improvement before stopping.
    min_delta : float, default=0.0
        The smallest rise of the score that counts as an improvement.
    restore_best : bool, default=True
        At the end of the fit, set the estimator's fitted attributes (and the state
        that ``warm_start`` continues from) to those of the best epoch.

    Attributes
    ----------
    best_score_ : float
        The best validation score of the last fit.
    best_epoch_ : int
        Its epoch (1-based).
    stopped_epoch_ : int
        The epoch the last fit stopped at (0 when it did not stop early).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgd import LogisticRegression
    >>> from skgd.callbacks import EarlyStopping
    >>> X, y = load_digits(return_X_y=True)
    >>> stop = EarlyStopping(patience=3)
    >>> clf = LogisticRegression(solver="adam", batch_size=32, max_iter=200,
    ...                          random_state=0).set_callbacks(stop)
    >>> clf = clf.fit(X / 16, y)
    >>> 0 < stop.best_epoch_ <= clf.n_iter_ < 200
    True
    """

    @validate_params(
        {"scoring": [str, callable, None],
         "patience": [Interval(Integral, 1, None, closed="left")],
         "min_delta": [Interval(Real, 0, None, closed="left")],
         "restore_best": ["boolean"]},
        prefer_skip_nested_validation=True,
    )
    def __init__(self, scoring=None, patience=5, min_delta=0.0, restore_best=True):
        self.scoring = scoring
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best = restore_best
        self._runs: dict[int, _Run] = {}
        self._scorers: dict[int, object] = {}

    #: estimators hold validation data out when a callback asks for it
    _skgd_needs_validation = True

    def setup(self, estimator, context) -> None:
        """Start a fit: a fresh record of the best score and the scorer of ``scoring``.

        Called by scikit-learn's callback machinery before the fit.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        """
        from sklearn.metrics import check_scoring

        self._runs[id(estimator)] = _Run()
        self._scorers[id(estimator)] = check_scoring(estimator, self.scoring)

    def teardown(self, estimator, context) -> None:
        """End a fit: drop its record.

        Called by scikit-learn's callback machinery after the fit.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        """
        self._runs.pop(id(estimator), None)
        self._scorers.pop(id(estimator), None)

    def on_fit_task_begin(self, estimator, context, **kwargs) -> None:
        """Nothing to do when a task (the fit or one epoch) begins.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        **kwargs : dict
            Unused task metadata.
        """
        pass

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        """At the end of an epoch: score the model on the validation data, remember the
        best epoch and ask to stop after ``patience`` epochs without an improvement of
        ``min_delta``; at the end of the fit, restore the best model when
        ``restore_best``.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        X : array-like or None, default=None
            The task's training data (unused: the score is on the validation data).
        y : array-like or None, default=None
            Its targets (unused).
        metadata : dict or None, default=None
            The task's metadata (unused).
        fitted_estimator : skgd estimator or None, default=None
            The model as of the end of the task (an epoch's copy), or None.

        Returns
        -------
        stop : bool
            True to stop the fit.
        """
        run = self._runs.get(id(estimator))
        if run is None:
            return False
        if context.task_name != "epoch":
            self._finish(estimator, run)
            return False
        if fitted_estimator is None:
            return False
        score = self._score(estimator, fitted_estimator)
        run.epoch = int(fitted_estimator.n_iter_)
        new_best, improved = judge(score, run.best, self.min_delta)
        if new_best:
            run.best, run.best_epoch = score, run.epoch
            if self.restore_best:
                run.best_attrs = _fitted_attributes(estimator, fitted_estimator)
                run.best_w = fitted_estimator._solver_state.params.copy()
        run.bad = 0 if improved else run.bad + 1
        self.best_score_, self.best_epoch_ = run.best, run.best_epoch
        self.stopped_epoch_ = run.epoch if run.bad >= self.patience else 0
        return run.bad >= self.patience

    def _score(self, estimator, fitted_estimator) -> float:
        X_val, y_val = self._validation(estimator)
        history = getattr(fitted_estimator, "history_", None)
        reusable = self.scoring is None and getattr(estimator, "_history_score_is_score", False)
        if reusable and history:
            # the solver already scored this epoch's weights on the same rows with the
            # estimator's own score: reuse it instead of a second predict + scorer
            rec = history[-1]
            if rec.get("val_score") is not None and rec["epoch"] == fitted_estimator.n_iter_:
                return float(rec["val_score"])
        return float(self._scorers[id(estimator)](fitted_estimator, X_val, y_val))

    @staticmethod
    def _validation(estimator):
        data = getattr(estimator, "_skgd_validation", None)
        if data is None:
            raise ValueError(
                f"EarlyStopping needs validation data and {type(estimator).__name__} has "
                "none in this fit: pass X_val and y_val to fit, or let the estimator hold "
                "out validation_fraction of the rows (it does when this callback is set).")
        return data

    def _finish(self, estimator, run: _Run) -> None:
        """Restore the best epoch at the end of the fit (the root task's end)."""
        if not self.restore_best or run.best_attrs is None or run.best_epoch == run.epoch:
            return
        for name, value in run.best_attrs.items():
            setattr(estimator, name, value)
        estimator._solver_state.w[...] = run.best_w
        msg = (f"EarlyStopping restored the weights of epoch {run.best_epoch} (best "
               f"validation score {run.best:.6g})")
        if estimator.history_:
            estimator.history_[-1]["events"].append(msg)


def _fitted_attributes(estimator, fitted_estimator) -> dict:
    """Deep copies of the per-epoch fitted attributes of ``fitted_estimator``."""
    live = vars(estimator)
    return {k: copy.deepcopy(v) for k, v in vars(fitted_estimator).items()
            if k not in _RUN_ATTRIBUTES and k not in _CALLBACK_ATTRIBUTES
            and (k not in live or live[k] is not v)}


class Checkpoint:
    """Save the fitted estimator every ``every`` epochs.

    Each save is the model as of that epoch, ready to predict and to continue with
    ``partial_fit`` or ``warm_start``; it holds no callbacks. ``path`` may contain
    ``{epoch}`` to keep one file per save (otherwise each save replaces the last). A
    path ending in ``.skops`` is written with :func:`skops.io.dump` (load it with
    ``skops.io.load(path, trusted=skops.io.get_untrusted_types(file=path))`` after
    checking the list), any other with :func:`joblib.dump`.

    Parameters
    ----------
    path : str or os.PathLike
        Where to save; ``{epoch}`` is replaced by the epoch number.
    every : int, default=1
        Save after every ``every``-th epoch (and never in between).

    Attributes
    ----------
    saved_ : list of str
        The files written during the last fit, in order.

    Examples
    --------
    >>> import joblib, tempfile, os
    >>> from sklearn.datasets import load_diabetes
    >>> from skgd import LinearRegression
    >>> from skgd.callbacks import Checkpoint
    >>> X, y = load_diabetes(return_X_y=True)
    >>> folder = tempfile.mkdtemp()
    >>> ckpt = Checkpoint(os.path.join(folder, "model-{epoch}.joblib"), every=2)
    >>> reg = LinearRegression(solver="sgd", batch_size=1, max_iter=4, tol=None,
    ...                        learning_rate_init=0.01).set_callbacks(ckpt)
    >>> reg = reg.fit(X, y)
    >>> [os.path.basename(p) for p in ckpt.saved_]
    ['model-2.joblib', 'model-4.joblib']
    >>> joblib.load(ckpt.saved_[-1]).n_iter_
    4
    """

    @validate_params(
        {"path": [str, os.PathLike], "every": [Interval(Integral, 1, None, closed="left")]},
        prefer_skip_nested_validation=True,
    )
    def __init__(self, path, every=1):
        self.path = path
        self.every = every
        self.saved_: list[str] = []
        self._epochs: dict[int, int] = {}

    def setup(self, estimator, context) -> None:
        """Start a fit: reset the epoch count and ``saved_``.

        Called by scikit-learn's callback machinery before the fit.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        """
        self._epochs[id(estimator)] = 0
        self.saved_ = []

    def teardown(self, estimator, context) -> None:
        """End a fit: drop its epoch count.

        Called by scikit-learn's callback machinery after the fit.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        """
        self._epochs.pop(id(estimator), None)

    def on_fit_task_begin(self, estimator, context, **kwargs) -> None:
        """Nothing to do when a task (the fit or one epoch) begins.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        **kwargs : dict
            Unused task metadata.
        """
        pass

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        """At the end of every ``every``-th epoch: save the model of that epoch.

        Parameters
        ----------
        estimator : skgd estimator
            The estimator being fitted (the callback keeps one record per estimator).
        context : sklearn.callback.CallbackContext
            The fit task's context.
        X : array-like or None, default=None
            The task's training data (unused: the saved model is ``fitted_estimator``).
        y : array-like or None, default=None
            Its targets (unused).
        metadata : dict or None, default=None
            The task's metadata (unused).
        fitted_estimator : skgd estimator or None, default=None
            The model as of the end of the task (an epoch's copy), or None.

        Returns
        -------
        stop : bool
            Always False (a checkpoint never stops the fit).
        """
        if not _epoch_end(context, fitted_estimator) or id(estimator) not in self._epochs:
            return False
        epoch = self._epochs[id(estimator)] = self._epochs[id(estimator)] + 1
        if epoch % self.every == 0:
            self.saved_.append(self._save(fitted_estimator, epoch))
        return False

    def _save(self, fitted_estimator, epoch: int) -> str:
        model = copy.copy(fitted_estimator)
        for name in _CALLBACK_ATTRIBUTES:
            model.__dict__.pop(name, None)
        model._solver_state = copy.deepcopy(fitted_estimator._solver_state)
        path = os.fspath(self.path).format(epoch=epoch)
        if path.endswith(".skops"):
            import skops.io

            skops.io.dump(model, path)
        else:
            import joblib

            joblib.dump(model, path)
        return path
