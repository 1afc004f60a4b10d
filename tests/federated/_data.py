"""Non-IID splits for the federated tests."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def label_skew(y, n_clients: int, shards_per_client: int = 2, seed: int = 0):
    """McMahan et al.'s pathological split: rows sorted by label, cut into
    ``n_clients * shards_per_client`` shards, each client given random shards."""
    order = np.argsort(y, kind="stable")
    shards = np.array_split(order, n_clients * shards_per_client)
    perm = np.random.RandomState(seed).permutation(len(shards))
    groups = np.empty(len(y), dtype=np.int64)
    for c in range(n_clients):
        for s in perm[c * shards_per_client:(c + 1) * shards_per_client]:
            groups[shards[s]] = c
    return groups


def digits_split():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16, y, test_size=0.3, random_state=0,
                                          stratify=y)
    return Xtr, Xte, ytr, yte, label_skew(ytr, 8)


def small_ratings(n_users=60, n_items=40, density=0.3, seed=0):
    """Low-rank ratings on a 1-5 scale, one row per (user, item)."""
    rng = np.random.RandomState(seed)
    U, V = rng.normal(size=(n_users, 3)), rng.normal(size=(n_items, 3))
    pairs = np.array([(u, i) for u in range(n_users) for i in range(n_items)
                      if rng.rand() < density])
    y = np.clip(3 + (U[pairs[:, 0]] * V[pairs[:, 1]]).sum(1), 1, 5)
    return pairs, y
