"""MatrixFactorization: gradients, kernels vs. mini-batch path, Surprise correspondence,
ids, recommend/similar_items, partial_fit and the scikit-learn contract."""

import pickle

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.utils.estimator_checks import check_estimator

from skgd.metrics import make_ranking_scorer
from skgd.recommender import MatrixFactorization
from skgd.recommender._objective import MFObjective, MFSpec

from ._data import ratings, surprise_order_data

SGD_ONLY = ["check_sample_weight_equivalence_on_dense_data",
            "check_sample_weight_equivalence_on_sparse_data"]


# --------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("loss", ["squared_error", "logistic", "bpr"])
@pytest.mark.parametrize("n_fields", [2, 3])
def test_gradient_matches_finite_differences(loss, n_fields):
    rng = np.random.RandomState(0)
    n_ids = [5, 6, 3][:n_fields]
    codes = np.stack([rng.randint(0, m, 30) for m in n_ids], axis=1)
    codes[:5, 0], codes[:6, 1] = np.arange(5), np.arange(6)
    spec = MFSpec(n_ids=n_ids, n_components=3, loss=loss, alpha=0.1, alpha_bias=0.05,
                  global_mean=0.3, learn_mean=True, biases=[True] * n_fields, init_std=0.5,
                  n_negatives=2)
    obj = MFObjective(codes, rng.randn(30), rng.rand(30) + 0.5, spec)
    w = obj.init_params(np.random.RandomState(1)) + 0.1 * rng.randn(obj.layout.size)

    def f(v):  # same negatives at every evaluation
        return obj.value_grad(v, None, np.random.RandomState(5))

    _, g = f(w)
    eps = 1e-6
    num = np.array([(f(w + eps * e)[0] - f(w - eps * e)[0]) / (2 * eps)
                    for e in np.eye(w.size)])
    np.testing.assert_allclose(g, num, atol=1e-7)
    # the mini-batch gradient on all rows is the same as the dense one
    _, sg = obj.value_grad(w, np.arange(30), np.random.RandomState(5))
    dense = np.zeros(w.size)
    dense[sg.idx] = sg.values
    np.testing.assert_allclose(dense, g, atol=1e-12)


@pytest.mark.parametrize("solver", ["sgd", "adam", "adagrad", "momentum"])
@pytest.mark.parametrize("n_fields", [2, 3])
def test_kernel_matches_minibatch_path(solver, n_fields, monkeypatch):
    X, y = ratings(n=200)
    if n_fields == 3:
        X = np.column_stack([X, np.arange(200) % 4])
    params = dict(n_components=4, solver=solver, batch_size=1, shuffle=False, max_iter=3,
                  learning_rate_init=0.01, alpha=0.05, random_state=0)
    a = MatrixFactorization(**params).fit(X, y)
    monkeypatch.setattr(MFObjective, "sample_kernels", frozenset())
    b = MatrixFactorization(**params).fit(X, y)
    np.testing.assert_allclose(a.user_factors_, b.user_factors_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.item_biases_, b.item_biases_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("k", [5, 13])
def test_inline_sgd_matches_compiled_rule(monkeypatch, k):
    # k=13: the vectorised part (8) and the tail loop; the inlined kernel updates the
    # row norms of the reported loss and gradient norm in closed form
    X, y = ratings()
    params = dict(n_components=k, max_iter=4, random_state=0, max_grad_norm=1.0)
    a = MatrixFactorization(**params).fit(X, y)
    monkeypatch.setattr(MFObjective, "inline_sgd", False)
    b = MatrixFactorization(**params).fit(X, y)
    np.testing.assert_allclose(a.user_factors_, b.user_factors_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.user_biases_, b.user_biases_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.history_[-1]["grad_norm"], b.history_[-1]["grad_norm"],
                               rtol=1e-9)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-9)


@pytest.mark.parametrize("offset", [0, 10**12])
def test_integer_id_encoder(offset):
    # small-range integer ids use a lookup table, others a sort: same mapping
    from skgd.recommender._ids import FieldEncoder

    ids = np.array([10, -3, 10, 7]) * (1 if offset == 0 else offset)
    enc = FieldEncoder(ids)
    np.testing.assert_array_equal(enc.classes_, np.sort(np.unique(ids)))
    query = np.array([7, 11, -100, 10, -3]) * (1 if offset == 0 else offset)
    np.testing.assert_array_equal(enc.transform(query), [1, -1, -1, 2, 0])
    np.testing.assert_array_equal(enc.extend(np.array([5, 7]) * max(offset, 1)), [3, 1])
    np.testing.assert_array_equal(enc.transform(query), [1, -1, -1, 2, 0])


