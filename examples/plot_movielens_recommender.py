"""Movie recommendations on MovieLens-100K with skgd's MatrixFactorization.

Fits a biased matrix factorization on the u1 training fold, tunes the regularisation
with GridSearchCV on the training fold only, compares the recommended SVD++ setting,
prints top-10 recommendations with movie
titles for a few users, and evaluates rating accuracy (RMSE) and ranking quality
(precision@10, ndcg@10 of the held-out ratings >= 4) on u1.test.

Data: ``../shared/data/ml-100k`` (or ``$SKGD_DATA``); run from the project root.
"""

import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from skgd.datasets import load_movielens
from skgd.metrics import make_ranking_scorer
from skgd.recommender import MatrixFactorization

ml = load_movielens()
X_train, y_train, X_test, y_test = ml.folds[0]
titles = dict(zip(ml.item_info.item_id, ml.item_info.title, strict=True))

# 1. tune the regularisation on the training fold (3-fold CV, 2 processes)
search = GridSearchCV(
    MatrixFactorization(n_components=100, max_iter=40, random_state=0),
    {"alpha": [0.05, 0.1, 0.15]},
    scoring="neg_root_mean_squared_error",
    cv=KFold(3, shuffle=True, random_state=0),
    n_jobs=2,
).fit(X_train, y_train)
print("best alpha:", search.best_params_["alpha"],
      f"(CV RMSE {-search.best_score_:.4f})")
model = search.best_estimator_

# 2. rating accuracy on the held-out fold
rmse = np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2))
print(f"u1.test RMSE: {rmse:.4f}")

# the documented recommended setting for ratings (SVD++ term of each user's rated
# movies; chosen on a hold-out split of the training fold): u1.test RMSE about 0.910
svdpp = MatrixFactorization(200, svdpp=True, alpha=0.1, alpha_bias=0.02, alpha_svdpp=0.01,
                            init_std=0.05, learning_rate_init=0.007, max_iter=40,
                            random_state=0).fit(X_train, y_train)
rmse = np.sqrt(np.mean((svdpp.predict(X_test) - y_test) ** 2))
print(f"u1.test RMSE, recommended SVD++ setting: {rmse:.4f}")

# 3. top-10 recommendations (unseen movies only) for a few users
users = [1, 42, 500]
items, scores = model.recommend(users, n=10)
for user, row, sc in zip(users, items, scores, strict=True):
    print(f"\nuser {user}:")
    for item, s in zip(row, sc, strict=True):
        print(f"  {s:4.2f}  {titles[item]}")

# 4. ranking quality: held-out ratings >= 4 are the relevant items
for metric in ("precision", "ndcg"):
    scorer = make_ranking_scorer(metric, k=10, threshold=4)
    print(f"{metric}@10 on u1.test: {scorer(model, X_test, y_test):.4f}")

# 5. similar movies
similar, _ = model.similar_items([1], n=5)  # Toy Story
print("\nmovies similar to", titles[1], ":", [titles[i] for i in similar[0]])
