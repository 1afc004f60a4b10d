"""Federated MatrixFactorization: item factors averaged, user factors on their client."""

import warnings

import numpy as np
import pytest

from skgd.federated import FederatedAveraging
from skgd.recommender import MatrixFactorization

from ._data import small_ratings


def _mf(**kw):
    return MatrixFactorization(8, learning_rate_init=0.02, random_state=0, **kw)


def _rmse(model, X, y):
    return float(np.sqrt(np.mean((model.predict(X) - y) ** 2)))


def test_federated_mf_learns():
    X, y = small_ratings()
    groups = X[:, 0] % 6  # each client: 10 users
    fed = FederatedAveraging(_mf(), n_rounds=20, local_epochs=2, random_state=0)
    fed.fit(X, y, groups=groups)
    losses = [h["train_loss"] for h in fed.history_]
    assert losses[-1] < 0.6 * losses[0]
    start = FederatedAveraging(_mf(), n_rounds=1, random_state=0).fit(X, y, groups=groups)
    assert _rmse(fed, X, y) < 0.8 * _rmse(start, X, y)
    assert fed.estimator_.item_factors_.shape == (40, 8)


def test_user_factors_stay_on_their_client():
    """A round changes only the users of its clients; the item rows it changes are
    those of items these clients rated."""
    X, y = small_ratings()
    groups = X[:, 0] % 6
    one = FederatedAveraging(_mf(), n_rounds=1, client_fraction=0.5, random_state=1)
    two = FederatedAveraging(_mf(), n_rounds=2, client_fraction=0.5, random_state=1)
    one.fit(X, y, groups=groups)
    two.fit(X, y, groups=groups)
    chosen = two.history_[1]["clients"]
    assert one.history_[0]["clients"] == two.history_[0]["clients"]
    users = one.estimator_.user_ids_
    moved = np.any(one.estimator_.user_factors_ != two.estimator_.user_factors_, axis=1)
    np.testing.assert_array_equal(moved, np.isin(users % 6, chosen))
    rated = np.unique(X[np.isin(groups, chosen), 1])
    items_moved = np.any(one.estimator_.item_factors_ != two.estimator_.item_factors_,
                         axis=1)
    np.testing.assert_array_equal(items_moved,
                                  np.isin(one.estimator_.item_ids_, rated))


def test_an_item_rated_by_one_client_takes_its_update():
    """Per-row weights: an item only one client rated takes that client's factors
    whatever the aggregation (a client-level weight would dilute it with the other
    client's untouched copy); an item both rated depends on the weights."""
    X, y = small_ratings()
    X = np.vstack([X, [[0, 99], [2, 99]]])  # item 99: rated by client 0 only
    y = np.r_[y, 5.0, 4.0]
    groups = np.where(X[:, 0] < 45, 0, 1)  # unequal clients
    models = [FederatedAveraging(_mf(), n_rounds=1, aggregate=a, random_state=0)
              .fit(X, y, groups=groups).estimator_ for a in ("weighted", "uniform")]
    ids = list(models[0].item_ids_)
    j = ids.index(99)
    np.testing.assert_array_equal(models[0].item_factors_[j], models[1].item_factors_[j])
    both = [i for i in np.unique(X[:, 1]) if np.unique(groups[X[:, 1] == i]).size == 2]
    k = ids.index(both[0])
    assert np.all(models[0].item_factors_[k] != models[1].item_factors_[k])


def test_proximal_term_reduces_item_drift():
    X, y = small_ratings()
    groups = X[:, 0] % 6
    drifts = []
    for mu in (0.0, 0.1, 1.0, 10.0):
        fed = FederatedAveraging(_mf(batch_size=16), n_rounds=3, proximal_mu=mu,
                                 random_state=0)
        fed.fit(X, y, groups=groups)
        drifts.append(np.mean([h["drift"] for h in fed.history_]))
    assert np.all(np.diff(drifts) < 0), drifts


def test_a_user_split_across_clients_is_refused():
    X, y = small_ratings()
    with pytest.raises(ValueError, match="each user must belong to one client"):
        FederatedAveraging(_mf(), n_rounds=1).fit(X, y, groups=np.arange(len(y)) % 3)


def test_svdpp_refuses_the_proximal_term():
    X, y = small_ratings()
    fed = FederatedAveraging(_mf(svdpp=True), n_rounds=1, proximal_mu=0.1)
    with pytest.raises(ValueError, match="proximal"):
        fed.fit(X, y, groups=X[:, 0] % 3)
    assert not hasattr(fed, "estimator_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fed.set_params(proximal_mu=0.0).fit(X, y, groups=X[:, 0] % 3)
    assert np.isfinite(fed.history_[-1]["train_loss"])


def test_float32_and_sample_weight():
    X, y = small_ratings()
    sw = 1.0 + (np.arange(len(y)) % 2)
    fed = FederatedAveraging(_mf(), n_rounds=2, random_state=0)
    fed.fit(X, y.astype(np.float32), groups=X[:, 0] % 4, sample_weight=sw)
    assert fed.estimator_.item_factors_.dtype == np.float32
    assert np.all(np.isfinite(fed.estimator_.item_factors_))