# --------------------------------------------------------------- Surprise correspondence
def reference_svd(X, y, k, n_epochs, lr, reg, seed):
    """Surprise's ``SVD.sgd`` written out (bu, bi, then pu, qi from the old values)."""
    rng = np.random.RandomState(seed)
    n_u, n_i = X[:, 0].max() + 1, X[:, 1].max() + 1
    bu, bi = np.zeros(n_u), np.zeros(n_i)
    pu, qi = rng.normal(0, 0.1, (n_u, k)), rng.normal(0, 0.1, (n_i, k))
    mu = y.mean()
    for _ in range(n_epochs):
        for (u, i), r in zip(X, y, strict=True):
            err = r - (mu + bu[u] + bi[i] + qi[i] @ pu[u])
            bu[u] += lr * (err - reg * bu[u])
            bi[i] += lr * (err - reg * bi[i])
            pu[u], qi[i] = (pu[u] + lr * (err * qi[i] - reg * pu[u]),
                            qi[i] + lr * (err * pu[u] - reg * qi[i]))
    return bu, bi, pu, qi


def surprise_mf(k, e, lr, reg, **kw):
    return MatrixFactorization(n_components=k, max_iter=e, learning_rate_init=lr, alpha=reg,
                               solver="sgd", batch_size=1, shuffle=False, random_state=0,
                               **kw)


def test_same_parameters_as_surprise_update():
    X, y = surprise_order_data()
    mf = surprise_mf(4, 5, 0.01, 0.05).fit(X, y)
    bu, bi, pu, qi = reference_svd(X, y, 4, 5, 0.01, 0.05, seed=0)
    np.testing.assert_allclose(mf.user_biases_, bu, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.item_biases_, bi, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.user_factors_, pu, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.item_factors_, qi, rtol=1e-9, atol=1e-12)


def test_same_parameters_as_surprise_svd():
    surprise = pytest.importorskip("surprise")
    pd = pytest.importorskip("pandas")
    X, y = surprise_order_data(seed=1)
    df = pd.DataFrame({"u": X[:, 0], "i": X[:, 1], "r": y})
    data = surprise.Dataset.load_from_df(df, surprise.Reader(rating_scale=(1, 5)))
    algo = surprise.SVD(n_factors=6, n_epochs=4, lr_all=0.02, reg_all=0.03, random_state=0)
    algo.fit(data.build_full_trainset())
    mf = surprise_mf(6, 4, 0.02, 0.03).fit(X, y)
    np.testing.assert_allclose(mf.user_factors_, algo.pu, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.item_factors_, algo.qi, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.item_biases_, algo.bi, rtol=1e-9, atol=1e-12)
    pred = [algo.predict(u, i).est for u, i in X]  # Surprise clips to the rating scale
    np.testing.assert_allclose(mf.predict(X), pred, rtol=1e-9)


# -------------------------------------------------------------------------- ids
def test_string_ids_dataframe_and_unseen():
    pd = pytest.importorskip("pandas")
    X, y = ratings()
    df = pd.DataFrame({"user": [f"u{v}" for v in X[:, 0]], "item": X[:, 1]})
    mf = MatrixFactorization(n_components=4, max_iter=5, random_state=0).fit(df, y)
    assert mf.user_ids_.dtype == object and set(mf.user_ids_) == set(df["user"])
    np.testing.assert_array_equal(mf.item_ids_, np.unique(X[:, 1]))
    assert list(mf.feature_names_in_) == ["user", "item"]
    new = pd.DataFrame({"user": ["u0", "nobody", "nobody"], "item": [10**6, 3, 10**6]})
    pred = mf.predict(new)
    assert np.all(np.isfinite(pred))
    j = list(mf.item_ids_).index(3)
    assert pred[1] == pytest.approx(mf.global_mean_ + mf.item_biases_[j])
    u0 = list(mf.user_ids_).index("u0")
    assert pred[0] == pytest.approx(mf.global_mean_ + mf.user_biases_[u0])
    assert pred[2] == pytest.approx(mf.global_mean_)


def test_mixed_type_ids_and_numpy_strings():
    X = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["c", "x"]])
    mf = MatrixFactorization(n_components=2, max_iter=3, random_state=0).fit(X, [1, 2, 3, 4])
    Xo = np.array([["a", 1], [2, "x"]], dtype=object)
    assert np.all(np.isfinite(mf.predict(Xo)))


