"""
Movie recommendations: explicit ratings and implicit feedback (MovieLens-100K)
==============================================================================

:class:`skgd.recommender.MatrixFactorization` on MovieLens-100K (943 users, 1,682
movies, 100,000 ratings), read by :func:`skgd.datasets.load_movielens` from
``$SKGD_DATA/ml-100k`` (or ``../shared/data``), canonical fold ``u1``:

1. **explicit**: biased MF (Funk-SVD) and SVD++ predict ratings (RMSE), with the
   validation RMSE recorded per epoch;
2. **implicit**: the same model trained with the BPR loss on "who watched what" only
   (ratings >= 4 as positives, negatives sampled), compared with the explicit model
   on precision@10 / ndcg@10 (:func:`skgd.metrics.make_ranking_scorer`);
3. **top-k with titles** for a few users, similar movies, and folding in a new user
   with ``partial_fit``.

Without the data folder the example says so and uses a small synthetic rating matrix.

Run: ``python examples/plot_movielens_recommender.py``.
"""

# %%
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skgd.datasets import load_movielens
from skgd.metrics import make_ranking_scorer
from skgd.recommender import MatrixFactorization

FAST = os.environ.get("SKGD_DOC_FAST") == "1"  # set by the documentation build
warnings.simplefilter("ignore", ConvergenceWarning)
epochs = 15 if FAST else 40

try:
    ml = load_movielens()
    X_train, y_train, X_test, y_test = ml.folds[0]
    titles = dict(zip(ml.item_info.item_id, ml.item_info.title, strict=True))
except FileNotFoundError as exc:
    print(f"MovieLens not found ({exc}); using a synthetic rating matrix instead.")
    rng = np.random.default_rng(0)
    P, Q = rng.normal(size=(300, 5)), rng.normal(size=(200, 5))
    X = np.column_stack([rng.integers(0, 300, 20000), rng.integers(0, 200, 20000)])
    X = np.unique(X, axis=0)
    y = np.clip(np.round(3 + (P[X[:, 0]] * Q[X[:, 1]]).sum(1) / 2), 1, 5)
    test = rng.random(len(y)) < 0.2
    X_train, y_train, X_test, y_test = X[~test], y[~test], X[test], y[test]
    titles = {i: f"item {i}" for i in range(200)}
print(f"{len(y_train)} training and {len(y_test)} test ratings")


def rmse(model):
    return float(np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2)))


# %%
# Explicit ratings: biased MF and SVD++
# -------------------------------------
# ``X_val``/``y_val`` record the held-out RMSE per epoch (``validation_scores_`` is
# minus the RMSE). The SVD++ setting is the one recommended in the class docstring.
mf = MatrixFactorization(100, alpha=0.1, alpha_bias=0.02, init_std=0.05, max_iter=epochs,
                         random_state=0).fit(X_train, y_train, X_val=X_test, y_val=y_test)
svdpp = MatrixFactorization(100 if FAST else 200, svdpp=True, alpha=0.1, alpha_bias=0.02,
                            alpha_svdpp=0.01, init_std=0.05, learning_rate_init=0.007,
                            max_iter=epochs, random_state=0)
svdpp.fit(X_train, y_train, X_val=X_test, y_val=y_test)
print(f"test RMSE: biased MF {rmse(mf):.4f}, SVD++ {rmse(svdpp):.4f}")

# %%
# Implicit feedback: BPR on the positive interactions only
# --------------------------------------------------------
positive = y_train >= 4
bpr = MatrixFactorization(64, loss="bpr", solver="adam", learning_rate_init=0.01,
                          alpha=0.01, max_iter=10 if FAST else 30, random_state=0)
bpr.fit(X_train[positive])
ranking = {}
for metric in ("precision", "ndcg"):
    scorer = make_ranking_scorer(metric, k=10, threshold=4)
    ranking[metric] = {name: scorer(model, X_test, y_test)
                       for name, model in [("biased MF", mf), ("SVD++", svdpp),
                                           ("BPR (implicit)", bpr)]}
    print(f"{metric}@10:", {k: round(v, 4) for k, v in ranking[metric].items()})

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, model in [("biased MF", mf), ("SVD++", svdpp)]:
    ax1.plot(np.arange(1, model.n_iter_ + 1), -np.asarray(model.validation_scores_),
             label=name)
ax1.set(xlabel="epoch", ylabel="test RMSE", title="explicit ratings")
ax1.legend()
names = list(ranking["precision"])
x = np.arange(len(names))
ax2.bar(x - 0.2, [ranking["precision"][n] for n in names], 0.4, label="precision@10")
ax2.bar(x + 0.2, [ranking["ndcg"][n] for n in names], 0.4, label="ndcg@10")
ax2.set_xticks(x, names)
ax2.set(title="top-10 ranking of held-out movies rated >= 4")
ax2.legend()
fig.tight_layout()

# %%
# Top-10 recommendations with titles
# ----------------------------------
# ``recommend`` leaves out the movies a user rated in training.
users = [1, 42, 500] if 500 in set(X_train[:, 0].tolist()) else [1, 42, 100]
items, scores = bpr.recommend(users, n=10)
for user, row, sc in zip(users, items, scores, strict=True):
    print(f"\nuser {user}:")
    for item, s in zip(row, sc, strict=True):
        print(f"  {s:5.2f}  {titles[item]}")
similar, _ = mf.similar_items([1], n=5)
print(f"\nmovies similar to {titles[1]}:", [titles[i] for i in similar[0]])

# %%
# Folding in a new user
# ---------------------
# ``partial_fit`` on the new user's ratings adds the user (and any new item) to the
# model without retraining from scratch; the other users' recommendations move only
# by the shared item updates of those rows.
new_user = int(X_train[:, 0].max()) + 1
liked = list(titles)[:5]
X_new = np.array([[new_user, i] for i in liked])
for _ in range(5):
    mf.partial_fit(X_new, np.full(len(liked), 5.0))
new_items, _ = mf.recommend([new_user], n=5)
print("after rating", [titles[i] for i in liked], "the new user gets",
      [titles[i] for i in new_items[0]])
plt.show()
