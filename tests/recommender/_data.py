"""Synthetic ratings shared by the recommender tests."""

import numpy as np


def ratings(n_users=30, n_items=40, n=600, k=3, seed=0, noise=0.1):
    """Synthetic ratings from a rank-k model (every user and item appears)."""
    rng = np.random.RandomState(seed)
    P, Q = rng.normal(size=(n_users, k)), rng.normal(size=(n_items, k))
    u = np.concatenate([np.arange(n_users), rng.randint(0, n_users, n - n_users)])
    i = np.concatenate([np.arange(n_items), rng.randint(0, n_items, n - n_items)])[:n]
    y = 3 + 0.5 * np.sum(P[u] * Q[i], axis=1) + noise * rng.normal(size=n)
    return np.stack([u, i], axis=1), y


def surprise_order_data(seed=0):
    """Rows grouped by user (users and items numbered in order of first appearance), so
    Surprise's inner ids equal our sorted indices and its iteration order is the row
    order."""
    X, y = ratings(n_users=12, n_items=15, n=120, seed=seed)
    order = np.argsort(X[:, 0], kind="stable")
    X, y = X[order], y[order]
    _, first = np.unique(X[:, 1], return_index=True)
    relabel = np.empty(first.size, dtype=np.int64)
    relabel[np.argsort(first)] = np.arange(first.size)
    X[:, 1] = relabel[X[:, 1]]
    return X, np.clip(np.round(y), 1, 5)
