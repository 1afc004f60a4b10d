"""The quick-start demo: every estimator on data bundled with scikit-learn.

Run ``python -m skgd.demo``. Fits each available estimator with several solvers and
batch sizes on a train split and prints one table row per fit: estimator, data set,
solver, batch size, epochs, seconds fitting, seconds compiling kernels and the test
score (accuracy or R²). The first run in a fresh environment compiles skgd's kernels
(about half a minute in all) and caches them on disk; later runs only load them, so
their compile column is zero.

``MatrixFactorization`` completes the digit images: every (image, pixel) pair is an
interaction whose rating is the pixel's intensity; a quarter of the pixels is held out
and the score is the R² of their predicted intensities.
"""

from __future__ import annotations

import time
import warnings
from importlib import import_module

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .solver._progress import compile_clock

SOLVERS = [
    ("sgd", 1), ("momentum", 32), ("adam", 32), ("adam", 1), ("rmsprop", 64),
    ("nesterov", "full"), ("lbfgs", "full"), ("newton", "full"),
]


def _data():
    return {
        "breast_cancer": load_breast_cancer(return_X_y=True),
        "digits": load_digits(return_X_y=True),
        "diabetes": load_diabetes(return_X_y=True),
        "digit pixels": _pixels(),
    }


def _pixels():
    """(image id, pixel id) -> intensity triples of the digits images."""
    images = load_digits().data
    img, pix = np.indices(images.shape)
    X = np.column_stack([img.ravel(), pix.ravel()])
    return X, images.ravel()


def _jobs():
    """(estimator name, data set, solver, batch size, factory) for every demo fit."""
    lm = import_module("skgd.linear_model")
    for solver, bs in SOLVERS:
        lr = {"learning_rate": "constant", "learning_rate_init": 0.01}
        if solver == "sgd":
            lr = {}
        for data in ("breast_cancer", "digits"):
            yield ("LogisticRegression", data, solver, bs,
                   lambda s=solver, b=bs, k=lr: lm.LogisticRegression(
                       solver=s, batch_size=b, random_state=0, **k))
        yield ("LinearRegression", "diabetes", solver, bs,
               lambda s=solver, b=bs: lm.LinearRegression(
                   solver=s, batch_size=b, random_state=0,
                   learning_rate_init=0.1 if s == "adam" else 0.01))
    yield from _optional_jobs()


def _optional_jobs():
    nn = import_module("skgd.neural_network")
    for solver, bs in (("adam", "auto"), ("sgd", 32), ("lbfgs", "full")):
        yield ("MLPClassifier", "digits", solver, bs,
               lambda s=solver, b=bs: nn.MLPClassifier(solver=s, batch_size=b,
                                                       random_state=0))
    yield ("MLPRegressor", "diabetes", "adam", "auto",
           lambda: nn.MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
                                   max_iter=500, random_state=0))
    rec = import_module("skgd.recommender")
    for solver, bs in (("sgd", 1), ("adam", 256)):
        yield ("MatrixFactorization", "digit pixels", solver, bs,
               lambda s=solver, b=bs: rec.MatrixFactorization(
                   n_components=8, solver=s, batch_size=b, max_iter=20,
                   learning_rate_init=0.01, alpha=0.01, random_state=0))


def run(print_fn=print) -> list[dict]:
    """Run the demo; returns the table rows."""
    data = _data()
    rows = []
    header = f"{'estimator':<20} {'data':<14} {'solver':<9} {'batch':>6} {'epochs':>6} " \
             f"{'seconds':>8} {'compile':>8} {'score':>7}"
    print_fn(header)
    print_fn("-" * len(header))
    for name, dname, solver, bs, make in _jobs():
        X, y = data[dname]
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
        # ids are categories, not features to scale
        model = make_pipeline(make()) if name == "MatrixFactorization" else \
            make_pipeline(StandardScaler(), make())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            tic = time.perf_counter()
            with compile_clock() as clock:
                model.fit(Xtr, ytr)
            seconds = time.perf_counter() - tic - clock.seconds
        est = model[-1]
        row = {"estimator": name, "data": dname, "solver": solver, "batch_size": bs,
               "epochs": est.n_iter_, "seconds": seconds, "compile_seconds": clock.seconds,
               "score": model.score(Xte, yte)}
        rows.append(row)
        print_fn(f"{name:<20} {dname:<14} {solver:<9} {bs!s:>6} {row['epochs']:>6} "
                 f"{seconds:>8.3f} {clock.seconds:>8.3f} {row['score']:>7.3f}")
    compiled = sum(r["compile_seconds"] for r in rows)
    if compiled >= 0.01:
        print_fn(f"\n{compiled:.1f}s of this run went into compiling kernels (the compile "
                 "column): a first run in a fresh environment compiles them once and caches "
                 "them on disk, so the next run only loads them.")
    return rows


if __name__ == "__main__":
    run()
