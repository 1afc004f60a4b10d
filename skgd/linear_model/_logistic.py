"""Logistic regression by gradient descent."""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin

from .._dask import lazy_on_dask
from ..losses import LogLoss, Multinomial
from ..utils._compat import Interval, StrOptions
from ..utils._labels import check_targets, label_indices, sorted_labels
from ..utils._validation import class_weight_vector
from ._base import BaseLinearGD


class LogisticRegression(ClassifierMixin, BaseLinearGD):
    r"""Binary and multinomial logistic regression fitted by the shared solver.

    Minimises

    .. math::
        \frac{\sum_i s_i\, L(y_i, x_i^\top W + b)}{\sum_i s_i} + \alpha\, R(W)

    with :math:`s_i` = ``sample_weight`` × ``class_weight``, :math:`L` the binary
    cross-entropy of the logit (two classes, one coefficient vector) or the softmax
    cross-entropy over all classes (more than two, one coefficient vector per class) and
    the penalty :math:`R` (``l2``: :math:`\tfrac12\|W\|^2`; ``l1``: :math:`\|W\|_1`;
    ``elasticnet``: :math:`\rho\|W\|_1 + \tfrac{1-\rho}{2}\|W\|^2`); the intercept is
    never penalised. With unit weights and ``penalty="l2"`` the optimum is that of
    scikit-learn's ``LogisticRegression(C=1/(n_samples * alpha))``.

    The default ``solver="auto"`` is full-batch L-BFGS, which reaches the exact
    optimum fast on data that fits in memory and needs no step size; with an L1 or
    elastic-net penalty it is FISTA for ``batch_size="full"`` and per-sample Adam
    otherwise (the resolved name is stored in ``solver_``). For scikit-learn's
    ``SGDClassifier(loss="log_loss")`` use ``solver="sgd", batch_size=1,
    learning_rate="optimal"`` (a compiled per-sample kernel, fast on large and sparse
    data); every other optimizer, schedule and batch size of the solver is available,
    and ``penalty="l1"`` needs one of those first-order solvers.

    Parameters
    ----------
    fit_intercept : bool, default=True
    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights by class; "balanced" uses
        ``n_samples / (n_classes * bincount(y))``.
    solver, learning_rate, learning_rate_init, batch_size, penalty, alpha, l1_ratio,
    max_iter, tol, n_iter_no_change, early_stopping, validation_fraction, shuffle,
    random_state, warm_start, verbose, average, max_grad_norm, divergence
        The shared solver vocabulary; see :class:`skgd.linear_model.LinearRegression`.
        Defaults: ``solver="auto"`` (L-BFGS, for which ``batch_size`` and the schedule
        do not apply, or FISTA/Adam with L1 as above), ``learning_rate="constant"``,
        ``learning_rate_init=0.01``, ``batch_size=1``, ``penalty="l2"``,
        ``alpha="auto"`` (:math:`1/\sum_i s_i`, i.e. ``1/n_samples`` for unit weights:
        the optimum of scikit-learn's default ``LogisticRegression(C=1)``),
        ``max_iter=1000``,
        ``tol=1e-4`` (for L-BFGS: stop when the largest gradient entry is below ``tol``;
        full-batch first-order fits and FISTA stop when the norm of the
        proximal-gradient mapping is at most ``tol`` times its cold-start value, and
        warn when ``max_iter`` or a failed line search ends them first; stochastic fits
        stop on a loss plateau). Early stopping monitors the validation accuracy.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    solver_, n_iter_, t_, loss_curve_, validation_scores_, best_loss_, history_
        As in :class:`skgd.linear_model.LinearRegression`.
    """

    _parameter_constraints: dict = {
        **BaseLinearGD._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
    }
    _multi_output = False
    _y_numeric = False

    def __init__(self, *, fit_intercept=True, class_weight=None, solver="auto",
                 learning_rate="constant", learning_rate_init=0.01, batch_size=1,
                 penalty="l2", alpha="auto", l1_ratio=0.15, max_iter=1000, tol=1e-4,
                 n_iter_no_change=5, early_stopping=False, validation_fraction=0.1,
                 shuffle=True, random_state=None, warm_start=False, verbose=0,
                 average=False, max_grad_norm=None, divergence="raise"):
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.average = average
        self.max_grad_norm = max_grad_norm
        self.divergence = divergence

    def _auto_solver(self, partial: bool) -> str:
        # today's default, full-batch L-BFGS, for every smooth problem (batch_size and
        # partial_fit included); FISTA or Adam only where L-BFGS cannot go
        name = super()._auto_solver(partial)
        return "lbfgs" if name != "fista" and self._smooth_penalty() else name

    def _loss(self):
        return LogLoss() if len(self.classes_) == 2 else Multinomial()

    def _encode_y(self, y, fitting, classes=None):
        y = np.asarray(y)
        check_targets(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError("y must be one-dimensional (multilabel is not supported).")
        if fitting:
            labels = sorted_labels(y) if classes is None else np.unique(np.asarray(classes))
            if labels.size < 2:
                raise ValueError(
                    "LogisticRegression needs samples of at least 2 classes in the data, but "
                    f"the data contain only one class: {labels[0] if labels.size else None!r}."
                )
            self.classes_ = labels
        idx = label_indices(self.classes_, y)
        if len(self.classes_) == 2:
            return idx.astype(np.float64).reshape(-1, 1), 1
        return idx, len(self.classes_)

    def _class_index(self, y_enc):
        return y_enc.ravel().astype(np.int64)

    def _weights(self, y_enc, sw, partial, counts=None):
        if self.class_weight is None:
            return sw
        yi = self._class_index(y_enc)
        if counts is None:
            counts = np.bincount(yi, minlength=len(self.classes_))
        cw = class_weight_vector(self.class_weight, self.classes_, counts, partial=partial)
        return sw * cw[yi]

    def _stratify(self, y_enc):
        return self._class_index(y_enc)

    def _val_score(self, y_val):
        y_val = np.asarray(y_val).ravel()

        def score(raw):
            return float(np.mean(self._labels(raw) == y_val))

        return score

    def _labels(self, raw):
        if raw.shape[1] == 1:
            return self.classes_[(raw[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(raw, axis=1)]

    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Fit the model (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
        X_val, y_val : optional held-out data, recorded each epoch and used for early
            stopping when ``early_stopping=True``.

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, X_val, y_val, partial=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the optimizer state and schedule.

        ``classes`` (all labels) is required on the first call.
        """
        if not hasattr(self, "_solver_state"):
            self._validate_params()
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError("classes differ from those of the first partial_fit call.")
        return self._fit(X, y, sample_weight, None, None, partial=True, classes=classes)

    @lazy_on_dask
    def decision_function(self, X):
        """Logits: shape (n_samples,) for two classes, else (n_samples, n_classes)."""
        raw = self._decision(X)
        return raw.ravel() if raw.shape[1] == 1 else raw

    @lazy_on_dask
    def predict(self, X):
        """Predicted class labels."""
        return self._labels(self._decision(X))

    @lazy_on_dask
    def predict_proba(self, X):
        """Class probabilities (sigmoid for two classes, softmax otherwise)."""
        raw = self._decision(X)
        if raw.shape[1] == 1:
            p = expit(raw[:, 0])
            return np.column_stack([1 - p, p])
        return softmax(raw, axis=1)

    @lazy_on_dask
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))
