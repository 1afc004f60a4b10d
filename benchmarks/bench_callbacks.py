"""What callbacks cost: the same fit with no callback and with each callback set.

Workloads: per-sample SGD on SST-2 (TF-IDF, ``LogisticRegression``), ``MLPClassifier``
(Adam, mini-batch) on digits, and the default ``MatrixFactorization`` on MovieLens-100K
u1.base. Each callback setting alternates with the no-callback fit (a b, b a, ...); a
ratio is the median of the per-pair ratios. ``ScoringMonitor`` scores the training data
after every epoch by design, so its cost is that of one ``predict`` + scorer per epoch;
skgd's ``EarlyStopping`` scores only the validation set.

Run: ``python benchmarks/bench_callbacks.py [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sklearn.base import clone
from sklearn.callback import ScoringMonitor
from sklearn.datasets import load_digits
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).parent))
from _common import table, timed_pair  # noqa: E402

from skgd import LogisticRegression, MatrixFactorization, MLPClassifier  # noqa: E402
from skgd.callbacks import EarlyStopping  # noqa: E402
from skgd.datasets import load_movielens, load_sst2  # noqa: E402


def workloads(data_home):
    X, y = load_digits(return_X_y=True)
    yield ("MLP digits (adam, 30 epochs)",
           MLPClassifier((64,), max_iter=30, tol=None, random_state=0), X / 16, y, "accuracy")
    sst = load_sst2(data_home)
    Xs = TfidfVectorizer(ngram_range=(1, 2), min_df=2).fit_transform(sst.text_train)
    yield ("SST-2 per-sample SGD (10 epochs)",
           LogisticRegression(solver="sgd", batch_size=1, max_iter=10, tol=None,
                              random_state=0), Xs, sst.y_train, "accuracy")
    ml = load_movielens(data_home=data_home)
    Xm, ym = ml.folds[0][:2]
    yield ("MF defaults, u1.base (40 epochs)", MatrixFactorization(random_state=0), Xm, ym,
           "neg_root_mean_squared_error")


def settings(scoring):
    yield "ScoringMonitor (training data)", [ScoringMonitor(scoring=scoring)]
    # patience above max_iter: the fit runs every epoch, so the times compare
    yield "skgd EarlyStopping (validation_fraction)", [EarlyStopping(scoring=scoring,
                                                                     patience=1000)]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--data-home", default=None)
    args = ap.parse_args(argv)
    rows = []
    for name, est, X, y, scoring in workloads(args.data_home):
        clone(est).fit(X, y)  # compile / load kernels outside the timing
        for label, callbacks in settings(scoring):
            def with_cb(est=est, callbacks=callbacks, X=X, y=y):
                return clone(est).set_callbacks(*callbacks).fit(X, y)

            def without(est=est, X=X, y=y):
                return clone(est).fit(X, y)

            t_cb, t_none, ratio, _, _ = timed_pair(with_cb, without, args.repeats)
            rows.append({"workload": name, "callback": label, "no callback s": t_none,
                         "with callback s": t_cb, "ratio (median of pairs)": ratio})
            print(rows[-1], flush=True)
    print(table(rows, list(rows[0])))


if __name__ == "__main__":
    main()
