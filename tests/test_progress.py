"""``verbose``: one live progress line (1) or one line per epoch (2+), compile time said."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skgd import LinearRegression, LogisticRegression, MatrixFactorization, MLPClassifier


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300] / 16.0, y[:300]


def _fits(X, y):
    yield "sgd", LogisticRegression(solver="sgd", batch_size=1, max_iter=3, tol=None)
    yield "adam", MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, tol=None,
                                random_state=0)
    yield "lbfgs", LogisticRegression(solver="lbfgs", max_iter=3, tol=1e-12)


@pytest.mark.parametrize("which", ["sgd", "adam", "lbfgs"])
def test_verbose_2_prints_one_line_per_epoch(digits, which, capsys):
    X, y = digits
    est = dict(_fits(X, y))[which].set_params(verbose=2)
    with pytest.warns(Warning) if which == "lbfgs" else _nothing():
        est.fit(X, y)
    out = capsys.readouterr().out
    epochs = [line for line in out.splitlines() if line.startswith("-- Epoch")]
    assert len(epochs) == est.n_iter_ == len(est.history_)
    assert f"loss {est.history_[-1]['train_loss']:.6f}" in epochs[-1]
    unit = "iteration" if which == "lbfgs" else "epoch"
    assert f"fit ({which}): {est.n_iter_} {unit}s in " in out


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_verbose_0_prints_nothing(digits, capsys):
    X, y = digits
    for _, est in _fits(X, y):
        est.set_params(tol=1e-3).fit(X, y)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_plain_line_without_rich(digits, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "rich.progress", None)  # as if rich were absent
    X, y = digits
    LinearRegression(solver="sgd", batch_size=1, max_iter=4, tol=None, verbose=1,
                     learning_rate_init=1e-3).fit(X, y.astype(float))
    captured = capsys.readouterr()
    assert "\rfit (sgd): epoch 4/4" in captured.err
    assert "-- Epoch" not in captured.out
    assert "fit (sgd): 4 epochs in " in captured.out


def test_verbose_1_live_line_with_rich(digits, capsys):
    pytest.importorskip("rich")
    X, y = digits
    est = LogisticRegression(solver="adam", batch_size=32, max_iter=5, tol=None,
                             verbose=1, early_stopping=True, n_iter_no_change=100)
    est.fit(X, y)
    out = capsys.readouterr().out
    assert "fit (adam)" in out and "5/5" in out and "validation score" in out
    assert "-- Epoch" not in out


def test_recommender_verbose(capsys):
    rng = np.random.RandomState(0)
    X = np.c_[rng.randint(0, 30, 500), rng.randint(0, 40, 500)]
    y = rng.uniform(1, 5, 500)
    MatrixFactorization(n_components=4, max_iter=2, verbose=2, random_state=0).fit(X, y)
    out = capsys.readouterr().out
    assert out.count("-- Epoch") == 2


def test_events_are_shown_and_recorded(capsys):
    """A roll-back (divergence="backoff") is an event of the history and a line."""
    X = np.random.RandomState(0).normal(size=(200, 5)) * 1e3
    y = X @ np.ones(5)
    est = LinearRegression(solver="sgd", batch_size=1, learning_rate="constant",
                           learning_rate_init=10.0, max_iter=3, tol=None,
                           divergence="backoff", verbose=2)
    with pytest.warns(Warning):
        est.fit(X, y)
    out = capsys.readouterr().out
    events = [e for rec in est.history_ for e in rec["events"]]
    assert events and all(e.split("stopped: ")[-1] in out for e in events)


def test_restore_is_an_event(digits):
    X, y = digits
    est = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.3, max_iter=30,
                        early_stopping=True, n_iter_no_change=5, random_state=0,
                        solver="sgd", tol=None)
    est.fit(X, y)
    best = int(np.argmax(est.validation_scores_)) + 1
    if best == est.n_iter_:
        pytest.skip("the last epoch was the best: nothing restored")
    assert f"restored the weights of epoch {best}" in " ".join(est.history_[-1]["events"])


@pytest.mark.kernels
def test_first_fit_says_it_compiles(tmp_path):
    """A fit in a fresh numba cache reports its compile time; the next run loads the
    kernels from the cache and says nothing about compiling."""
    script = textwrap.dedent("""
        from sklearn.datasets import load_digits
        from skgd import LinearRegression
        X, y = load_digits(return_X_y=True)
        LinearRegression(solver="adagrad", batch_size=1, max_iter=1, tol=None,
                         verbose=2, learning_rate_init=1e-2).fit(X / 16, y * 1.0)
    """)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "SKGD_CACHE_DIR": str(tmp_path)}
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    run = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, check=True).stdout for _ in range(2)]
    assert "compiling kernels" in run[0], run[0]
    assert "compiling kernels" not in run[1], run[1]