@pytest.mark.parametrize("bad", [np.nan, None, np.inf])
def test_missing_ids_and_ratings_raise(bad):
    X, y = ratings(n=60)
    Xb = X.astype(object)
    Xb[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|inf"):
        MatrixFactorization(max_iter=1).fit(Xb, y)
    mf = MatrixFactorization(n_components=2, max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="NaN|inf"):
        mf.predict(Xb)
    if bad is not None:
        yb = y.copy()
        yb[2] = bad
        with pytest.raises(ValueError, match="NaN|inf"):
            MatrixFactorization(max_iter=1).fit(X, yb)


def test_one_column_is_an_error():
    with pytest.raises(ValueError, match="1 feature"):
        MatrixFactorization().fit(np.arange(10)[:, None], np.ones(10))


# ----------------------------------------------------------------- recommend / similar
def tiny_model():
    """Hand-set model: mu=0, no biases, 1 factor: users (1, -1), items (3, 2, 1, -1)."""
    X = np.array([["ann", "a"], ["ann", "b"], ["bob", "c"], ["bob", "d"]], dtype=object)
    mf = MatrixFactorization(n_components=1, max_iter=1, biases=False, global_bias=None,
                             learning_rate_init=1e-12, init_std=0.0, clip=False)
    mf.fit(X, np.zeros(4))
    w = mf._solver_state.w
    w[mf._fac_off[0]:mf._fac_off[0] + 2] = [1.0, -1.0]
    w[mf._fac_off[1]:mf._fac_off[1] + 4] = [3.0, 2.0, 1.0, -1.0]
    mf._store_params(mf._objective(mf._codes(X), np.zeros(4), np.ones(4), np.float64, 0))
    return mf


def test_recommend_on_hand_made_model():
    mf = tiny_model()
    items, scores = mf.recommend(["ann", "bob"], n=2, exclude_seen=False)
    np.testing.assert_array_equal(items, [["a", "b"], ["d", "c"]])
    np.testing.assert_allclose(scores, [[3, 2], [1, -1]])
    items, scores = mf.recommend(["ann", "bob"], n=2)
    np.testing.assert_array_equal(items, [["c", "d"], ["b", "a"]])
    np.testing.assert_allclose(scores, [[1, -1], [-2, -3]])
    # candidate subset, padding with -inf when fewer candidates remain
    items, scores = mf.recommend(["ann"], n=3, items=["a", "c"])
    assert items[0, 0] == "c" and scores[0, 0] == 1 and np.isneginf(scores[0, 1])
    # unknown user: scores are the item parts only (here 0)
    _, scores = mf.recommend(["zoe"], n=4)
    np.testing.assert_allclose(scores, 0.0)
    # recommend agrees with predict
    Xall = np.array([[u, i] for u in ["ann", "bob"] for i in "abcd"], dtype=object)
    pred = mf.predict(Xall).reshape(2, 4)
    items, scores = mf.recommend(["ann", "bob"], n=4, exclude_seen=False)
    np.testing.assert_allclose(scores, -np.sort(-pred, axis=1))


def test_similar_items_cosine():
    mf = tiny_model()
    items, scores = mf.similar_items(["a", "d"], n=3)
    # 1-d factors: cosine is +1 for same sign, -1 otherwise
    assert set(items[0, :2]) == {"b", "c"} and items[0, 2] == "d"
    np.testing.assert_allclose(scores[0], [1, 1, -1])
    np.testing.assert_allclose(scores[1], [-1, -1, -1])
    with pytest.raises(ValueError, match="unknown"):
        mf.similar_items(["nope"])


def test_recommend_all_users_vectorised():
    X, y = ratings(n_users=50, n_items=60, n=800)
    mf = MatrixFactorization(n_components=5, max_iter=5, random_state=0).fit(X, y)
    users = np.arange(50)
    items, scores = mf.recommend(users, n=7)
    assert items.shape == scores.shape == (50, 7)
    assert np.all(np.diff(scores, axis=1) <= 0)
    seen = {(u, i) for u, i in X}
    assert not any((u, i) in seen for u in users for i in items[u])
    pred = mf.predict(np.column_stack([np.repeat(users, 7), items.ravel()]))
    # recommend's scores are the unclipped model outputs
    inside = (pred > mf._y_range[0]) & (pred < mf._y_range[1])
    np.testing.assert_allclose(pred[inside], scores.ravel()[inside], rtol=1e-10)


def test_side_fields_are_attributes():
    rng = np.random.RandomState(0)
    X, y = ratings(n_users=20, n_items=25, n=400)
    age = (X[:, 0] % 3).astype(str)  # a user attribute
    genre = X[:, 1] % 4  # an item attribute
    Xa = np.empty((400, 4), dtype=object)
    Xa[:, 0], Xa[:, 1], Xa[:, 2], Xa[:, 3] = X[:, 0], X[:, 1], age, genre
    mf = MatrixFactorization(n_components=3, max_iter=5, random_state=0, clip=False)
    mf.fit(Xa, y + 0.01 * rng.randn(400))
    assert mf._user_side == [0, 2] and mf._item_side == [1, 3]
    items, scores = mf.recommend([0, 1], n=25, exclude_seen=False)
    rows = np.array([[u, i, str(u % 3), i % 4] for u in (0, 1) for i in items[u]],
                    dtype=object)
    np.testing.assert_allclose(mf.predict(rows), scores.ravel(), rtol=1e-10)


# ------------------------------------------------------------------------ implicit
def implicit_data(seed=0):
    """Two user groups that each interact with their own half of the items."""
    rng = np.random.RandomState(seed)
    users = np.repeat(np.arange(40), 8)
    items = np.where(users < 20, rng.randint(0, 30, users.size),
                     rng.randint(30, 60, users.size))
    return np.column_stack([users, items])


@pytest.mark.parametrize("loss", ["bpr", "logistic"])
@pytest.mark.parametrize("batch_size", [1, 16])
def test_implicit_losses_learn_the_groups(loss, batch_size):
    X = implicit_data()
    mf = MatrixFactorization(n_components=8, loss=loss, max_iter=30, batch_size=batch_size,
                             solver="adam", learning_rate_init=0.05, alpha=0.001,
                             random_state=0).fit(X)
    items, _ = mf.recommend(np.arange(40), n=5)
    own = np.where(np.arange(40)[:, None] < 20, items < 30, items >= 30)
    assert own.mean() > 0.7  # chance: 0.5; 0.74-0.94 over seeds (logistic the lower)
    assert mf.loss_curve_[-1] < mf.loss_curve_[0]


def test_implicit_is_deterministic():
    X = implicit_data()
    a = MatrixFactorization(n_components=4, loss="bpr", max_iter=3, random_state=1).fit(X)
    b = MatrixFactorization(n_components=4, loss="bpr", max_iter=3, random_state=1).fit(X)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)


