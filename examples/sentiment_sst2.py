"""Sentiment analysis on SST-2 with a TF-IDF + skgd LogisticRegression pipeline.

The pipeline is tuned by ``GridSearchCV`` over solvers and learning-rate schedules
(3-fold CV on the 67,349 training phrases, 2 jobs) and evaluated on the 872 dev
sentences. The data are read from ``--data-home`` (default: ``$SKGD_DATA`` or
``../shared/data``), which must contain ``sst2/train.tsv`` and ``sst2/dev.tsv``.

Run: ``python examples/sentiment_sst2.py [--data-home PATH] [--subsample N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skgd import LogisticRegression
from skgd.datasets import load_sst2
from skgd.solver import Adam


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=None, help="folder that contains sst2/")
    parser.add_argument("--subsample", type=int, default=None,
                        help="use only this many training phrases (quick runs)")
    args = parser.parse_args(argv)
    try:
        data = load_sst2(args.data_home)
    except FileNotFoundError as exc:
        print(f"SST-2 not found: {exc}", file=sys.stderr)
        print("Get GLUE's SST-2 (train.tsv, dev.tsv) into <folder>/sst2/ and pass "
              "--data-home <folder> or set SKGD_DATA=<folder>.", file=sys.stderr)
        return 1
    text, y = data.text_train, data.y_train
    if args.subsample:
        idx = np.random.RandomState(0).permutation(len(text))[: args.subsample]
        text, y = [text[i] for i in idx], y[idx]

    pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2),
                         LogisticRegression(random_state=0))
    grid = GridSearchCV(pipe, [
        {"logisticregression__solver": ["lbfgs"],
         "logisticregression__alpha": [1e-5, 1e-4]},
        {"logisticregression__solver": ["sgd"], "logisticregression__batch_size": [1],
         "logisticregression__learning_rate": ["optimal", "invscaling"],
         "logisticregression__learning_rate_init": [0.1],
         "logisticregression__alpha": [1e-5]},
        {"logisticregression__solver": [Adam()], "logisticregression__batch_size": [64],
         "logisticregression__learning_rate": ["constant", "cosine"],
         "logisticregression__learning_rate_init": [0.003],
         "logisticregression__max_iter": [10], "logisticregression__alpha": [1e-5]},
    ], cv=3, n_jobs=2)
    tic = time.perf_counter()
    # the 10-epoch Adam settings stop at max_iter by design
    warnings.simplefilter("ignore", ConvergenceWarning)
    grid.fit(text, y)
    print(f"grid search: {len(grid.cv_results_['params'])} settings x 3 folds in "
          f"{time.perf_counter() - tic:.1f} s")
    order = np.argsort(grid.cv_results_["rank_test_score"])
    for i in order:
        params = {k.split("__", 1)[1]: v for k, v in grid.cv_results_["params"][i].items()}
        print(f"  cv accuracy {grid.cv_results_['mean_test_score'][i]:.4f}  {params}")
    best = grid.best_estimator_
    print(f"best: {grid.best_params_}")
    print(f"dev accuracy of the refitted best pipeline: "
          f"{best.score(data.text_test, data.y_test):.4f}")
    clf = best[-1]
    print(f"epochs/iterations {clf.n_iter_}, final training loss {clf.loss_curve_[-1]:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
