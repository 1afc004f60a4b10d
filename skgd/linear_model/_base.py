"""Shared fit/partial_fit machinery of the linear estimators."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from .._dask import is_dask_collection
from ..base import SOLVER_PARAMETER_CONSTRAINTS, GDMixin, transactional
from ..losses import LOSSES, Loss
from ..solver import OPTIMIZERS, Optimizer, Validation, resolve_penalty
from ..utils._compat import StrOptions, _check_sample_weight
from ..utils._validation import checked_sparse
from ._objective import LinearObjective

DTYPES = [np.float64, np.float32]


class BaseLinearGD(GDMixin, BaseEstimator):
    """Linear model fitted by the shared solver (see subclasses for the objective)."""

    _parameter_constraints: dict = {
        **SOLVER_PARAMETER_CONSTRAINTS,
        "solver": [StrOptions({"auto"}), *SOLVER_PARAMETER_CONSTRAINTS["solver"]],
        "fit_intercept": ["boolean"]}

    #: what ``solver="auto"`` picks when it does not pick a full-batch method
    _auto_first_order = "adam"

    # --- subclass hooks -------------------------------------------------------------
    def _loss(self):
        raise NotImplementedError

    def _encode_y(self, y, fitting: bool):
        """Targets for the objective and the number of outputs K."""
        raise NotImplementedError

    def _weights(self, y_enc, sample_weight, partial: bool, counts=None):
        return sample_weight

    #: the validation score in ``history_`` is this estimator's ``score`` (accuracy or
    #: R²) on the same rows, so callbacks may reuse it
    _history_score_is_score = True

    def _val_score(self, y_val):
        """A function ``raw -> score`` (higher is better) on validation targets."""
        raise NotImplementedError

    def _smooth_loss(self) -> bool:
        return True

    def _auto_solver(self, partial: bool) -> str:
        """The registered name ``solver="auto"`` resolves to: ``"lbfgs"`` for a smooth
        full-batch fit, ``"fista"`` for a full-batch fit with a non-smooth penalty
        (L1, elastic-net) and a smooth loss, else :attr:`_auto_first_order`
        (``batch_size`` not ``"full"``, ``partial_fit``, ``average``, a non-smooth
        loss)."""
        full = self.batch_size == "full" and not partial and not self.average
        if not (full and self._smooth_loss()):
            return self._auto_first_order
        return "lbfgs" if self._smooth_penalty() else "fista"

    def _smooth_penalty(self) -> bool:
        penalty = None if self.penalty == "none" else self.penalty
        return resolve_penalty(penalty, self.l1_ratio).smooth

    def _optimizer(self, partial: bool = False) -> Optimizer:
        auto = isinstance(self.solver, str) and self.solver == "auto"
        # kept for solver_ (set with the other fitted attributes, so that an unfitted
        # estimator whose solver was looked up does not look fitted)
        self._resolved_solver = self._auto_solver(partial) if auto else self.solver
        return OPTIMIZERS.resolve(self._resolved_solver, Optimizer)

    # --- input ----------------------------------------------------------------------
    def _check_X(self, X, reset: bool):
        X = validate_data(self, X, accept_sparse="csr", dtype=DTYPES, order="C", reset=reset)
        return checked_sparse(X.tocsr() if sp.issparse(X) else X)

    def _check_Xy(self, X, y, sample_weight, reset: bool, positive_sum: bool = True):
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=DTYPES, order="C",
                             multi_output=self._multi_output, y_numeric=self._y_numeric,
                             reset=reset)
        # a chunk of a distributed fit may weigh nothing (the sum is checked globally)
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                  ensure_non_negative=True,
                                  allow_all_zero_weights=not positive_sum)
        if positive_sum and sw.sum() <= 0:
            raise ValueError("sample_weight must have a positive sum.")
        return checked_sparse(X), y, sw

    # --- fitting --------------------------------------------------------------------
    def _objective(self, X, y_enc, sw, K):
        return LinearObjective(X, y_enc, sw, self._loss(), K, self.fit_intercept)

    @transactional
    def _fit(self, X, y, sample_weight, X_val, y_val, *, partial: bool, classes=None):
        first = not (partial or self.warm_start) or not hasattr(self, "_solver_state")
        if is_dask_collection(X) or is_dask_collection(y):
            return self._fit_chunked(X, y, sample_weight, X_val, y_val, first=first,
                                     partial=partial)
        X, y, sw = self._check_Xy(X, y, sample_weight, reset=first)
        y_enc, K = self._encode_y(y, fitting=first, classes=classes)
        sw = self._weights(y_enc, sw, partial=partial)
        validation = None
        if X_val is not None or y_val is not None:
            if X_val is None or y_val is None:
                raise ValueError("Pass both X_val and y_val, or neither.")
            X_val, y_val, _ = self._check_Xy(X_val, y_val, None, reset=False)
        elif self._wants_validation() and not partial:
            tr, va = self._validation_indices(X.shape[0], self._stratify(y_enc))
            X_val, y_val = X[va], y[va]
            X, y, y_enc, sw = X[tr], y[tr], y_enc[tr], sw[tr]
        if X_val is not None:
            validation = self._validation(X_val, y_val, K)
        objective = self._objective(X, y_enc, sw, K)
        if not first and self._solver_state.w.size != objective.layout.size:
            raise ValueError("The number of features or outputs changed since the last fit.")
        alpha = 1.0 / sw.sum() if self.alpha == "auto" else None
        self._run_solver(objective, validation=validation, reuse_state=not first,
                         partial=partial, alpha=alpha,
                         data=(X, y, _metadata(sample_weight, sw), (X_val, y_val)))
        return self

    def _stratify(self, y_enc):
        return None

    def _validation(self, X_val, y_val, K, objective=None):
        y_enc, _ = self._encode_y(y_val, fitting=False)
        sw = np.ones(X_val.shape[0])
        obj = self._objective(X_val, y_enc, sw, K)
        score = self._val_score(y_val)
        return Validation(obj, lambda w: score(obj.raw(w)))

    def _store_params(self, objective):
        self.solver_ = self._resolved_solver
        w = self._solver_state.params
        coef = objective.layout.view(w, "coef").T.copy()
        intercept = (objective.layout.view(w, "intercept").copy() if self.fit_intercept
                     else np.zeros(objective.K, dtype=w.dtype))
        self.coef_, self.intercept_ = self._shape_coef(coef, intercept)

    def _shape_coef(self, coef, intercept):
        return coef, intercept

    # --- prediction -----------------------------------------------------------------
    def _decision(self, X):
        check_is_fitted(self, "coef_")
        X = self._check_X(X, reset=False)
        coef = np.atleast_2d(self.coef_)
        return np.asarray(X @ coef.T) + self.intercept_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = self._multi_output
        return tags


def resolve_loss(loss, epsilon: float):
    """A loss object from an instance (cloned) or a registered name; ``epsilon`` goes
    to the losses that take one (``huber``, ``epsilon_insensitive``)."""
    if isinstance(loss, Loss):
        return clone(loss)
    cls = LOSSES.get(loss)
    return cls(epsilon=epsilon) if "epsilon" in cls._get_param_names() else cls()


def _metadata(sample_weight, sw):
    """The callbacks' metadata: the weights of the training rows, when given."""
    return None if sample_weight is None else {"sample_weight": sw}
