"""skgd linear models against scikit-learn, in one process and one run.

Data: dense ``make_classification`` / ``make_regression`` (200,000 x 100,
``random_state=0``, 80/20 split) and SST-2 as TF-IDF (word 1-2-grams, ``min_df=2``,
CSR; train.tsv to fit, dev.tsv to test) from ``../shared/data/sst2`` or
``$SKGD_DATA``. BLAS is pinned to one thread on both sides; skgd and scikit-learn
fits alternate; times are medians of ``--repeats`` runs; a ratio is the median of the
per-pair ratios skgd time / scikit-learn time.

Run: ``python benchmarks/bench_linear.py [--repeats 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification, make_regression
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.linear_model import SGDClassifier, SGDRegressor
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).parent))
from _common import table, timed, timed_pair  # noqa: E402

from skgd import LinearRegression, LogisticRegression  # noqa: E402
from skgd.datasets import load_sst2  # noqa: E402


def datasets(n: int, data_home):
    X, y = make_classification(n_samples=n, n_features=100, random_state=0)
    yield "dense clf", "clf", train_test_split(X, y, test_size=0.2, random_state=0)
    X, y = make_regression(n_samples=n, n_features=100, random_state=0)
    yield "dense reg", "reg", train_test_split(X, y, test_size=0.2, random_state=0)
    try:
        sst = load_sst2(data_home)
    except FileNotFoundError as exc:
        print(f"# SST-2 skipped: {exc}")
        return
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    Xtr = vec.fit_transform(sst.text_train)
    yield "SST-2 tf-idf", "clf", (Xtr, vec.transform(sst.text_test), sst.y_train, sst.y_test)


def logistic_objective(coef, intercept, X, y, C):
    """scikit-learn's objective C * sum(log-loss) + ||w||^2 / 2 (binary)."""
    z = np.asarray(X @ coef.ravel()) + intercept[0]
    s = np.where(y == 1, 1.0, -1.0)
    return C * np.logaddexp(0, -s * z).sum() + 0.5 * coef.ravel() @ coef.ravel()


def bench_sgd(name, kind, split, repeats, epochs=5):
    Xtr, Xte, ytr, yte = split
    if kind == "clf":
        # scikit-learn SGDClassifier's defaults: alpha=1e-4, Bottou's schedule
        ours = LogisticRegression(solver="sgd", batch_size=1, learning_rate="optimal",
                                  alpha=1e-4, max_iter=epochs, tol=None, random_state=0)
        peer = SGDClassifier(loss="log_loss", max_iter=epochs, tol=None, random_state=0)
    else:
        ours = LinearRegression(solver="sgd", batch_size=1, learning_rate="invscaling",
                                learning_rate_init=0.01, max_iter=epochs, tol=None,
                                random_state=0)
        peer = SGDRegressor(max_iter=epochs, tol=None, random_state=0)
    t_ours, t_peer, ratio, m_ours, m_peer = timed_pair(lambda: ours.fit(Xtr, ytr),
                                                lambda: peer.fit(Xtr, ytr), repeats)
    return {"data": name, "task": f"per-sample SGD, {epochs} epochs (per epoch)",
            "skgd s": t_ours / epochs, "sklearn s": t_peer / epochs, "ratio": ratio,
            "skgd score": m_ours.score(Xte, yte),
            "sklearn score": m_peer.score(Xte, yte)}


def bench_lbfgs(name, split, repeats):
    """Time for skgd's L-BFGS to reach scikit-learn's final objective (within 1e-6
    relative): the loosest of tol = 1e-4, 1e-5, 1e-6 that gets there (found with one
    fit each) is timed."""
    Xtr, Xte, ytr, yte = split
    n = Xtr.shape[0]
    peer = SkLogistic(C=1.0, max_iter=1000)
    _, m_peer = timed(lambda: peer.fit(Xtr, ytr), 1)
    f_peer = logistic_objective(m_peer.coef_, m_peer.intercept_, Xtr, ytr, 1.0)
    for tol in (1e-4, 1e-5, 1e-6):
        ours = LogisticRegression(solver="lbfgs", alpha=1.0 / n, max_iter=1000, tol=tol)
        _, m_ours = timed(lambda ours=ours: ours.fit(Xtr, ytr), 1)
        f_ours = logistic_objective(m_ours.coef_, m_ours.intercept_, Xtr, ytr, 1.0)
        if (f_ours - f_peer) / abs(f_peer) <= 1e-6:
            break
    t_ours, t_peer, ratio, m_ours, m_peer = timed_pair(lambda: ours.fit(Xtr, ytr),
                                                lambda: peer.fit(Xtr, ytr), repeats)
    return {"data": name, "task": f"lbfgs to sklearn's optimum (tol={tol:g})",
            "skgd s": t_ours,
            "sklearn s": t_peer, "ratio": ratio,
            "skgd score": m_ours.score(Xte, yte), "sklearn score": m_peer.score(Xte, yte),
            "objective rel. diff": (f_ours - f_peer) / abs(f_peer)}


def bench_defaults(name, split, repeats):
    Xtr, Xte, ytr, yte = split
    peer = SkLogistic(max_iter=1000)
    ours = LogisticRegression(random_state=0)
    t_ours, t_peer, ratio, m_ours, m_peer = timed_pair(lambda: ours.fit(Xtr, ytr),
                                                lambda: peer.fit(Xtr, ytr), repeats)
    return {"data": name, "task": f"defaults ({m_ours.n_iter_} epochs) vs LogisticRegression()",
            "skgd s": t_ours, "sklearn s": t_peer, "ratio": ratio,
            "skgd score": m_ours.score(Xte, yte), "sklearn score": m_peer.score(Xte, yte)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 dense rows")
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--only", choices=["sgd", "lbfgs", "defaults"], default=None,
                        help="run one task only")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else 200_000
    # compile the kernels once so that no timing includes numba's JIT
    Xw, yw = make_classification(200, 5, random_state=0)
    LogisticRegression(max_iter=2).fit(Xw, yw)
    LinearRegression(solver="sgd", max_iter=2).fit(Xw, yw.astype(float))
    rows = []
    tasks = {"sgd": bench_sgd, "lbfgs": bench_lbfgs, "defaults": bench_defaults}
    for name, kind, split in datasets(n, args.data_home):
        for task, bench in tasks.items():
            if args.only not in (None, task) or (kind != "clf" and task != "sgd"):
                continue
            rows.append(bench(name, kind, split, args.repeats) if task == "sgd"
                        else bench(name, split, args.repeats))
            print(rows[-1], flush=True)
    cols = ["data", "task", "skgd s", "sklearn s", "ratio", "skgd score", "sklearn score",
            "objective rel. diff"]
    print()
    print(table(rows, cols))


if __name__ == "__main__":
    main()
