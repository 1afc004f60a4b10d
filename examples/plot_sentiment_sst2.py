"""
Sentiment analysis: TF-IDF and a grid search over optimizers and schedules (SST-2)
==================================================================================

A ``TfidfVectorizer`` + :class:`skgd.linear_model.LogisticRegression` pipeline on the
Stanford Sentiment Treebank (GLUE SST-2: 67,349 training phrases, 872 dev sentences),
read by :func:`skgd.datasets.load_sst2` from ``$SKGD_DATA/sst2`` (or
``../shared/data``). ``GridSearchCV`` tunes the solver itself: full-batch L-BFGS,
per-sample SGD with scikit-learn's ``"optimal"`` schedule, and mini-batch Adam with a
constant or cosine schedule, all in one grid, because optimizers and schedules are
ordinary (clone-able) parameters. Without the data folder the example uses a small
built-in sample of sentences and says so.

Run: ``python examples/plot_sentiment_sst2.py``.
"""

# %%
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from skgd import LogisticRegression
from skgd.datasets import load_sst2
from skgd.solver import Adam

FAST = os.environ.get("SKGD_DOC_FAST") == "1"  # set by the documentation build
warnings.simplefilter("ignore", ConvergenceWarning)  # the 10-epoch Adam fits stop at max_iter

GOOD = ["a gripping , beautifully acted film", "funny and touching", "a real pleasure",
        "smart , warm and wonderfully made", "one of the best films of the year",
        "the cast is superb", "charming and clever", "an absolute delight"]
BAD = ["dull and far too long", "a tedious , lifeless mess", "the plot makes no sense",
       "painfully unfunny", "badly written and badly acted", "a waste of a good cast",
       "boring from start to finish", "clumsy , flat and forgettable"]

try:
    data = load_sst2()
    text, y = data.text_train, data.y_train
    text_test, y_test = data.text_test, data.y_test
    if FAST:
        idx = np.random.RandomState(0).permutation(len(text))[:6000]
        text, y = [text[i] for i in idx], y[idx]
except FileNotFoundError as exc:
    print(f"SST-2 not found ({exc}); using a small built-in sample instead.")
    text = [f"{a} , {b}" for a in GOOD for b in GOOD] + [f"{a} , {b}" for a in BAD for b in BAD]
    y = np.array([1] * 64 + [0] * 64)
    text_test, y_test = GOOD + BAD, np.array([1] * 8 + [0] * 8)
print(f"{len(text)} training texts, {len(text_test)} test texts")

# %%
# One grid over solvers, schedules and batch sizes
# ------------------------------------------------
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
], cv=3, n_jobs=1 if FAST else 2)
tic = time.perf_counter()
grid.fit(text, y)
print(f"grid search: {len(grid.cv_results_['params'])} settings x 3 folds "
      f"in {time.perf_counter() - tic:.1f} s")
print("best:", grid.best_params_)
print(f"test accuracy of the refitted best pipeline: {grid.score(text_test, y_test):.4f}")


# %%
# Cross-validated accuracy and fit time of every setting
# ------------------------------------------------------
def label(params):
    p = {k.split("__", 1)[1]: v for k, v in params.items()}
    solver = p["solver"] if isinstance(p["solver"], str) else type(p["solver"]).__name__
    if solver == "lbfgs":
        return f"lbfgs, alpha={p['alpha']:g}"
    return f"{solver}, batch {p['batch_size']}, {p['learning_rate']}"


res = grid.cv_results_
order = np.argsort(res["mean_test_score"])
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
names = [label(res["params"][i]) for i in order]
ax1.barh(names, res["mean_test_score"][order], xerr=res["std_test_score"][order])
ax1.set(xlabel="mean CV accuracy", xlim=(res["mean_test_score"].min() - 0.05, 1.0))
ax2.barh(names, res["mean_fit_time"][order])
ax2.set(xlabel="mean fit time per fold (s)")
fig.tight_layout()
plt.show()
