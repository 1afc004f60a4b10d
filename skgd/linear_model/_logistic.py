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
        Whether to fit the (unpenalised) intercept :math:`b`; if False, :math:`b = 0`.
    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights by class; "balanced" uses
        ``n_samples / (n_classes * bincount(y))``.
    solver : "auto", str or Optimizer, default="auto"
        ``"auto"`` resolves at fit time (stored in ``solver_``): ``"lbfgs"`` for every
        smooth problem (exact optimum, no step size), ``"fista"`` for a full-batch fit
        with an L1/elastic-net penalty, ``"adam"`` for L1/elastic-net when
        ``batch_size`` is not ``"full"``. Else ``"lbfgs"``, ``"newton"``,
        ``"fista"`` or any first-order optimizer name of ``skgd.solver.OPTIMIZERS``
        (``"sgd"``, ``"adam"``, ...) or object (``skgd.solver.Adam(beta_1=0.8)``);
        ``penalty="l1"``/``"elasticnet"`` need a first-order optimizer or FISTA.
    learning_rate : str or Schedule, default="constant"
        The step-size schedule :math:`\eta_t` of the first-order optimizers: a
        registered name (``"constant"``, ``"invscaling"``, ``"optimal"``, ``"step"``,
        ``"exponential"``, ``"cosine"``, ``"warmup_cosine"``, ``"onecycle"``,
        ``"plateau"``) or a schedule object; ``"optimal"`` is scikit-learn SGD's
        :math:`1/(\alpha(t+t_0))`. Not used by ``"lbfgs"``/``"newton"``.
    learning_rate_init : float, default=0.01
        The initial step size :math:`\eta_0` (> 0) of the first-order optimizers.
    batch_size : int, "full" or "auto", default=1
        1 = stochastic (per-sample) GD, an int = mini-batch, ``"full"`` = batch GD,
        ``"auto"`` = ``min(200, n_samples)``. Not used by ``"lbfgs"``/``"newton"``.
    penalty : {"l2", "l1", "elasticnet"}, None or Regularizer, default="l2"
        The penalty :math:`R` on the coefficients (not the intercept); L1 and
        elastic-net are proximal steps (exact zeros). None = no penalty.
    alpha : float or "auto", default="auto"
        The penalty strength :math:`\alpha \ge 0`; ``"auto"`` is :math:`1/\sum_i s_i`
        (``1/n_samples`` for unit weights: the optimum of scikit-learn's default
        ``LogisticRegression(C=1)``).
    l1_ratio : float, default=0.15
        The elastic-net mixing :math:`\rho \in [0, 1]` (1 = L1, 0 = L2); only used by
        ``penalty="elasticnet"``.
    max_iter : int, default=1000
        Maximum number of epochs, or of iterations of ``"lbfgs"``/``"newton"``.
    tol : float or None, default=1e-4
        For ``"lbfgs"``/``"newton"``: stop when the largest gradient entry is below
        ``tol``. Full-batch first-order fits and FISTA stop when the norm of the
        proximal-gradient mapping is at most ``tol`` times its cold-start value,
        return the iterate of lowest :math:`F + lpha R` and warn
        (``ConvergenceWarning``) when ``max_iter`` or a failed line search ends them
        first. Stochastic fits stop when the training loss (the validation accuracy
        with ``early_stopping``) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; None runs all ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Number of epochs without improvement (by ``tol``) before stopping, or before
        the ``"plateau"`` schedule lowers the step.
    early_stopping : bool, default=False
        Monitor the accuracy on a held-out, stratified ``validation_fraction`` (or
        ``X_val``/``y_val`` passed to ``fit``) and restore the best weights.
    validation_fraction : float, default=0.1
        Fraction of the training rows held out for ``early_stopping`` (in (0, 1)).
    shuffle : bool, default=True
        Whether to shuffle the rows before each epoch (stochastic and mini-batch GD).
    random_state : int, RandomState or None, default=None
        Seeds the shuffling and the ``early_stopping`` validation split (the
        coefficients start at zero, so nothing else is random); an int makes fits
        reproducible.
    warm_start : bool, default=False
        Continue from the previous fit, keeping the optimizer state and schedule step.
    verbose : int, default=0
        0 = silent, 1 = one live progress line per fit, 2 or more = one line per epoch.
    average : bool or int, default=False
        Polyak–Ruppert averaging of the iterates (``True``: from the first update; an
        int ``n``: once ``n`` samples have been seen); prediction uses the averaged
        weights.
    max_grad_norm : float or None, default=None
        Clip each (mini-batch or per-sample) gradient to this global norm.
    divergence : {"raise", "backoff"}, default="raise"
        On a non-finite loss: raise a ``ValueError`` naming the epoch and the remedy, or
        roll the epoch back and halve the learning rate.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    solver_, n_iter_, t_, loss_curve_, validation_scores_, best_loss_, history_
        As in :class:`skgd.linear_model.LinearRegression`.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skgd.linear_model import LogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = LogisticRegression().fit(X, y)
    >>> clf.classes_, clf.coef_.shape
    (array([0, 1, 2]), (3, 4))
    >>> round(clf.score(X, y), 2)
    0.97
    >>> clf.predict_proba(X[:1]).round(2)
    array([[0.98, 0.02, 0.  ]])
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
            Training data (float64 or float32; CSR for sparse input).
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows, multiplied by ``class_weight``; None =
            unit weights.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Held-out data whose loss and accuracy are recorded each epoch and used for
            early stopping when ``early_stopping=True``.
        y_val : array-like of shape (n_val,), default=None
            Labels of ``X_val`` (pass both or neither).

        Returns
        -------
        self : LogisticRegression
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, X_val, y_val, partial=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the optimizer state and schedule.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            All the labels of the problem: required on the first call (a batch need
            not contain every class), and must be the same on later calls.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows; None = unit weights.

        Returns
        -------
        self : LogisticRegression
            The updated estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skgd.linear_model import LogisticRegression
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = LogisticRegression(solver="sgd", random_state=0)
        >>> clf = clf.partial_fit(X[:75], y[:75], classes=[0, 1, 2])
        >>> clf = clf.partial_fit(X[75:], y[75:])
        >>> clf.n_iter_, clf.classes_
        (2, array([0, 1, 2]))
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
        """Logits :math:`x^\top W + b`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The logit of the positive class for two classes, else one logit per class.
        """
        raw = self._decision(X)
        return raw.ravel() if raw.shape[1] == 1 else raw

    @lazy_on_dask
    def predict(self, X):
        """Predicted class labels (the class of the largest logit).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        return self._labels(self._decision(X))

    @lazy_on_dask
    def predict_proba(self, X):
        """Class probabilities (sigmoid for two classes, softmax otherwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes in the order of ``classes_``.
        """
        raw = self._decision(X)
        if raw.shape[1] == 1:
            p = expit(raw[:, 0])
            return np.column_stack([1 - p, p])
        return softmax(raw, axis=1)

    @lazy_on_dask
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of the classes in the order of ``classes_``.
        """
        return np.log(self.predict_proba(X))
