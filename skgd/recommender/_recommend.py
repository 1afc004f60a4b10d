"""Top-k recommendation and item similarity for :class:`MatrixFactorization`."""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._ids import check_no_missing


class RecommendMixin:
    """``recommend`` and ``similar_items`` over a fitted factorization (needs the
    fitted tables that :class:`MatrixFactorization` stores)."""

    def _side_vectors(self, side, table):
        """Sum of the side's factor rows and its constant part (biases and the pairwise
        terms within the side) for every row of ``table``."""
        k = self._k
        vec = np.zeros((table.shape[0], k))
        const = np.zeros(table.shape[0])
        sq = np.zeros(table.shape[0])
        for c, f in enumerate(side):
            idx = table[:, c]
            ok = idx >= 0
            v = np.where(ok[:, None], self.field_factors_[f][np.maximum(idx, 0)], 0.0)
            vec += v
            sq += np.einsum("ij,ij->i", v, v)
            const += np.where(ok, self.field_biases_[f][np.maximum(idx, 0)], 0.0)
        const += 0.5 * (np.einsum("ij,ij->i", vec, vec) - sq)
        return vec, const

    def _ids(self, field: int, ids, what: str) -> np.ndarray:
        ids = np.asarray(ids, dtype=object if np.asarray(ids).dtype.kind == "O" else None)
        ids = ids.reshape(-1)
        check_no_missing(ids[:, None], what)
        _check_id_kind(ids, self._encoders[field].classes_, what)
        return self._encoders[field].transform(ids)

    def recommend(self, users, n=10, exclude_seen=True, items=None):
        """Top-``n`` items for each user, by predicted score.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            User ids (raw). Unknown users get the items with the highest item part.
        n : int, default=10
            Number of items per user (fewer when there are fewer candidates).
        exclude_seen : bool, default=True
            Leave out the items the user interacted with in training.
        items : array-like, optional
            Candidate item ids (default: every training item).

        Returns
        -------
        item_ids : ndarray of shape (n_users, n)
            Original item ids, best first.
        scores : ndarray of shape (n_users, n)
            Their scores (``-inf`` pads rows with fewer than ``n`` candidates).

        Examples
        --------
        >>> from skgd.recommender import MatrixFactorization
        >>> X = [["ann", "up"], ["ann", "jaws"], ["bob", "up"], ["bob", "heat"]]
        >>> mf = MatrixFactorization(4, random_state=0).fit(X, [5.0, 1.0, 4.0, 2.0])
        >>> items, scores = mf.recommend(["ann", "bob"], n=1)
        >>> items.tolist()  # each user gets the one item they have not seen
        [['heat'], ['jaws']]
        """
        check_is_fitted(self, "_layout")
        _check_n(n)
        u = self._ids(0, users, "users")
        n_items = len(self._encoders[1])
        if items is None:
            cand = np.arange(n_items)
        else:
            cand = self._ids(1, items, "items")
            if np.any(cand < 0):
                raise ValueError("items contains ids unknown to the model.")
        known = u >= 0
        utab = np.full((u.size, len(self._user_side)), -1, dtype=np.int64)
        utab[known] = self._user_table[u[known]]
        U, cu = self._side_vectors(self._user_side, utab)
        cu += self.global_mean_
        V, ci = self._side_vectors(self._item_side, self._item_table[cand])
        n_top = int(min(n, cand.size))
        out_idx = np.zeros((u.size, n_top), dtype=np.int64)
        out_scores = np.empty((u.size, n_top))
        pos = np.full(n_items, -1, dtype=np.int64)
        pos[cand] = np.arange(cand.size)
        chunk = max(1, 2**22 // max(cand.size, 1))
        for a in range(0, u.size, chunk):
            b = min(a + chunk, u.size)
            scores = U[a:b] @ V.T + ci + cu[a:b, None]
            if exclude_seen:
                rows = np.flatnonzero(known[a:b])
                seen = self._seen[u[a:b][rows]].tocoo()
                p = pos[seen.col]
                keep = p >= 0
                scores[rows[seen.row[keep]], p[keep]] = -np.inf
            top = np.argpartition(-scores, n_top - 1, axis=1)[:, :n_top] if n_top else \
                np.zeros((b - a, 0), dtype=np.int64)
            s = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-s, axis=1, kind="stable")
            out_idx[a:b] = np.take_along_axis(top, order, axis=1)
            out_scores[a:b] = np.take_along_axis(s, order, axis=1)
        return self.item_ids_[cand[out_idx]], out_scores

    def similar_items(self, items, n=10):
        """The ``n`` items most similar to each of ``items`` (cosine of the item-side
        factor vectors), excluding the item itself.

        Parameters
        ----------
        items : array-like of shape (n_queries,)
            Item ids (raw) known to the model.
        n : int, default=10
            Number of similar items per query (at most the number of other items).

        Returns
        -------
        item_ids : ndarray of shape (n_queries, n)
            Original item ids, most similar first.
        scores : ndarray of shape (n_queries, n)
            Cosine similarities.

        Examples
        --------
        >>> from skgd.recommender import MatrixFactorization
        >>> X = [["ann", "up"], ["ann", "jaws"], ["bob", "up"], ["bob", "heat"]]
        >>> mf = MatrixFactorization(4, random_state=0).fit(X, [5.0, 1.0, 4.0, 2.0])
        >>> items, scores = mf.similar_items(["up"], n=2)
        >>> items.shape, bool(scores[0, 0] >= scores[0, 1])
        ((1, 2), True)
        """
        check_is_fitted(self, "_layout")
        _check_n(n)
        q = self._ids(1, items, "items")
        if np.any(q < 0):
            raise ValueError("items contains ids unknown to the model.")
        V, _ = self._side_vectors(self._item_side, self._item_table)
        norm = np.linalg.norm(V, axis=1)
        Vn = V / np.where(norm > 0, norm, 1.0)[:, None]
        sims = Vn[q] @ Vn.T
        sims[np.arange(q.size), q] = -np.inf
        n_top = int(min(n, V.shape[0] - 1))
        top = np.argpartition(-sims, max(n_top - 1, 0), axis=1)[:, :n_top]
        s = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-s, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        return self.item_ids_[top], np.take_along_axis(s, order, axis=1)


def _check_n(n) -> None:
    if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}.")


def _kind(values: np.ndarray) -> str:
    """"number" or "text" for an id array (object arrays by their first element)."""
    if values.dtype.kind in "biuf":
        return "number"
    if values.dtype.kind in "US":
        return "text"
    first = next(iter(values.tolist()), None)
    return "text" if isinstance(first, (str, bytes)) else "number"


def _check_id_kind(ids: np.ndarray, known: np.ndarray, what: str) -> None:
    """Ids of another kind than the training ids (numbers for a model trained on
    strings) would all be unknown: say so instead of treating them as new."""
    if ids.size and known.size and _kind(ids) != _kind(known):
        raise ValueError(f"{what} are {_kind(ids)}s but the model was trained with "
                         f"{_kind(known)} ids.")
