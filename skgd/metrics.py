r"""Ranking metrics for top-k recommendation, and scikit-learn scorers built on them.

Every metric takes, per user, the set of relevant (held-out) items and the ranked list
of recommended items, and averages over the users that have at least one relevant item.
With :math:`R_u` the relevant items of user :math:`u`, :math:`L_u` the top-:math:`k`
list and :math:`\mathrm{rel}_j = [L_{u,j} \in R_u]`:

- ``precision_at_k``: :math:`|L_u \cap R_u| / k`;
- ``recall_at_k``: :math:`|L_u \cap R_u| / |R_u|`;
- ``ndcg_at_k``: :math:`\mathrm{DCG}/\mathrm{IDCG}` with
  :math:`\mathrm{DCG} = \sum_{j=1}^k \mathrm{rel}_j / \log_2(j+1)` and the ideal DCG of
  :math:`\min(|R_u|, k)` hits at the top;
- ``map_at_k``: :math:`\frac{1}{\min(|R_u|,k)}\sum_{j=1}^k \mathrm{rel}_j\, P@j`.

:func:`make_ranking_scorer` turns one of them into a scorer
``scorer(estimator, X, y)`` for ``GridSearchCV(scoring=...)`` and ``cross_validate``:
the held-out interactions ``X`` (user, item, ...) with ``y`` are grouped by user, the
relevant items are those with ``y >= threshold`` (all rows when ``threshold`` is None
or ``y`` is None), and the estimator's ``recommend(users, n=k, exclude_seen=True)``
(which leaves out the user's training items) is compared with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k",
           "make_ranking_scorer", "RankingScorer"]


def _pairs(y_true: Sequence[Iterable], y_pred, k: int):
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} users but y_pred has {len(y_pred)}.")
    for rel, rec in zip(y_true, y_pred, strict=True):
        rel = set(np.asarray(list(rel), dtype=object).tolist()) if not isinstance(
            rel, set) else rel
        if not rel:
            continue
        rec = list(np.asarray(rec, dtype=object).tolist())[:k]
        hits = np.array([r in rel for r in rec], dtype=float)
        yield rel, hits


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def precision_at_k(y_true, y_pred, k: int = 10) -> float:
    """Mean fraction of the top-``k`` recommendations that are relevant.

    Parameters
    ----------
    y_true : sequence of iterables
        Relevant items of each user (users without any are skipped).
    y_pred : sequence of sequences or 2-d array
        Recommended items of each user, best first.
    k : int, default=10
        Length of the recommendation lists that count (>= 1).

    Returns
    -------
    score : float
        The share of relevant items in each top-``k`` list,
        averaged over the users with relevant items (0 if none).

    Examples
    --------
    >>> from skgd.metrics import precision_at_k
    >>> y_true = [{"a", "b"}, {"c"}]             # relevant items of two users
    >>> y_pred = [["a", "x", "b"], ["y", "z", "c"]]  # their top-3 lists
    >>> round(precision_at_k(y_true, y_pred, k=3), 4)
    0.5
    >>> round(precision_at_k(y_true, y_pred, k=1), 4)
    0.5
    """
    return _mean([h.sum() / k for _, h in _pairs(y_true, y_pred, k)])


def recall_at_k(y_true, y_pred, k: int = 10) -> float:
    """Mean fraction of each user's relevant items found in the top ``k``.

    Parameters
    ----------
    y_true : sequence of iterables
        Relevant items of each user (users without any are skipped).
    y_pred : sequence of sequences or 2-d array
        Recommended items of each user, best first.
    k : int, default=10
        Length of the recommendation lists that count (>= 1).

    Returns
    -------
    score : float
        The share of each user's relevant items that were recommended,
        averaged over the users with relevant items (0 if none).

    Examples
    --------
    >>> from skgd.metrics import recall_at_k
    >>> y_true = [{"a", "b"}, {"c"}]             # relevant items of two users
    >>> y_pred = [["a", "x", "b"], ["y", "z", "c"]]  # their top-3 lists
    >>> round(recall_at_k(y_true, y_pred, k=3), 4)
    1.0
    >>> round(recall_at_k(y_true, y_pred, k=1), 4)
    0.25
    """
    return _mean([h.sum() / len(rel) for rel, h in _pairs(y_true, y_pred, k)])


def ndcg_at_k(y_true, y_pred, k: int = 10) -> float:
    r"""Mean normalised discounted cumulative gain of the top ``k`` (binary relevance).

    Parameters
    ----------
    y_true : sequence of iterables
        Relevant items of each user (users without any are skipped).
    y_pred : sequence of sequences or 2-d array
        Recommended items of each user, best first.
    k : int, default=10
        Length of the recommendation lists that count (>= 1).

    Returns
    -------
    score : float
        :math:`\mathrm{DCG}/\mathrm{IDCG}` with the discount :math:`1/\log_2(j+1)` of
        rank :math:`j`,
        averaged over the users with relevant items (0 if none).

    Examples
    --------
    >>> from skgd.metrics import ndcg_at_k
    >>> y_true = [{"a", "b"}, {"c"}]             # relevant items of two users
    >>> y_pred = [["a", "x", "b"], ["y", "z", "c"]]  # their top-3 lists
    >>> round(ndcg_at_k(y_true, y_pred, k=3), 4)
    0.7099
    >>> round(ndcg_at_k(y_true, y_pred, k=1), 4)
    0.5
    """
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    out = []
    for rel, h in _pairs(y_true, y_pred, k):
        ideal = disc[:min(len(rel), k)].sum()
        out.append(float(h @ disc[:h.size]) / ideal)
    return _mean(out)


def map_at_k(y_true, y_pred, k: int = 10) -> float:
    r"""Mean average precision of the top ``k``.

    Parameters
    ----------
    y_true : sequence of iterables
        Relevant items of each user (users without any are skipped).
    y_pred : sequence of sequences or 2-d array
        Recommended items of each user, best first.
    k : int, default=10
        Length of the recommendation lists that count (>= 1).

    Returns
    -------
    score : float
        :math:`\frac{1}{\min(|R_u|,k)}\sum_j \mathrm{rel}_j\, P@j`,
        averaged over the users with relevant items (0 if none).

    Examples
    --------
    >>> from skgd.metrics import map_at_k
    >>> y_true = [{"a", "b"}, {"c"}]             # relevant items of two users
    >>> y_pred = [["a", "x", "b"], ["y", "z", "c"]]  # their top-3 lists
    >>> round(map_at_k(y_true, y_pred, k=3), 4)
    0.5833
    >>> round(map_at_k(y_true, y_pred, k=1), 4)
    0.5
    """
    out = []
    for rel, h in _pairs(y_true, y_pred, k):
        prec = np.cumsum(h) / np.arange(1, h.size + 1)
        out.append(float(prec @ h) / min(len(rel), k))
    return _mean(out)


_METRICS = {"precision": precision_at_k, "recall": recall_at_k, "ndcg": ndcg_at_k,
            "map": map_at_k}


class RankingScorer:
    """A scikit-learn scorer ``scorer(estimator, X, y)`` for a ranking metric.

    See :func:`make_ranking_scorer`. Picklable, so it works with ``n_jobs``.

    Parameters
    ----------
    metric : {"precision", "recall", "ndcg", "map"}, default="precision"
        The ranking metric (:func:`precision_at_k`, :func:`recall_at_k`,
        :func:`ndcg_at_k`, :func:`map_at_k`).
    k : int, default=10
        Length of the recommendation lists.
    threshold : float or None, default=None
        Held-out rows with ``y >= threshold`` are the relevant items; None: every row.
    exclude_seen : bool, default=True
        Passed to the estimator's ``recommend`` (leave out each user's training items).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.metrics import RankingScorer
    >>> from skgd.recommender import MatrixFactorization
    >>> train = np.array([[0, 0], [0, 1], [1, 1], [1, 2], [2, 0], [2, 2]])
    >>> mf = MatrixFactorization(4, loss="bpr", random_state=0).fit(train)
    >>> scorer = RankingScorer("recall", k=2)
    >>> test = np.array([[0, 2], [1, 0], [2, 1]])  # each user's one unseen item
    >>> scorer(mf, test)  # only one unseen item is left per user: always found
    1.0
    >>> scorer.relevant(test)
    ([0, 1, 2], [{2}, {0}, {1}])
    """

    def __init__(self, metric: str = "precision", k: int = 10,
                 threshold: float | None = None, exclude_seen: bool = True):
        if metric not in _METRICS:
            raise ValueError(f"Unknown ranking metric {metric!r}; choose one of "
                             f"{sorted(_METRICS)}")
        self.metric = metric
        self.k = int(k)
        self.threshold = threshold
        self.exclude_seen = exclude_seen

    def relevant(self, X, y=None):
        """Users of ``X`` (first column) and their relevant items (second column).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_interactions, n_fields)
            Held-out interactions: user ids, item ids, further fields.
        y : array-like of shape (n_interactions,) or None, default=None
            Their ratings; with ``threshold``, only rows with ``y >= threshold`` count.

        Returns
        -------
        users : list
            The users with at least one relevant item, in order of appearance.
        relevant : list of set
            Each user's relevant items.
        """
        X = np.asarray(X, dtype=object) if not hasattr(X, "iloc") else X.to_numpy(
            dtype=object)
        keep = np.ones(X.shape[0], dtype=bool)
        if self.threshold is not None and y is not None:
            keep = np.asarray(y, dtype=float) >= self.threshold
        users, items = X[keep, 0], X[keep, 1]
        groups: dict = {}
        for u, i in zip(users.tolist(), items.tolist(), strict=True):
            groups.setdefault(u, set()).add(i)
        return list(groups), list(groups.values())

    def __call__(self, estimator, X, y=None) -> float:
        users, rel = self.relevant(X, y)
        if not users:
            return 0.0
        recs, _ = estimator.recommend(np.asarray(users, dtype=object), n=self.k,
                                      exclude_seen=self.exclude_seen)
        return _METRICS[self.metric](rel, recs, self.k)

    def __repr__(self) -> str:
        return (f"make_ranking_scorer({self.metric!r}, k={self.k}, "
                f"threshold={self.threshold!r})")


def make_ranking_scorer(metric: str = "precision", k: int = 10,
                        threshold: float | None = None,
                        exclude_seen: bool = True) -> RankingScorer:
    """A scorer for ``GridSearchCV(scoring=...)`` / ``cross_validate`` from a ranking
    metric.

    Parameters
    ----------
    metric : {"precision", "recall", "ndcg", "map"}, default="precision"
        The ranking metric.
    k : int, default=10
        Length of the recommendation lists.
    threshold : float, optional
        Held-out rows with ``y >= threshold`` are the relevant items (e.g. 4 for
        ratings); None: every held-out row.
    exclude_seen : bool, default=True
        Passed to the estimator's ``recommend`` (leave out training items).

    Returns
    -------
    RankingScorer
        ``scorer(estimator, X, y)``: greater is better.

    Examples
    --------
    >>> from skgd.metrics import make_ranking_scorer
    >>> scorer = make_ranking_scorer("ndcg", k=10, threshold=4)
    >>> scorer
    make_ranking_scorer('ndcg', k=10, threshold=4)
    """
    return RankingScorer(metric, k, threshold, exclude_seen)
