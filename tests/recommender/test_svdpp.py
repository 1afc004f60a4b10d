"""MatrixFactorization(svdpp=True): the SVD++ epoch against a direct implementation and
Surprise's SVDpp, its loss, options and errors."""

import numpy as np
import pytest

from skgd.recommender import MatrixFactorization

from ._data import ratings, surprise_order_data


def unique_pairs(X, y):
    """First rating of each (user, item) pair, in row order (N(u) is a set of items)."""
    _, first = np.unique(X, axis=0, return_index=True)
    keep = np.sort(first)
    return X[keep], y[keep]


def reference_svdpp(X, y, sw, k, n_epochs, lr, alpha, alpha_b, alpha_y, max_norm, seed):
    """SVD++ by per-interaction SGD written out: every y_j, j in N(u), moves at every
    interaction of u (O(|N(u)| k)); rows user by user in order of first appearance;
    gradients at the old values, scaled by the weight, clipped to ``max_norm``."""
    rng = np.random.RandomState(seed)
    n_u, n_i = X[:, 0].max() + 1, X[:, 1].max() + 1
    P, Q, Y = (rng.normal(0, 0.1, (n, k)) for n in (n_u, n_i, n_i))
    bu, bi = np.zeros(n_u), np.zeros(n_i)
    mu = np.average(y, weights=sw)
    sw = sw / sw.mean()
    N = {u: np.unique(X[X[:, 0] == u, 1]) for u in range(n_u)}
    _, first = np.unique(X[:, 0], return_index=True)
    rank = np.argsort(np.argsort(first))
    order = np.argsort(rank[X[:, 0]], kind="stable")
    losses, norms = [], []
    for _ in range(n_epochs):
        loss = norm_sum = 0.0
        for r in order:
            (u, i), s, Nu = X[r], 1 / np.sqrt(N[X[r, 0]].size), N[X[r, 0]]
            z = s * Y[Nu].sum(axis=0)
            e = mu + bu[u] + bi[i] + Q[i] @ (P[u] + z) - y[r]
            grads = [e + alpha_b * bu[u], e + alpha_b * bi[i], e * Q[i] + alpha * P[u],
                     e * (P[u] + z) + alpha * Q[i], e * s * Q[i] + alpha_y * Y[Nu]]
            grads = [sw[r] * g for g in grads]
            norm = np.sqrt(sum(np.sum(g * g) for g in grads))
            c = lr * (max_norm / norm if norm > max_norm else 1.0)
            loss += sw[r] * (0.5 * e * e + 0.5 * (
                alpha * (P[u] @ P[u] + Q[i] @ Q[i]) + alpha_b * (bu[u] ** 2 + bi[i] ** 2)
                + alpha_y * np.sum(Y[Nu] ** 2)))
            norm_sum += norm
            bu[u] -= c * grads[0]
            bi[i] -= c * grads[1]
            P[u] -= c * grads[2]
            Q[i] -= c * grads[3]
            Y[Nu] -= c * grads[4]
        losses.append(loss / len(y))
        norms.append(norm_sum / len(y))
    return bu, bi, P, Q, Y, losses, norms


@pytest.mark.parametrize("max_norm", [100.0, 0.5])
def test_svdpp_epoch_matches_direct_sgd(max_norm):
    # rows not grouped by user (the epoch regroups them); weights; clipping active at 0.5
    X, y = ratings(n_users=8, n_items=10, n=70, seed=3)
    X, y = unique_pairs(X, y)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, y.size)
    mf = MatrixFactorization(4, svdpp=True, alpha=0.05, alpha_bias=0.02, alpha_svdpp=0.03,
                             learning_rate_init=0.02, max_iter=3, shuffle=False,
                             max_grad_norm=max_norm, random_state=0)
    mf.fit(X, y, sample_weight=sw)
    bu, bi, P, Q, Y, losses, norms = reference_svdpp(X, y, sw, 4, 3, 0.02, 0.05, 0.02, 0.03,
                                                    max_norm, seed=0)
    np.testing.assert_allclose(mf.user_biases_, bu, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.item_biases_, bi, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.item_factors_, Q, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.svdpp_factors_, Y, rtol=1e-9, atol=1e-12)
    # user_factors_ are the effective ones, p_u + |N(u)|^-1/2 sum_j y_j
    z = np.array([Y[np.unique(X[X[:, 0] == u, 1])].mean(axis=0)
                  * np.sqrt(np.unique(X[X[:, 0] == u, 1]).size) for u in range(P.shape[0])])
    np.testing.assert_allclose(mf.user_factors_, P + z, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.loss_curve_, losses, rtol=1e-9)
    np.testing.assert_allclose([h["grad_norm"] for h in mf.history_], norms, rtol=1e-9)
    pred = mf.global_mean_ + bu[X[:, 0]] + bi[X[:, 1]] + np.sum((P + z)[X[:, 0]] * Q[X[:, 1]], 1)
    np.testing.assert_allclose(mf.predict(X), np.clip(pred, y.min(), y.max()), rtol=1e-9)


