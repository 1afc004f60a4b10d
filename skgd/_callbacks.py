"""scikit-learn's callback protocol (``sklearn.callback``) for every skgd estimator.

The fit is the root task and each epoch -- each iteration of L-BFGS/Newton -- a
subtask. The solver calls :class:`EpochTasks` once per epoch through its callback hook
(never per sample or batch); a fit without callbacks builds none of this.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

from sklearn.callback._callback_support import callback_management_context

from .solver import OptimizeResult


def has_callbacks(estimator) -> bool:
    return bool(getattr(estimator, "_skl_callbacks", None)) or hasattr(
        estimator, "_parent_callback_ctx")


def attributes_at(estimator, objective, state) -> dict:
    """The fitted attributes the estimator would have if the fit stopped now (for the
    hooks' ``fitted_estimator``): its own storing code run on a shallow copy."""
    tmp = copy.copy(estimator)
    tmp._solver_state = state
    tmp._store_result(OptimizeResult(w=state.params, state=state, n_iter=state.epoch,
                                     converged=False))
    tmp._store_params(objective)
    before = vars(estimator)
    return {k: v for k, v in vars(tmp).items() if before.get(k, _MISSING) is not v}


_MISSING = object()


class EpochTasks:
    """Bridge from the solver's per-epoch hook to the callback context: ends the epoch
    that just finished (its ``fitted_estimator`` predicts with that epoch's weights)
    and begins the next one; its return value is the callbacks' stop request. As
    scikit-learn's L-BFGS bridge, the last task begun is ended empty by :meth:`close`.
    """

    def __init__(self, estimator, root, objective, state, data) -> None:
        self.estimator, self.root, self.objective, self.state = estimator, root, objective, state
        self.X, self.y, self.metadata = data[:3]
        self.task = self._begin()

    def _hook_args(self) -> dict:
        return {"estimator": self.estimator, "X": self.X, "y": self.y,
                "metadata": self.metadata}

    def _begin(self):
        task = self.root.subcontext(task_name="epoch")
        task.call_on_fit_task_begin(**self._hook_args())
        return task

    def __call__(self, record, w) -> bool:
        stop = self.task.call_on_fit_task_end(
            **self._hook_args(),
            reconstruction_attributes=lambda: attributes_at(self.estimator, self.objective,
                                                            self.state))
        self.task = self._begin()
        return bool(stop)

    def close(self) -> None:
        self.task.call_on_fit_task_end(estimator=self.estimator)


@contextmanager
def fit_tasks(estimator, objective, state, max_epochs: int, data):
    """Around one fit: set the callbacks up, run the root task, tear them down.
    Yields the per-epoch hooks to hand to the solver (none without callbacks)."""
    if not has_callbacks(estimator) or data is None:
        yield []
        return
    with callback_management_context(estimator):
        root = estimator._init_callback_context(max_subtasks=max_epochs + 1)
        X, y, metadata, (X_val, y_val) = data
        # the held-out data, for callbacks that score it (skgd.callbacks.EarlyStopping)
        estimator._skgd_validation = None if X_val is None else (X_val, y_val)
        try:
            root.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
            epochs = EpochTasks(estimator, root, objective, state, data)
            try:
                yield [epochs]
            finally:
                epochs.close()
            root.call_on_fit_task_end(estimator=estimator, X=X, y=y, metadata=metadata,
                                      reconstruction_attributes={})
        finally:
            del estimator._skgd_validation
