"""Input checks and id tables of :class:`MatrixFactorization`: the sides of the extra
fields, each user's and item's field indices, the training pairs, and room for new
ids."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from ..losses import LOSSES, MF_SQUARED
from ..utils._compat import _check_sample_weight
from ._ids import check_no_missing


class TablesMixin:
    """Input checks, and tables kept next to the parameters (``_encoders``: one
    :class:`FieldEncoder` per field, set by the estimator).

    ``_user_side``/``_item_side``: the fields that are user/item attributes (0 and 1
    first); ``_user_table``/``_item_table``: their field indices per user/item;
    ``_seen``: CSR (users x items) of the training pairs, the items rejected as negatives
    and the sets :math:`N(u)` of SVD++.
    """

    @property
    def _implicit(self) -> bool:
        return LOSSES.get(self.loss).recommender_code != MF_SQUARED

    def _check_X(self, X, reset: bool):
        # the minimum of two fields only when fitting: at predict time the feature-count
        # check gives the clearer message
        X = validate_data(self, X, dtype=None, ensure_min_features=2 if reset else 1,
                          reset=reset)
        check_no_missing(X)
        return X

    def _check_Xy(self, X, y, sample_weight, reset: bool):
        if self._implicit and y is None:
            X = self._check_X(X, reset=reset)
            y = np.ones(X.shape[0])
        else:
            X, y = validate_data(self, X, y, dtype=None,
                                 ensure_min_features=2 if reset else 1,
                                 y_numeric=True, reset=reset)
            check_no_missing(X)
            if self._implicit and np.any(y < 0):
                raise ValueError("With an implicit-feedback loss, y holds non-negative "
                                 "interaction weights (or None).")
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                  ensure_non_negative=True)
        if self._implicit:
            sw = sw * y
        if sw.sum() <= 0:
            raise ValueError("sample_weight must have a positive sum.")
        return X, y, sw

    def _codes(self, X) -> np.ndarray:
        return np.stack([enc.transform(X[:, f]) for f, enc in enumerate(self._encoders)],
                        axis=1).astype(np.int64)

    def _bias_flags(self, F: int) -> list[bool]:
        if isinstance(self.biases, bool | np.bool_):
            return [bool(self.biases)] * F
        flags = [bool(b) for b in np.asarray(self.biases).ravel()]
        if len(flags) != F:
            raise ValueError(f"biases has {len(flags)} flags but X has {F} fields.")
        return flags

    def _sides(self, codes) -> None:
        """Classify extra fields as user attributes, item attributes or context."""
        self._user_side, self._item_side = [0], [1]
        n_u, n_i = len(self._encoders[0]), len(self._encoders[1])
        for f in range(2, codes.shape[1]):
            n_f = len(self._encoders[f])
            for side, owner, n_owner in ((self._user_side, 0, n_u),
                                         (self._item_side, 1, n_i)):
                if np.unique(codes[:, owner] * n_f + codes[:, f]).size == n_owner:
                    side.append(f)
                    break

    def _update_tables(self, codes) -> None:
        """Per-user and per-item field indices of their attributes; training pairs."""
        n_u, n_i = len(self._encoders[0]), len(self._encoders[1])
        for name, side, owner, n in (("_user_table", self._user_side, 0, n_u),
                                     ("_item_table", self._item_side, 1, n_i)):
            old = getattr(self, name, None)
            table = np.full((n, len(side)), -1, dtype=np.int64)
            if old is not None and old.shape[1] == len(side):
                table[:old.shape[0]] = old
            table[codes[:, owner]] = codes[:, side]
            table[:, 0] = np.arange(n)
            setattr(self, name, table)
        seen = sp.csr_matrix((np.ones(codes.shape[0], dtype=np.int32),
                              (codes[:, 0], codes[:, 1])), shape=(n_u, n_i))
        old = self._seen
        if old.nnz:
            old.resize((n_u, n_i))
            seen = old + seen
        # sorted indices, one entry per pair
        seen.sum_duplicates()
        seen.data[:] = 1
        self._seen = seen.astype(np.int8)

    def _grow(self, objective) -> None:
        """Make room for new ids: old parameters and optimizer moments keep their
        values at their new positions, new rows start from the initialisation."""
        state = self._solver_state
        old, new = self._layout, objective.layout
        if set(old.shapes) != set(new.shapes):
            raise ValueError("The fields or biases changed since the last fit; fit a new "
                             "model instead of warm_start/partial_fit.")
        if old.size == new.size:
            return
        mapping = np.empty(old.size, dtype=np.int64)
        for name, sl in old.slices.items():
            start = new.slices[name].start
            mapping[sl] = start + np.arange(sl.stop - sl.start)
        w = objective.init_params(check_random_state(state.rng.randint(2**31 - 1)))
        w[mapping] = state.w
        n_slots = state.opt_state.size // max(old.size, 1)
        opt = np.zeros(n_slots * new.size, dtype=state.opt_state.dtype)
        for s in range(n_slots):
            opt[s * new.size + mapping] = state.opt_state[s * old.size:(s + 1) * old.size]
        state.w, state.opt_state, state.lazy_ratio = w, opt, None
