"""Shared fit/partial_fit machinery of the multi-layer perceptrons."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from .._dask import is_dask_collection
from ..base import SOLVER_PARAMETER_CONSTRAINTS, GDMixin, transactional
from ..solver import Validation
from ..utils._compat import Interval, StrOptions, _check_sample_weight
from ..utils._validation import canonical_csr, checked_sparse
from ._activations import ACTIVATIONS, get_activation
from ._network import forward_eval
from ._objective import MLPObjective, MLPSpec

DTYPES = [np.float64, np.float32]

def _check_rates(dropout, n_hidden: int) -> list[float]:
    rates = [dropout] * n_hidden if isinstance(dropout, Real) else list(dropout)
    if len(rates) != n_hidden:
        raise ValueError(f"dropout has {len(rates)} rates for {n_hidden} hidden layers; "
                         "pass one rate or one per hidden layer.")
    for p in rates:
        if not isinstance(p, Real) or not 0.0 <= p < 1.0:
            raise ValueError(f"dropout rates must be in [0, 1), got {dropout!r}")
    return [float(p) for p in rates]


class BaseMLP(GDMixin, BaseEstimator):
    """Multi-layer perceptron fitted by the shared solver (see the subclasses)."""

    _parameter_constraints: dict = {
        **{k: v for k, v in SOLVER_PARAMETER_CONSTRAINTS.items()
           if k not in ("penalty", "l1_ratio")},
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [ACTIVATIONS.options()],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "batch_norm": ["boolean"],
        "init": [StrOptions({"glorot", "he"})],
    }

    # the MLP's alpha is always an L2 penalty on the weights (as scikit-learn's)
    penalty = "l2"

    # --- subclass hooks -------------------------------------------------------------
    def _loss(self):
        raise NotImplementedError

    def _encode_y(self, y, fitting: bool, classes=None):
        """Targets for the objective and the number of outputs."""
        raise NotImplementedError

    def _weights(self, y_enc, sample_weight, partial: bool, counts=None):
        return sample_weight

    def _stratify(self, y_enc):
        return None

    #: the validation score in ``history_`` is this estimator's ``score`` (accuracy or
    #: R²) on the same rows, so callbacks may reuse it
    _history_score_is_score = True

    def _val_score(self, y_val):
        """A function ``raw -> score`` (higher is better) on validation targets."""
        raise NotImplementedError

    # --- parameters -----------------------------------------------------------------
    def _hidden(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {sizes!r}")
        return [int(s) for s in sizes]

    # --- input ----------------------------------------------------------------------
    def _check_X(self, X, reset: bool):
        X = validate_data(self, X, accept_sparse=["csr", "csc"], dtype=DTYPES, order="C",
                          reset=reset)
        return self._csr(X)

    @staticmethod
    def _csr(X):
        return canonical_csr(checked_sparse(X))

    def _check_Xy(self, X, y, sample_weight, reset: bool, positive_sum: bool = True):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], dtype=DTYPES,
                             order="C", multi_output=True, y_numeric=self._y_numeric,
                             reset=reset)
        # a chunk of a distributed fit may weigh nothing (the sum is checked globally)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                  ensure_non_negative=True,
                                  allow_all_zero_weights=not positive_sum)
        if positive_sum and sw.sum() <= 0:
            raise ValueError("sample_weight must have a positive sum.")
        return self._csr(X), y, sw

    # --- fitting --------------------------------------------------------------------
    def _objective(self, X, y_enc, sw, n_outputs, buffers=None):
        hidden = self._hidden()
        spec = MLPSpec(
            (X.shape[1], *hidden, n_outputs), get_activation(self.activation), self._loss(),
            dropout=tuple(_check_rates(self.dropout, len(hidden))),
            batch_norm=self.batch_norm, init=self.init, activation_name=self.activation)
        return MLPObjective(X, y_enc, sw, spec, buffers=buffers)

    @transactional
    def _fit(self, X, y, sample_weight, X_val, y_val, *, partial: bool, classes=None):
        if getattr(self._solver_config().optimizer, "name", "") == "newton":
            raise ValueError("solver='newton' needs Hessian-vector products, which the MLP "
                             "does not provide; use solver='lbfgs' for a full-batch fit.")
        first = not (partial or self.warm_start) or not hasattr(self, "_solver_state")
        if is_dask_collection(X) or is_dask_collection(y):
            return self._fit_chunked(X, y, sample_weight, X_val, y_val, first=first,
                                     partial=partial)
        X, y, sw = self._check_Xy(X, y, sample_weight, reset=first)
        y_enc, K = self._encode_y(y, fitting=first, classes=classes)
        sw = self._weights(y_enc, sw, partial=partial)
        X_fit, y_fit, sw_fit, val, y_raw = X, y_enc, sw, None, y
        if X_val is not None or y_val is not None:
            if X_val is None or y_val is None:
                raise ValueError("Pass both X_val and y_val, or neither.")
            X_val, y_val, _ = self._check_Xy(X_val, y_val, None, reset=False)
            val = (X_val, y_val)
        elif self._wants_validation() and not partial:
            tr, va = self._validation_indices(X.shape[0], self._stratify(y_enc))
            val = (X[va], y[va])
            X_fit, y_fit, sw_fit, y_raw = X[tr], y_enc[tr], sw[tr], y[tr]
        buffers = None if first else getattr(self, "_buffers", None)
        objective = self._objective(X_fit, y_fit, sw_fit, K, buffers=buffers)
        if buffers is not None:
            for k, v in buffers.items():  # keep the running statistics in the new dtype
                objective.buffers[k] = v.astype(objective.dtype)
        if not first and self._solver_state.w.size != objective.layout.size:
            raise ValueError("The number of features, outputs or the architecture changed "
                             "since the last fit; fit from scratch (warm_start=False).")
        validation = None if val is None else self._validation(*val, K, objective)
        metadata = None if sample_weight is None else {"sample_weight": sw_fit}
        self._run_solver(objective, validation=validation, reuse_state=not first,
                         partial=partial, data=(X_fit, y_raw, metadata, val or (None, None)))
        return self

    def _finish_fit(self, objective, result) -> None:
        if self._solver_config().optimizer.full_batch and objective.batch_norm:
            # L-BFGS line searches leave the statistics of a trial point: recompute them
            objective.value_grad(result.w)
        self._store_params(objective)

    def _validation(self, X_val, y_val, K, objective):
        y_enc, _ = self._encode_y(y_val, fitting=False)
        obj = self._objective(X_val, y_enc, np.ones(X_val.shape[0]), K,
                              buffers=objective.buffers)
        score = self._val_score(y_val)
        return Validation(obj, lambda w: score(obj.raw(w)))

    def _store_params(self, objective):
        w = self._solver_state.params
        if not np.all(np.isfinite(w)):
            raise ValueError("Training produced non-finite weights; use a smaller "
                             "learning_rate_init or scale the features.")
        coefs, intercepts, bn = objective.unpack(w)
        self.coefs_ = [c.copy() for c in coefs]
        self.intercepts_ = [b.copy() for b in intercepts]
        self._buffers = {k: v.copy() for k, v in objective.buffers.items()}
        self.batch_norm_ = None if bn is None else [
            {"scale": s.copy(), "running_mean": m.copy(), "running_var": v.copy()}
            for s, m, v in bn]
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = self.coefs_[-1].shape[1]
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        self.validation_loss_curve_ = (
            None if self.validation_scores_ is None else
            [h["val_loss"] for h in self.history_ if h.get("val_loss") is not None])

    # --- prediction -----------------------------------------------------------------
    def _forward(self, X):
        check_is_fitted(self, "coefs_")
        X = self._check_X(X, reset=False)
        bn = None if self.batch_norm_ is None else [
            (d["scale"], d["running_mean"], d["running_var"]) for d in self.batch_norm_]
        dtype = self.coefs_[0].dtype
        X = X.astype(dtype, copy=False)
        return np.asarray(forward_eval(X, self.coefs_, self.intercepts_,
                                       get_activation(self.activation), bn))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