# ----------------------------------------------------------------- partial fit / warm
def test_partial_fit_k_times_equals_fit():
    X, y = ratings()
    a = MatrixFactorization(n_components=3, max_iter=3, random_state=0).fit(X, y)
    b = MatrixFactorization(n_components=3, max_iter=3, random_state=0)
    for _ in range(3):
        b.partial_fit(X, y)
    np.testing.assert_allclose(a.user_factors_, b.user_factors_, rtol=1e-10)
    assert b.n_iter_ == 3


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_folds_in_new_users_and_items(solver):
    X, y = ratings()
    mf = MatrixFactorization(n_components=3, max_iter=5, solver=solver, random_state=0)
    mf.fit(X, y)
    old_items = mf.item_factors_.copy()
    old_users = mf.user_factors_.copy()
    Xn = np.array([[1000, 0], [1000, 1], [1001, 5000], [0, 5000]])
    mf.partial_fit(Xn, [5.0, 4.0, 1.0, 2.0])
    assert list(mf.user_ids_[-2:]) == [1000, 1001] and mf.item_ids_[-1] == 5000
    # ids not in the new batch keep their parameters
    np.testing.assert_array_equal(mf.item_factors_[2:-1], old_items[2:])
    np.testing.assert_array_equal(mf.user_factors_[1:-2], old_users[1:])
    assert np.all(np.isfinite(mf.predict(Xn)))
    assert mf._seen.shape == (32, 41)
    items, _ = mf.recommend([1000], n=3)
    assert 0 not in items[0] and 1 not in items[0]


def test_warm_start_continues():
    X, y = ratings()
    mf = MatrixFactorization(n_components=3, max_iter=2, warm_start=True, random_state=0)
    mf.fit(X, y).fit(X, y)
    ref = MatrixFactorization(n_components=3, max_iter=4, random_state=0).fit(X, y)
    assert mf.n_iter_ == 4
    np.testing.assert_allclose(mf.loss_curve_[-1], ref.loss_curve_[-1], rtol=0.05)


