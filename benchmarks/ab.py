"""A/B of two skgd trees on every benchmark workload: is the new code as fast?

Two worker processes, one per tree (``PYTHONPATH`` picks it), load the same data and
compile their kernels once; the driver then asks them for fits in alternation (old
new, new old, ...) so that both see the same machine, and reports per workload the
median time of each side and the median of the per-pair ratios new / old (lower is
better; the refactoring target is <= 1.05). It also reports whether the two trees
trained the same model (a hash of the predictions), so a changed result is never
mistaken for a speed-up. BLAS is pinned to one thread in both workers.

The workloads are the skgd side of the tables in ``benchmarks/README.md``, plus the
per-sample Adam fit on SST-2 (the compiled-rule kernel) and SVD++.

Usage::

    git worktree add /tmp/skgd-old <commit>
    python benchmarks/ab.py --old /tmp/skgd-old --new . [--repeats 7] [--only linear]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path


def _linear(data_home):
    import numpy as np
    from sklearn.datasets import make_classification, make_regression
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import train_test_split

    from skgd import LinearRegression, LogisticRegression
    from skgd.datasets import load_sst2

    Xc, yc = make_classification(n_samples=200_000, n_features=100, random_state=0)
    Xc, _, yc, _ = train_test_split(Xc, yc, test_size=0.2, random_state=0)
    Xr, yr = make_regression(n_samples=200_000, n_features=100, random_state=0)
    Xr, _, yr, _ = train_test_split(Xr, yr, test_size=0.2, random_state=0)
    sst = load_sst2(data_home)
    Xs = TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(sst.text_train)
    ys = sst.y_train
    sgd = dict(solver="sgd", batch_size=1, max_iter=5, tol=None, random_state=0)
    n = Xc.shape[0]
    return {
        "dense clf per-sample SGD": (lambda: LogisticRegression(
            learning_rate="optimal", alpha=1e-4, **sgd), Xc, yc),
        "dense reg per-sample SGD": (lambda: LinearRegression(
            learning_rate="invscaling", learning_rate_init=0.01, **sgd), Xr, yr),
        "SST-2 per-sample SGD": (lambda: LogisticRegression(
            learning_rate="optimal", alpha=1e-4, **sgd), Xs, ys),
        "SST-2 per-sample Adam (rule kernel)": (lambda: LogisticRegression(
            solver="adam", batch_size=1, learning_rate_init=1e-3, alpha=1e-5, max_iter=3,
            tol=None, random_state=0), Xs, ys),
        "dense clf lbfgs (tol 1e-4)": (lambda: LogisticRegression(
            solver="lbfgs", alpha=1.0 / n, max_iter=1000, tol=1e-4), Xc, yc),
        "SST-2 lbfgs (tol 1e-5)": (lambda: LogisticRegression(
            solver="lbfgs", alpha=1.0 / Xs.shape[0], max_iter=1000, tol=1e-5), Xs, ys),
        "dense clf defaults": (lambda: LogisticRegression(random_state=0), Xc, yc),
        "SST-2 defaults": (lambda: LogisticRegression(random_state=0), Xs, ys),
        "dense reg defaults (per-sample Adam)": (lambda: LinearRegression(
            random_state=0), Xr, np.asarray(yr) / np.std(yr)),
    }


def _mlp(data_home):
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import StandardScaler

    from skgd import MLPClassifier
    from skgd.datasets import load_mnist

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    mnist = load_mnist(data_home)
    Xm, ym = mnist.data[:8000] / 255.0, mnist.target[:8000]

    def make(epochs):
        return lambda: MLPClassifier(hidden_layer_sizes=(100,), solver="adam",
                                     learning_rate_init=0.001, batch_size=200,
                                     max_iter=epochs, tol=0.0, n_iter_no_change=10**6,
                                     random_state=0)

    out = {}
    for dt in (np.float64, np.float32):
        name = np.dtype(dt).name
        out[f"MLP digits {name}"] = (make(20), X.astype(dt), y)
        out[f"MLP mnist {name}"] = (make(5), Xm.astype(dt), ym)
    return out


def _recommender(data_home):
    from skgd.datasets import load_movielens
    from skgd.recommender import MatrixFactorization

    ml = load_movielens(data_home=data_home)
    Xtr, ytr, _, _ = ml.folds[0]
    surprise_hp = dict(n_components=100, max_iter=20, learning_rate_init=0.005, alpha=0.02,
                       solver="sgd", batch_size=1, shuffle=False, max_grad_norm=None)
    return {
        "MF per-interaction SGD (Surprise's setting)": (
            lambda: MatrixFactorization(random_state=0, **surprise_hp), Xtr, ytr),
        "MF defaults": (lambda: MatrixFactorization(random_state=0), Xtr, ytr),
        "MF SVD++ (k=200, 10 epochs)": (lambda: MatrixFactorization(
            n_components=200, svdpp=True, alpha=0.1, alpha_bias=0.02, alpha_svdpp=0.01,
            init_std=0.05, learning_rate_init=0.007, max_iter=10, random_state=0),
            Xtr, ytr),
        "MF BPR implicit (adam, 30 epochs)": (lambda: MatrixFactorization(
            n_components=64, loss="bpr", solver="adam", learning_rate_init=0.01,
            alpha=0.01, max_iter=30, n_negatives=1, random_state=0), Xtr[ytr >= 4], None),
        "MF mini-batch Adam (batch 256)": (lambda: MatrixFactorization(
            n_components=64, solver="adam", batch_size=256, learning_rate_init=0.01,
            max_iter=10, random_state=0), Xtr, ytr),
    }


GROUPS = {"linear": _linear, "mlp": _mlp, "recommender": _recommender}


def _digest(est, X) -> str:
    import numpy as np

    rows = X[:2000]
    out = est.predict(rows) if hasattr(est, "predict") else None
    if hasattr(est, "predict_proba"):
        out = est.predict_proba(rows)
    return hashlib.sha1(np.ascontiguousarray(out).tobytes()).hexdigest()[:12]


def worker(groups: list[str], data_home) -> None:
    """Answer ``name`` lines on stdin with a JSON line: seconds and model digest."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    warnings.simplefilter("ignore", ConvergenceWarning)
    work = {}
    for g in groups:
        work.update(GROUPS[g](data_home))
    print(json.dumps(list(work)), flush=True)
    with threadpool_limits(1):
        for line in sys.stdin:
            name = line.strip()
            make, X, y = work[name]
            est = make()
            tic = time.perf_counter()
            est.fit(X) if y is None else est.fit(X, y)
            seconds = time.perf_counter() - tic
            print(json.dumps({"s": seconds, "digest": _digest(est, X)}), flush=True)


