"""scikit-learn's callback protocol on every estimator and solver: the fit is the root
task, each epoch (each L-BFGS/Newton iteration) a subtask."""

import warnings

import numpy as np
import pytest
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import (
    LinearRegression,
    LogisticRegression,
    MatrixFactorization,
    MLPClassifier,
    MLPRegressor,
)


class Counting:
    """Counts every hook (scikit-learn's testing convention), keeps each epoch's
    fitted estimator's predictions, and asks to stop after ``stop_at`` epochs."""

    def __init__(self, stop_at=None):
        self.stop_at = stop_at
        self.calls = {"setup": 0, "teardown": 0, "begin": 0, "end": 0}
        self.predictions = []
        self.epochs_ended = 0

    def setup(self, estimator, context):
        self.calls["setup"] += 1

    def teardown(self, estimator, context):
        self.calls["teardown"] += 1

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None,
                          fitted_estimator=None):
        self.calls["begin"] += 1

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self.calls["end"] += 1
        if context.task_name != "epoch" or fitted_estimator is None:
            return False
        self.epochs_ended += 1
        self.predictions.append(fitted_estimator.predict(X[:20]))
        return self.stop_at is not None and self.epochs_ended >= self.stop_at


def _ratings():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(30, size=600), rng.randint(40, size=600)])
    return X, np.clip(3 + rng.randn(600), 1, 5)


def _clf():
    return make_classification(120, 6, random_state=0)


CASES = [
    (LinearRegression, dict(solver="sgd", batch_size=1), _clf),
    (LinearRegression, dict(solver="adam", batch_size=16), _clf),
    (LinearRegression, dict(solver="sgd", batch_size="full"), _clf),
    (LinearRegression, dict(solver="lbfgs"), _clf),
    (LogisticRegression, dict(solver="newton"), _clf),
    (LogisticRegression, dict(solver="lbfgs"), _clf),
    (LogisticRegression, dict(solver="sgd", batch_size=1), _clf),
    (MLPClassifier, dict(hidden_layer_sizes=(5,), solver="adam"), _clf),
    (MLPRegressor, dict(hidden_layer_sizes=(5,), solver="lbfgs"), _clf),
    (MatrixFactorization, dict(n_components=4), _ratings),
    (MatrixFactorization, dict(n_components=4, solver="adam", batch_size=32), _ratings),
]


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


@pytest.mark.parametrize("Est, params, data", CASES,
                         ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_hooks_are_called_once_per_task(Est, params, data):
    X, y = data()
    cb = Counting()
    est = _fit(Est(max_iter=6, tol=None, random_state=0, **params).set_callbacks(cb), X, y)
    assert cb.calls["setup"] == cb.calls["teardown"] == 1
    assert cb.calls["begin"] == cb.calls["end"]
    # the root task, one per epoch run, and the empty last one (as scikit-learn's lbfgs)
    assert cb.calls["begin"] == est.n_iter_ + 2
    assert cb.epochs_ended == est.n_iter_
    # the last epoch's fitted estimator predicts as the fitted model
    np.testing.assert_allclose(cb.predictions[-1], est.predict(X[:20]))


@pytest.mark.parametrize("Est, params, data", CASES,
                         ids=[f"{c[0].__name__}-{c[1]}" for c in CASES])
def test_a_true_return_stops_after_that_epoch(Est, params, data):
    X, y = data()
    cb = Counting(stop_at=2)
    est = _fit(Est(max_iter=50, tol=None, random_state=0, **params).set_callbacks(cb), X, y)
    assert est.n_iter_ == 2
    np.testing.assert_allclose(cb.predictions[-1], est.predict(X[:20]))


def test_the_epochs_fitted_estimators_follow_training():
    X, y = _clf()
    cb = Counting()
    _fit(LinearRegression(solver="sgd", batch_size=8, learning_rate_init=0.01, max_iter=4,
                          tol=None, random_state=0).set_callbacks(cb), X, y)
    assert not np.allclose(cb.predictions[0], cb.predictions[-1])


def test_no_callbacks_no_hooks_and_partial_fit_has_none():
    X, y = _clf()
    cb = Counting()
    est = LinearRegression(solver="sgd", random_state=0).set_callbacks(cb)
    est.partial_fit(X, y)
    assert cb.calls == {"setup": 0, "teardown": 0, "begin": 0, "end": 0}


class Propagated(Counting):
    """An auto-propagated counting callback: set on a meta-estimator, it reaches the
    skgd estimator inside."""

    @property
    def max_propagation_depth(self):
        return None


def _grid(n_jobs):
    pipe = make_pipeline(StandardScaler(), LogisticRegression(
        solver="sgd", batch_size=16, max_iter=3, tol=None, random_state=0))
    return GridSearchCV(pipe, {"logisticregression__learning_rate_init": [0.01, 0.1]},
                        cv=2, n_jobs=n_jobs)


def test_propagates_through_grid_search_of_a_pipeline():
    X, y = _clf()
    cb = Propagated()
    _fit(_grid(1).set_callbacks(cb), X, y)
    # 2 candidates x 2 folds + the refit, each 3 epochs reaching the skgd estimator
    assert cb.epochs_ended == 5 * 3
    assert cb.calls["setup"] == cb.calls["teardown"] == 1


def test_progress_bar_and_scoring_monitor_in_two_joblib_workers():
    pytest.importorskip("rich")
    X, y = _clf()
    grid = _grid(2)
    monitor = ScoringMonitor(scoring="accuracy")
    grid.estimator.steps[-1][1].set_callbacks(monitor)
    _fit(grid.set_callbacks(ProgressBar()), X, y)
    assert monitor.get_logs(select="all")


def test_progress_bar_and_scoring_monitor_run():
    pytest.importorskip("rich")
    X, y = _clf()
    monitor = ScoringMonitor(scoring="accuracy")
    _fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=4, tol=None, random_state=0)
         .set_callbacks(ProgressBar(), monitor), X, y)
    log = monitor.get_logs()
    assert log