# ----------------------------------------------------------------------- misc options
def test_early_stopping_and_validation_curve():
    X, y = ratings(n=1000)
    mf = MatrixFactorization(n_components=3, max_iter=30, early_stopping=True, tol=1e-4,
                             n_iter_no_change=3, random_state=0).fit(X, y)
    assert mf.validation_scores_ is not None and len(mf.validation_scores_) == mf.n_iter_
    assert all(s <= 0 for s in mf.validation_scores_)  # minus the RMSE


def test_float32_and_sample_weight_and_solvers():
    X, y = ratings()
    mf = MatrixFactorization(n_components=3, max_iter=3, random_state=0)
    mf.fit(X, y.astype(np.float32), sample_weight=np.full(y.size, 2.0))
    assert mf.user_factors_.dtype == np.float32
    for solver, bs in [("lbfgs", 1), ("rmsprop", 32), ("nadam", "full")]:
        m = MatrixFactorization(n_components=3, max_iter=5, solver=solver, batch_size=bs,
                                random_state=0).fit(X, y)
        assert np.all(np.isfinite(m.predict(X)))
    with pytest.raises(ValueError, match="newton"):
        MatrixFactorization(solver="newton").fit(X, y)


def test_full_batch_integer_weights_equal_repeats():
    X, y = ratings(n=100)
    sw = np.random.RandomState(0).randint(0, 3, 100)
    params = dict(n_components=3, batch_size="full", max_iter=20, random_state=0,
                  learning_rate_init=0.1)
    a = MatrixFactorization(**params).fit(X, y, sample_weight=sw)
    b = MatrixFactorization(**params).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-9)


def test_pickle_roundtrip():
    X, y = ratings()
    mf = MatrixFactorization(n_components=3, max_iter=2, random_state=0).fit(X, y)
    mf2 = pickle.loads(pickle.dumps(mf))
    np.testing.assert_array_equal(mf.predict(X), mf2.predict(X))
    np.testing.assert_array_equal(mf.recommend([0, 1])[0], mf2.recommend([0, 1])[0])


def test_grid_search_and_cross_validate_parallel():
    X, y = ratings(n=900)
    est = MatrixFactorization(n_components=3, max_iter=5, random_state=0)
    gs = GridSearchCV(est, {"alpha": [0.01, 0.1]}, cv=KFold(3, shuffle=True, random_state=0),
                      scoring="neg_root_mean_squared_error", n_jobs=2).fit(X, y)
    assert np.all(np.isfinite(gs.cv_results_["mean_test_score"]))
    gs = GridSearchCV(est, {"n_components": [2, 4]}, cv=3, n_jobs=2,
                      scoring=make_ranking_scorer("ndcg", k=5, threshold=3)).fit(X, y)
    assert 0 <= gs.best_score_ <= 1
    cv = cross_validate(est, X, y, cv=3, n_jobs=2,
                        scoring={"rmse": "neg_root_mean_squared_error",
                                 "p@5": make_ranking_scorer("precision", k=5)})
    assert np.all(np.isfinite(cv["test_rmse"])) and np.all(cv["test_p@5"] >= 0)


# ------------------------------------------------------------------- check_estimator
@pytest.mark.parametrize("est, expected", [
    (MatrixFactorization(), SGD_ONLY),
    (MatrixFactorization(solver="adam", batch_size=4, max_iter=10), SGD_ONLY),
    (MatrixFactorization(solver="adam", batch_size="full", max_iter=30), []),
    (MatrixFactorization(solver="lbfgs", max_iter=50), []),
])
def test_check_estimator(est, expected):
    failed = {c: "stochastic fit (see DESIGN 1.1)" for c in expected}
    check_estimator(est, expected_failed_checks=failed)


# ---------------------------------------------------------------------- MovieLens u1
def test_movielens_u1_rmse(shared_data):
    from skgd.datasets import load_movielens

    try:
        ml = load_movielens(data_home=shared_data)
    except FileNotFoundError:
        pytest.skip("ml-100k not in the shared data")
    Xtr, ytr, Xte, yte = ml.folds[0]
    mf = MatrixFactorization(random_state=0).fit(Xtr, ytr)
    rmse = np.sqrt(np.mean((mf.predict(Xte) - yte) ** 2))
    assert rmse < 0.935
