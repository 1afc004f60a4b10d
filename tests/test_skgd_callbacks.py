"""skgd.callbacks: EarlyStopping and Checkpoint on every estimator family and solver."""

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import LinearRegression, LogisticRegression, MatrixFactorization, MLPClassifier
from skgd.callbacks import Checkpoint, EarlyStopping


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, random_state=0)


def _scores_by_epoch(make, X, y, Xv, yv, epochs):
    """The validation score after each epoch of an uninterrupted fit (a reference
    computed without the callback, by refitting with max_iter = k)."""
    return [make(max_iter=k).fit(X, y).score(Xv, yv) for k in range(1, epochs + 1)]


def test_stops_after_patience_and_restores_best(digits):
    X, Xv, y, yv = digits

    def make(**kw):
        return MLPClassifier(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=0.5,
                             tol=None, random_state=0, **kw)

    stop = EarlyStopping(patience=3)
    est = make(max_iter=60).set_callbacks(stop)
    est.fit(X, y, X_val=Xv, y_val=yv)
    ref = _scores_by_epoch(make, X, y, Xv, yv, est.n_iter_)
    best = int(np.argmax(ref)) + 1
    # the callback saw the same scores as independent fits of 1..n epochs
    assert stop.best_epoch_ == best and stop.best_score_ == pytest.approx(max(ref))
    # it stopped `patience` epochs after the last improvement
    assert est.n_iter_ == best + 3 < 60
    assert stop.stopped_epoch_ == est.n_iter_
    # the estimator is the model of the best epoch
    assert est.score(Xv, yv) == pytest.approx(max(ref))
    np.testing.assert_allclose(est.coefs_[0], make(max_iter=best).fit(X, y).coefs_[0])
    assert any("restored the weights of epoch" in e for e in est.history_[-1]["events"])


def test_restore_best_false_keeps_the_last_epoch(digits):
    X, Xv, y, yv = digits

    def make(**kw):
        return LogisticRegression(solver="sgd", batch_size=8, learning_rate="constant",
                                  learning_rate_init=1.0, tol=None, random_state=0, **kw)

    est = make(max_iter=40).set_callbacks(EarlyStopping(patience=2, restore_best=False))
    est.fit(X, y, X_val=Xv, y_val=yv)
    np.testing.assert_array_equal(est.coef_, make(max_iter=est.n_iter_).fit(X, y).coef_)


def test_holds_out_validation_fraction_and_min_delta(digits):
    X, _, y, _ = digits
    stop = EarlyStopping(scoring="neg_log_loss", patience=2, min_delta=10.0)
    est = LogisticRegression(solver="adam", batch_size=32, max_iter=50, tol=None,
                             validation_fraction=0.2, random_state=0).set_callbacks(stop)
    est.fit(X, y)
    # no rise of the log-loss by 10 is possible: it stops after patience epochs
    assert est.n_iter_ == 3 and stop.best_epoch_ >= 1
    # the held-out rows were not trained on: the validation curve is recorded
    assert all(h["val_score"] is not None for h in est.history_)


def test_lbfgs_iterations_and_regressor(digits):
    X, Xv, y, yv = digits
    stop = EarlyStopping(patience=1, min_delta=1e-3)
    est = LinearRegression(solver="lbfgs", max_iter=200, tol=1e-12).set_callbacks(stop)
    est.fit(X, y.astype(float), X_val=Xv, y_val=yv.astype(float))
    assert est.n_iter_ < 200 and stop.best_epoch_ <= est.n_iter_


def test_recommender_with_ranking_free_score():
    rng = np.random.RandomState(0)
    X = np.c_[rng.randint(0, 40, 3000), rng.randint(0, 50, 3000)]
    y = rng.uniform(1, 5, 3000)
    stop = EarlyStopping(patience=2)
    est = MatrixFactorization(n_components=4, max_iter=100, learning_rate_init=0.05,
                              random_state=0).set_callbacks(stop)
    est.fit(X, y)  # noise ratings: validation R^2 peaks early
    assert est.n_iter_ < 100 and stop.best_epoch_ < est.n_iter_


