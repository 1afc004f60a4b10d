"""Mapping of raw ids (ints, floats, strings, mixed objects) to contiguous indices."""

from __future__ import annotations

import numpy as np

__all__ = ["FieldEncoder", "check_no_missing"]


def _is_missing(col: np.ndarray) -> np.ndarray:
    """Boolean mask of NaN / None / inf entries of a column of ids."""
    if col.dtype.kind == "f":
        return ~np.isfinite(col)
    if col.dtype.kind == "O":
        miss = np.equal(col, None)
        # NaN is the only value different from itself; inf is a float too
        for j in np.flatnonzero(~miss):
            v = col[j]
            if isinstance(v, float | np.floating) and not np.isfinite(v):
                miss[j] = True
        return miss
    return np.zeros(col.shape, dtype=bool)


def check_no_missing(X: np.ndarray, what: str = "X") -> None:
    """Raise ``ValueError`` when an id is NaN, infinite or None."""
    for f in range(X.shape[1]):
        bad = _is_missing(X[:, f])
        if bad.any():
            raise ValueError(
                f"Input {what} contains NaN or infinity (or None) in column {f} (row "
                f"{int(np.flatnonzero(bad)[0])}): ids must be valid categorical values."
            )


def _mixed_keys(col: np.ndarray) -> np.ndarray:
    # ids of several Python types that do not sort together: compare (type, text) keys
    return np.array([f"{type(v).__name__}\x00{v!s}" for v in col], dtype=object)


def _int_span(col: np.ndarray) -> int | None:
    """``max - min`` of an array of integer ids when it is small enough for a lookup
    table (at most a few times the number of ids), else None."""
    if col.dtype.kind not in "iu" or col.size == 0:
        return None
    span = int(col.max()) - int(col.min())
    return span if span <= 4 * col.size + 4096 else None


class FieldEncoder:
    """Ids of one field mapped to ``0..n-1`` (unseen ids -> -1).

    ``classes_[j]`` is the raw id of index ``j``. Ids are sorted in the first fit;
    :meth:`extend` appends new ids after the old ones (``partial_fit``), so the indices
    of known ids never change.

    Parameters
    ----------
    col : ndarray of shape (n,)
        The raw ids seen in training.
    """

    def __init__(self, col: np.ndarray):
        col = np.asarray(col)
        span = _int_span(col)
        if span is not None:
            # small-range integer ids (the common case): a presence table instead of a
            # sort
            lo = col.min()
            present = np.zeros(span + 1, dtype=bool)
            present[col - lo] = True
            self.classes_ = (np.flatnonzero(present) + lo).astype(col.dtype)
            self.mixed = False
            self._index()
            return
        try:
            self.classes_ = np.unique(col)
            self.mixed = False
        except TypeError:
            self.mixed = True
            _, first = np.unique(_mixed_keys(col), return_index=True)
            self.classes_ = np.asarray(col, dtype=object)[first]
        self._index()

    def _keys(self, col: np.ndarray) -> np.ndarray:
        return _mixed_keys(col) if self.mixed else col

    def _index(self) -> None:
        keys = self._keys(self.classes_)
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]
        # lookup table of small-range integer ids: index = table[id - lo]
        self._table = None
        span = _int_span(self.classes_)
        if span is not None:
            self._lo = int(self.classes_.min())
            self._table = np.full(span + 1, -1, dtype=np.int64)
            self._table[self.classes_ - self._lo] = np.arange(self.classes_.size)

    def __len__(self) -> int:
        return int(self.classes_.size)

    def transform(self, col: np.ndarray) -> np.ndarray:
        """Indices of ``col`` (``-1`` for ids not seen in training)."""
        col = np.asarray(col)
        if self._sorted.size == 0 or col.size == 0:
            return np.full(col.shape, -1, dtype=np.int64)
        if getattr(self, "_table", None) is not None and col.dtype.kind in "iu":
            pos = col.astype(np.int64, copy=False) - self._lo
            ok = (pos >= 0) & (pos < self._table.size)
            if ok.all():
                return self._table[pos]
            return np.where(ok, self._table[np.where(ok, pos, 0)], -1)
        try:
            return self._match(self._sorted, self._order, self._keys(col))
        except TypeError:
            # ids of other types than in training (e.g. strings vs. ints): compare
            # (type, text) keys, so only ids of the same type and value match
            keys = _mixed_keys(self.classes_)
            order = np.argsort(keys, kind="stable")
            return self._match(keys[order], order, _mixed_keys(col))

    @staticmethod
    def _match(sorted_keys, order, keys):
        pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
        hit = np.asarray(sorted_keys[pos] == keys, dtype=bool)
        return np.where(hit, order[pos], -1).astype(np.int64)

    def extend(self, col: np.ndarray) -> np.ndarray:
        """Append the ids of ``col`` not seen yet and return the indices of ``col``."""
        col = np.asarray(col)
        idx = self.transform(col)
        new = col[idx < 0]
        if new.size:
            fresh = FieldEncoder(new)
            kinds = {self.classes_.dtype.kind, fresh.classes_.dtype.kind}
            if kinds <= set("biuf"):
                merged = np.concatenate([self.classes_, fresh.classes_])
            else:
                # never let numpy turn ints into strings: keep the raw objects
                merged = np.concatenate([self.classes_.astype(object),
                                         fresh.classes_.astype(object)])
            if not self.mixed:
                try:
                    np.argsort(merged)
                except TypeError:
                    self.mixed = True
                    merged = np.concatenate([self.classes_.astype(object),
                                             fresh.classes_.astype(object)])
            self.classes_ = merged
            self._index()
            idx = self.transform(col)
        return idx