def test_svdpp_objective_value_is_the_per_interaction_loss():
    X, y = unique_pairs(*ratings(n_users=8, n_items=10, n=70, seed=3))
    mf = MatrixFactorization(4, svdpp=True, alpha=0.05, alpha_svdpp=0.03, max_iter=2,
                             random_state=0).fit(X, y)
    obj = mf._objective(mf._codes(X), y, np.ones(y.size), np.float64, seed=0)
    w = mf._solver_state.w
    # one more epoch at a vanishing step: its loss, measured along the epoch, is value(w)
    mf.set_params(learning_rate_init=1e-14, warm_start=True, max_iter=1).fit(X, y)
    assert obj.value(w) == pytest.approx(mf.loss_curve_[-1], rel=1e-9)


def test_svdpp_same_as_surprise():
    surprise = pytest.importorskip("surprise")
    pd = pytest.importorskip("pandas")
    X, y = unique_pairs(*surprise_order_data(seed=1))
    df = pd.DataFrame({"u": X[:, 0], "i": X[:, 1], "r": y})
    data = surprise.Dataset.load_from_df(df, surprise.Reader(rating_scale=(1, 5)))
    trainset = data.build_full_trainset()
    algo = surprise.SVDpp(n_factors=6, n_epochs=4, lr_all=0.02, reg_all=0.03,
                          random_state=0).fit(trainset)
    mf = MatrixFactorization(6, svdpp=True, max_iter=4, learning_rate_init=0.02, alpha=0.03,
                             shuffle=False, random_state=0).fit(X, y)
    iu = [trainset.to_inner_uid(u) for u in mf.user_ids_]
    ii = [trainset.to_inner_iid(i) for i in mf.item_ids_]
    np.testing.assert_allclose(mf.user_biases_, algo.bu[iu], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.item_factors_, algo.qi[ii], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.svdpp_factors_, algo.yj[ii], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mf.predict(X), [algo.predict(u, i).est for u, i in X],
                               rtol=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_svdpp_partial_fit_recommend_and_validation():
    X, y = ratings()
    mf = MatrixFactorization(3, svdpp=True, max_iter=3, random_state=0).fit(X, y)
    Xn = np.array([[1000, 0], [1000, 1], [0, 5000]])
    mf.partial_fit(Xn, [5.0, 4.0, 2.0])
    assert mf.svdpp_factors_.shape == (41, 3) and mf.user_factors_.shape == (31, 3)
    assert np.all(np.isfinite(mf.predict(Xn)))
    items, scores = mf.recommend([1000, 0], n=3)
    assert 0 not in items[0] and np.all(np.isfinite(scores))
    # recommend scores are the predictions (without clipping)
    est = MatrixFactorization(3, svdpp=True, max_iter=3, clip=False, random_state=0).fit(X, y)
    items, scores = est.recommend([0], n=2)
    np.testing.assert_allclose(est.predict(np.array([[0, items[0, 0]], [0, items[0, 1]]])),
                               scores[0], rtol=1e-9)
    es = MatrixFactorization(3, svdpp=True, max_iter=20, early_stopping=True, tol=1e-4,
                             random_state=0).fit(*ratings(n=1000))
    assert es.validation_scores_ is not None


@pytest.mark.parametrize("params, X", [
    (dict(solver="adam"), None),
    (dict(batch_size=16), None),
    (dict(loss="bpr"), None),
    (dict(), "three fields"),
])
def test_svdpp_unsupported_settings_raise(params, X):
    Xr, y = ratings(n=100)
    if X is not None:
        Xr = np.column_stack([Xr, np.arange(100) % 3])
    with pytest.raises(ValueError, match="svdpp"):
        MatrixFactorization(2, svdpp=True, max_iter=1, **params).fit(Xr, y)


def test_refit_without_svdpp_drops_its_factors():
    from skgd.recommender import MatrixFactorization

    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(0, 15, 300), rng.randint(0, 20, 300)])
    y = rng.randint(1, 6, 300).astype(float)
    mf = MatrixFactorization(n_components=3, svdpp=True, max_iter=2, random_state=0)
    assert hasattr(mf.fit(X, y), "svdpp_factors_")
    mf.set_params(svdpp=False)
    assert not hasattr(mf.fit(X, y), "svdpp_factors_")
