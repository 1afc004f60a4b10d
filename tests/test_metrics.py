"""Ranking metrics against hand-computed values, and the scorers."""

import numpy as np
import pytest

from skgd.metrics import make_ranking_scorer, map_at_k, ndcg_at_k, precision_at_k, recall_at_k

TRUE = [{1, 2, 3}, {"x"}, set()]  # the third user has no relevant item: skipped
PRED = [[1, 9, 3, 8], ["y", "z", "x", "w"], [5, 6, 7, 8]]


def test_precision_recall_hand_computed():
    assert precision_at_k(TRUE, PRED, k=4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    assert recall_at_k(TRUE, PRED, k=4) == pytest.approx((2 / 3 + 1) / 2)
    assert precision_at_k(TRUE, PRED, k=1) == pytest.approx((1 + 0) / 2)


def test_ndcg_hand_computed():
    d = 1 / np.log2(np.arange(2, 6))
    u1 = (d[0] + d[2]) / (d[0] + d[1] + d[2])
    u2 = d[2] / d[0]
    assert ndcg_at_k(TRUE, PRED, k=4) == pytest.approx((u1 + u2) / 2)
    assert ndcg_at_k([{1, 2}], [[1, 2, 3]], k=3) == pytest.approx(1.0)


def test_map_hand_computed():
    u1 = (1 / 1 + 2 / 3) / 3
    u2 = (1 / 3) / 1
    assert map_at_k(TRUE, PRED, k=4) == pytest.approx((u1 + u2) / 2)


def test_errors_and_empty():
    with pytest.raises(ValueError, match="k must"):
        precision_at_k(TRUE, PRED, k=0)
    with pytest.raises(ValueError, match="users"):
        precision_at_k(TRUE, PRED[:2])
    assert precision_at_k([set()], [[1]]) == 0.0
    with pytest.raises(ValueError, match="Unknown"):
        make_ranking_scorer("auc")


class Fixed:
    """An estimator stub whose recommendations are fixed."""

    def recommend(self, users, n=10, exclude_seen=True):
        table = {"a": [1, 2, 3], "b": [4, 5, 6]}
        return np.array([table[u][:n] for u in users]), None


def test_scorer_groups_by_user_and_threshold():
    X = np.array([["a", 1], ["a", 3], ["a", 7], ["b", 9]], dtype=object)
    y = np.array([5, 2, 4, 5])
    s = make_ranking_scorer("precision", k=3)
    assert s(Fixed(), X, y) == pytest.approx((2 / 3 + 0) / 2)
    s = make_ranking_scorer("recall", k=3, threshold=4)
    assert s(Fixed(), X, y) == pytest.approx((1 / 2 + 0) / 2)
    assert "precision" in repr(make_ranking_scorer())
