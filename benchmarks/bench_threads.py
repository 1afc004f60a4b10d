"""Threaded MatrixFactorization epochs (``n_jobs``) on MovieLens-100K, fold u1.

Run from the project root: ``python benchmarks/bench_threads.py [--repeats 7]``.
Data: ``../shared/data/ml-100k`` (or ``$SKGD_DATA``). Prints markdown tables; every
comparison alternates its sides within one run and reports medians. BLAS is pinned
to one thread (threadpoolctl, BLAS only: an OpenMP limit would also cap the kernels'
threads, see :mod:`skgd._lowlevel.threads`). ``uptime`` is printed before and after:
the machine is shared, and a second thread only helps when a second core is free.

1. Explicit MF (k=100, skgd's defaults, per-interaction SGD): the median epoch time
   (``history_`` seconds, first epoch dropped) and the whole fit, ``n_jobs=1`` vs
   ``n_jobs=2`` Hogwild vs ``n_jobs=2, deterministic=True`` (DSGD strata), with the
   RMSE on u1.test of each.
2. BPR (ratings >= 4 as positives, the recommender benchmark's setting, Adam):
   precision@10 and fit time with 1 and 2 threads, against ``implicit``'s BPR with
   the same thread counts.
3. ``GridSearchCV(n_jobs=2)`` (loky) of ``MatrixFactorization(n_jobs=-1)``: the
   threads each worker's kernels get, and the wall time against ``n_jobs=1``
   estimators (equal times: no oversubscription).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
import warnings

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

from skgd._lowlevel.threads import n_threads, thread_budget, threading_layer
from skgd.datasets import load_movielens
from skgd.metrics import precision_at_k
from skgd.recommender import MatrixFactorization

MF_HP = dict(n_components=100, max_iter=20, random_state=0)
BPR_HP = dict(n_components=64, loss="bpr", solver="adam", learning_rate_init=0.01,
              alpha=0.01, max_iter=30, n_negatives=1, random_state=0)
SIDES = {"n_jobs=1": {}, "n_jobs=2 Hogwild": {"n_jobs": 2},
         "n_jobs=2 deterministic": {"n_jobs": 2, "deterministic": True}}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def rmse(a, b) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def explicit(ml, repeats):
    Xtr, ytr, Xte, yte = ml.folds[0]
    res: dict = {name: {"epoch": [], "fit": [], "rmse": [], "cpu": []} for name in SIDES}
    for _ in range(repeats):
        for name, kw in SIDES.items():
            t, c = time.perf_counter(), time.process_time()
            mf = MatrixFactorization(**MF_HP, **kw).fit(Xtr, ytr)
            res[name]["fit"].append(time.perf_counter() - t)
            res[name]["cpu"].append(time.process_time() - c)
            res[name]["epoch"].append(statistics.median(
                h["seconds"] for h in mf.history_[1:]))
            res[name]["rmse"].append(rmse(mf.predict(Xte), yte))
    base = res["n_jobs=1"]
    print("\n| explicit MF, u1 (k=100, 20 epochs) | epoch | ratio | whole fit | ratio | "
          "CPU time of the fit (all threads) | RMSE u1.test |")
    print("|---|---|---|---|---|---|---|")
    for name, r in res.items():
        ep, fit = statistics.median(r["epoch"]), statistics.median(r["fit"])
        ratio_ep = statistics.median(a / b for a, b in zip(r["epoch"], base["epoch"],
                                                            strict=True))
        ratio_fit = statistics.median(a / b for a, b in zip(r["fit"], base["fit"],
                                                             strict=True))
        print(f"| {name} | {ep * 1e3:.2f} ms | {ratio_ep:.2f} | {fit * 1e3:.0f} ms | "
              f"{ratio_fit:.2f} | {statistics.median(r['cpu']) * 1e3:.0f} ms | "
              f"{statistics.median(r['rmse']):.4f} |")


def _positives(ml):
    Xtr, ytr, Xte, yte = ml.folds[0]
    truth: dict = {}
    for u, i in Xte[yte >= 4]:
        truth.setdefault(u, set()).add(i)
    users = np.array(sorted(truth))
    return Xtr, ytr, users, [truth[u] for u in users]


def _implicit_fit(ml, pos_tr, threads):
    import scipy.sparse as sp
    from implicit.bpr import BayesianPersonalizedRanking

    n_u, n_i = ml.data[:, 0].max() + 1, ml.data[:, 1].max() + 1
    ui = sp.csr_matrix((np.ones(len(pos_tr)), (pos_tr[:, 0], pos_tr[:, 1])),
                       shape=(n_u, n_i))
    model = BayesianPersonalizedRanking(factors=64, iterations=100, random_state=0,
                                        num_threads=threads)
    model.fit(ui, show_progress=False)
    return model


def _skgd_recs(mf, users, Xtr, ytr):
    items, _ = mf.recommend(users, n=60)
    extra: dict = {}
    for u, i in Xtr[ytr < 4]:
        extra.setdefault(u, set()).add(i)
    return [[i for i in row if i not in extra.get(u, ())][:10]
            for u, row in zip(users, items, strict=True)]


def bpr(ml, repeats):
    import scipy.sparse as sp

    Xtr, ytr, users, rel = _positives(ml)
    pos_tr = Xtr[ytr >= 4]
    n_u, n_i = ml.data[:, 0].max() + 1, ml.data[:, 1].max() + 1
    seen = sp.csr_matrix((np.ones(len(Xtr)), (Xtr[:, 0], Xtr[:, 1])), shape=(n_u, n_i))
    res: dict = {}
    for _ in range(repeats):
        for name, kw in SIDES.items():
            t = time.perf_counter()
            mf = MatrixFactorization(**BPR_HP, **kw).fit(pos_tr)
            el = time.perf_counter() - t
            p = precision_at_k(rel, _skgd_recs(mf, users, Xtr, ytr))
            res.setdefault(f"skgd BPR {name}", []).append((el, p))
        for threads in (1, 2):
            t = time.perf_counter()
            model = _implicit_fit(ml, pos_tr, threads)
            el = time.perf_counter() - t
            ids, _ = model.recommend(users, seen[users], N=10,
                                     filter_already_liked_items=True)
            res.setdefault(f"implicit BPR num_threads={threads} (100 it.)", []).append(
                (el, precision_at_k(rel, ids)))
    print("\n| BPR, u1, ratings >= 4 | precision@10 | fit time |")
    print("|---|---|---|")
    for name, runs in res.items():
        print(f"| {name} | {statistics.median(p for _, p in runs):.4f} | "
              f"{statistics.median(t for t, _ in runs):.2f} s |")


def _worker_threads():
    return n_threads(-1), thread_budget()


def loky(ml, repeats):
    Xtr, ytr = ml.folds[0][0], ml.folds[0][1]
    got = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_worker_threads)() for _ in range(2))
    times: dict = {}
    grid = {"alpha": [0.05, 0.1]}
    # start the workers and load their kernels outside the timings
    GridSearchCV(MatrixFactorization(max_iter=1, n_jobs=-1), grid, cv=2, n_jobs=2).fit(
        Xtr, ytr)
    for _ in range(repeats):
        for n_jobs in (1, -1):
            est = MatrixFactorization(n_components=50, max_iter=10, n_jobs=n_jobs,
                                      random_state=0)
            t = time.perf_counter()
            GridSearchCV(est, grid, cv=2, n_jobs=2).fit(Xtr, ytr)
            times.setdefault(n_jobs, []).append(time.perf_counter() - t)
    print("\n| GridSearchCV(n_jobs=2, loky), 4 fits | kernel threads per worker | wall |")
    print("|---|---|---|")
    print(f"| MatrixFactorization(n_jobs=1) | 1 | {statistics.median(times[1]):.2f} s |")
    print(f"| MatrixFactorization(n_jobs=-1) | {[g[0] for g in got]} (budget "
          f"{[g[1] for g in got]}) | {statistics.median(times[-1]):.2f} s |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--data-home", default=None)
    ap.add_argument("--only", choices=["explicit", "bpr", "loky"], default=None)
    args = ap.parse_args()
    ml = load_movielens(data_home=args.data_home)
    print(f"numba layer: {threading_layer()}, budget {thread_budget()} threads")
    print(f"before: {uptime()}")
    # warm the numba caches outside the timings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for kw in SIDES.values():
            MatrixFactorization(max_iter=1, **kw).fit(ml.folds[0][0][:2000],
                                                      ml.folds[0][1][:2000])
            MatrixFactorization(**{**BPR_HP, **kw, "max_iter": 1}).fit(
                ml.folds[0][0][:2000])
    with threadpool_limits(1, user_api="blas"):
        if args.only in (None, "explicit"):
            explicit(ml, args.repeats)
        if args.only in (None, "bpr"):
            bpr(ml, max(args.repeats // 2, 1))
        if args.only in (None, "loky"):
            loky(ml, max(args.repeats // 3, 1))
    print(f"\nafter: {uptime()}")


if __name__ == "__main__":
    main()