def test_inside_grid_search_with_workers(digits):
    X, _, y, _ = digits
    pipe = make_pipeline(StandardScaler(), LogisticRegression(
        solver="adam", batch_size=32, max_iter=100, tol=None, random_state=0))
    pipe[-1].set_callbacks(EarlyStopping(patience=2))
    grid = GridSearchCV(pipe, {"logisticregression__learning_rate_init": [1e-3, 1e-1]},
                        cv=2, n_jobs=2).fit(X, y)
    assert grid.best_estimator_[-1].n_iter_ < 100


def test_needs_validation_data_message():
    stop = EarlyStopping()
    est = LogisticRegression(solver="adam", max_iter=3)
    stop.setup(est, None)

    class Ctx:
        task_name = "epoch"

    with pytest.raises(ValueError, match="needs validation data"):
        stop.on_fit_task_end(est, Ctx(), fitted_estimator=est)


def test_checkpoint_saves_epochs_that_continue(tmp_path, digits):
    X, Xv, y, yv = digits
    ckpt = Checkpoint(tmp_path / "m-{epoch}.joblib", every=2)
    est = LogisticRegression(solver="sgd", batch_size=1, max_iter=5, tol=None,
                             random_state=0).set_callbacks(ckpt)
    est.fit(X, y)
    assert [p.rsplit("-", 1)[1] for p in ckpt.saved_] == ["2.joblib", "4.joblib"]
    saved = joblib.load(ckpt.saved_[1])
    ref = LogisticRegression(solver="sgd", batch_size=1, max_iter=4, tol=None,
                             random_state=0).fit(X, y)
    np.testing.assert_array_equal(saved.predict_proba(Xv), ref.predict_proba(Xv))
    assert not hasattr(saved, "_skl_callbacks")
    saved.partial_fit(X, y)  # continues from epoch 4
    assert saved.n_iter_ == 5


def test_checkpoint_skops(tmp_path, digits):
    sio = pytest.importorskip("skops.io")
    X, _, y, _ = digits
    ckpt = Checkpoint(tmp_path / "m.skops")
    est = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, tol=None,
                        random_state=0).set_callbacks(ckpt)
    est.fit(X, y)
    path = ckpt.saved_[-1]
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


@pytest.mark.parametrize("bad", [dict(patience=0), dict(min_delta=-1.0),
                                 dict(scoring=3)])
def test_parameters_are_validated(bad):
    with pytest.raises(ValueError):
        EarlyStopping(**bad)


@pytest.mark.parametrize("make, scoring", [
    (lambda: LogisticRegression(solver="adam", batch_size=32, max_iter=15, tol=None,
                                random_state=0), "accuracy"),
    (lambda: MLPClassifier((16,), max_iter=15, tol=None, random_state=0), "accuracy"),
    (lambda: LinearRegression(solver="adam", batch_size=32, max_iter=15, tol=None,
                              random_state=0), "r2"),
])
def test_default_scoring_is_the_estimators_score(digits, make, scoring):
    X, Xv, y, yv = digits
    y, yv = (y, yv) if scoring == "accuracy" else (y.astype(float), yv.astype(float))
    runs = []
    for s in (None, scoring):
        stop = EarlyStopping(scoring=s, patience=1000, restore_best=False)
        est = make().set_callbacks(stop).fit(X, y, X_val=Xv, y_val=yv)
        runs.append((stop.best_epoch_, stop.best_score_, est.score(Xv, yv)))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == pytest.approx(runs[1][1], rel=1e-12)


def test_default_scoring_of_the_recommender_is_its_score():
    rng = np.random.RandomState(0)
    X = np.c_[rng.randint(0, 40, 2000), rng.randint(0, 50, 2000)]
    y = rng.uniform(1, 5, 2000)
    stop = EarlyStopping(patience=1000, restore_best=False)
    est = MatrixFactorization(n_components=4, max_iter=3, tol=None, random_state=0)
    est.set_callbacks(stop).fit(X, y, X_val=X[:300], y_val=y[:300])
    scores = [MatrixFactorization(n_components=4, max_iter=k, tol=None, random_state=0)
              .fit(X, y, X_val=X[:300], y_val=y[:300]).score(X[:300], y[:300])
              for k in (1, 2, 3)]
    assert stop.best_score_ == pytest.approx(max(scores), rel=1e-9)