class _Side:
    def __init__(self, tree: str, groups: list[str], data_home) -> None:
        env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
        cmd = [sys.executable, __file__, "--worker", "--groups", ",".join(groups)]
        if data_home:
            cmd += ["--data-home", data_home]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, env=env)
        self.names = json.loads(self.proc.stdout.readline())

    def fit(self, name: str) -> dict:
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old")
    ap.add_argument("--new", default=".")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups")
    ap.add_argument("--data-home", default=None)
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--groups", default="")
    args = ap.parse_args(argv)
    groups = (args.groups or args.only).split(",")
    if args.worker:
        return worker(groups, args.data_home)
    old, new = _Side(args.old, groups, args.data_home), _Side(args.new, groups, args.data_home)
    print("| workload | old s | new s | new / old (median of pairs) | same model |")
    print("|---|---|---|---|---|")
    for name in old.names:
        old.fit(name), new.fit(name)  # compile / load the kernels, fault the pages in
        t_old, t_new, ratios, same = [], [], [], True
        for r in range(args.repeats):
            pair = (old, new) if r % 2 == 0 else (new, old)
            res = {id(side): side.fit(name) for side in pair}
            a, b = res[id(old)], res[id(new)]
            t_old.append(a["s"])
            t_new.append(b["s"])
            ratios.append(b["s"] / a["s"])
            same = same and a["digest"] == b["digest"]
        print(f"| {name} | {statistics.median(t_old):.4g} | {statistics.median(t_new):.4g} | "
              f"{statistics.median(ratios):.3f} | {'yes' if same else 'no'} |", flush=True)
    old.close()
    new.close()


if __name__ == "__main__":
    main()
