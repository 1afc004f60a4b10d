"""Multi-layer perceptron classifier."""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import column_or_1d

from .._dask import lazy_on_dask
from ..losses import LogLoss, Multinomial
from ..utils._compat import StrOptions
from ..utils._labels import check_targets, label_indices, sorted_labels
from ..utils._validation import class_weight_vector
from ._base import BaseMLP

_COMMON_DOC = r"""
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Width of each hidden layer.
    activation : str, default="relu"
        Hidden-layer activation, a name of
        :data:`skgd.neural_network.ACTIVATIONS`: "identity", "logistic", "tanh", "relu",
        "leaky_relu", "elu", "gelu", "softplus".
    solver : str or Optimizer, default="adam"
        Any optimizer of :mod:`skgd.solver` ("sgd", "momentum", "nesterov", "adagrad",
        "adadelta", "rmsprop", "adam", "adamw", "nadam", "amsgrad") or full-batch
        "lbfgs". Optimizer hyperparameters (scikit-learn's ``beta_1``, ``beta_2``,
        ``epsilon``, ``momentum``) are set on the object:
        ``solver=skgd.solver.Adam(beta_1=0.8)``, ``solver=skgd.solver.Nesterov(momentum=0.9)``.
    alpha : float, default=1e-4
        Strength of the L2 penalty :math:`\tfrac{\alpha}{2}\sum_l\|W_l\|_F^2` on the
        weights (not on intercepts or batch-norm parameters), added to the *mean*
        loss and applied by the solver as a proximal step with the optimizer's
        per-coordinate step (with ``solver="adamw"``: decoupled weight decay).
    batch_size : int, "auto" or "full", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``. Ignored by "lbfgs".
    learning_rate : str or Schedule, default="constant"
        Any schedule of :mod:`skgd.solver`; scikit-learn's "adaptive" is an alias of
        "plateau" (divide the rate by 5 after ``n_iter_no_change`` epochs without
        improvement). "invscaling" uses ``skgd.solver.InvScaling(power_t)``.
    learning_rate_init : float, default=0.001
        The initial step size :math:`\eta_0` (> 0) the schedule starts from. Not used
        by "lbfgs".
    max_iter : int, default=200
        Epochs (iterations for "lbfgs").
    shuffle : bool, default=True
        Whether to shuffle the rows before each epoch.
    random_state : int, RandomState or None, default=None
        Seeds the initialisation, shuffling, dropout masks and the validation split.
    tol : float or None, default=1e-4
        Stop when the epoch's training loss (the validation score with
        ``early_stopping``) has not improved by ``tol`` for ``n_iter_no_change`` epochs
        in a row (with the "plateau"/"adaptive" schedule: lower the step instead,
        until it is tiny); None runs all ``max_iter`` epochs. For "lbfgs": stop when
        the largest gradient entry is below ``tol``.
    verbose : bool or int, default=False
        0/False = silent, 1/True = one live progress line per fit (epoch, time left,
        loss, validation score), 2 or more = one line per epoch.
    warm_start : bool, default=False
        Continue from the previous weights, optimizer moments and schedule step.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (or use ``X_val, y_val`` passed to
        :meth:`fit`), stop when its score stops improving and restore the best weights
        (and batch-norm statistics).
    validation_fraction : float, default=0.1
        Fraction of the training rows held out for ``early_stopping`` (in (0, 1);
        stratified for classification); not used when ``X_val``/``y_val`` are passed.
    n_iter_no_change : int, default=10
        Number of epochs without improvement (by ``tol``) before stopping or, with
        the "plateau" schedule, before the step is lowered.
    dropout : float or sequence of float, default=0.0
        Dropout rate after each hidden layer (one rate for all or one per layer),
        inverted dropout in training, none at prediction. The full-batch "lbfgs"
        solver needs a deterministic objective and ignores dropout.
    batch_norm : bool, default=False
        Batch-normalise every hidden layer before its activation (the layer's
        intercept becomes the normalisation shift :math:`\beta`; scale
        :math:`\gamma` and running statistics (momentum 0.1, :math:`\epsilon=10^{-5}`)
        are in ``batch_norm_``). Batch statistics are weighted by the sample weights.
    init : {"glorot", "he"}, default="glorot"
        Uniform initialisation of the weights: Glorot (scikit-learn's, with the
        logistic factor) or He (:math:`\sqrt{6/n_{in}}`, for ReLU-like activations).
        Intercepts start at zero (scikit-learn draws them at random).
    average : bool or int, default=False
        Polyak–Ruppert averaging: predict with the mean of the iterates after each
        update instead of the last one (``True``: from the first update; an int ``n``:
        once ``n`` samples have been seen, as scikit-learn's SGD ``average``). Per-sample
        fits with averaging run in the generic loop, not the compiled kernels.
    max_grad_norm : float or None, default=None
        Clip each mini-batch gradient to this global norm.
    divergence : {"raise", "backoff"}, default="raise"
        On a non-finite loss raise (naming the epoch and remedies) or roll back the
        epoch and halve the learning rate."""

_DIFFERENCES_DOC = r"""
    Notes
    -----
    Differences from scikit-learn's MLP:

    - ``alpha`` penalises the mean loss: scikit-learn adds
      :math:`\tfrac{\alpha}{2 n_b}\|W\|^2` to the mean loss of each batch of size
      :math:`n_b` (the full data size for "lbfgs"), so its ``alpha`` corresponds to
      ``alpha / batch_size`` here (``alpha / n_samples`` with "lbfgs"). The defaults
      are kept, so the default penalty is stronger than scikit-learn's.
    - ``solver="sgd"`` is plain SGD; scikit-learn's default ``momentum=0.9,
      nesterovs_momentum=True`` is ``solver=skgd.solver.Nesterov(momentum=0.9)``.
      The parameters ``momentum``, ``nesterovs_momentum``, ``beta_1``, ``beta_2``,
      ``epsilon`` and ``power_t`` live on the optimizer/schedule objects; ``max_fun``
      does not exist (L-BFGS stops on ``max_iter`` or ``tol``).
    - The L2 penalty is a proximal step after the optimizer's update (with Adam it is
      not fed through the moment estimates).
    - Intercepts are initialised at zero; the random stream differs, so fits with the
      same ``random_state`` are not bit-identical to scikit-learn's.
    - Multi-output regression sums the half squared error over outputs (scikit-learn
      averages it), i.e. its loss is :math:`K` times scikit-learn's.
    - Invalid data raise (a single class, NaN/inf) rather than fit a degenerate model."""


class MLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = r"""Multi-layer perceptron classifier fitted by the shared solver.

    Minimises

    .. math::
        \frac{\sum_i s_i\, L(y_i, f_\theta(x_i))}{\sum_i s_i}
        + \frac{\alpha}{2}\sum_l \|W_l\|_F^2

    over the network :math:`f_\theta` (dense layers, optional batch norm, activation,
    dropout; see :mod:`skgd.neural_network._network`), with :math:`s_i` =
    ``sample_weight`` × ``class_weight`` and :math:`L` the softmax cross-entropy
    (multiclass), the binary cross-entropy of one logistic output (binary) or of one
    logistic output per label (multilabel, ``y`` an indicator matrix).
    No epoch loop lives here: every optimizer, schedule, stopping rule and clipping of
    :func:`skgd.solver.minimize` is available.

    Parameters
    ----------""" + _COMMON_DOC + r"""
    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights by class (not for multilabel targets).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coefs_ : list of ndarray
        ``coefs_[l]`` has shape (fan_in, fan_out); float32 for float32 input.
    intercepts_ : list of ndarray
        Biases (batch-norm shifts for batch-normalised layers).
    batch_norm_ : list of dict or None
        Per hidden layer: ``scale``, ``running_mean``, ``running_var``.
    n_layers_, n_outputs_, out_activation_ : int, int, str
    loss_ : float
        Last training loss (with the penalty).
    loss_curve_, validation_scores_, validation_loss_curve_ : lists
        Per epoch; the validation ones are None without validation data.
    best_validation_score_ : float or None
    best_loss_, n_iter_, t_ : float, int, int
    history_ : list of dict
        Per epoch: training loss, validation loss/score, learning rate, gradient norm,
        seconds and events.
""" + _DIFFERENCES_DOC + r"""

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgd.neural_network import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=10,
    ...                     tol=None, random_state=0)
    >>> clf = clf.fit(X[:1000] / 16, y[:1000])
    >>> round(clf.score(X[1000:] / 16, y[1000:]), 2)
    0.91
    >>> clf.predict(X[:2] / 16).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }
    _y_numeric = False

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=1e-4, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, max_iter=200, shuffle=True, random_state=None,
                 tol=1e-4, verbose=False, warm_start=False, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, dropout=0.0,
                 batch_norm=False, init="glorot", class_weight=None, average=False,
                 max_grad_norm=None,
                 divergence="raise"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.init = init
        self.class_weight = class_weight
        self.average = average
        self.max_grad_norm = max_grad_norm
        self.divergence = divergence

    # --- targets --------------------------------------------------------------------
    def _loss(self):
        return Multinomial() if self._kind == "multiclass" else LogLoss()

    def _encode_y(self, y, fitting, classes=None):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_targets(y)
        if fitting:
            if y.ndim == 2:
                self._kind, self.classes_ = "multilabel", np.arange(y.shape[1])
            else:
                labels = sorted_labels(y) if classes is None else np.unique(np.asarray(classes))
                if labels.size < 2:
                    raise ValueError(
                        "MLPClassifier needs samples of at least 2 classes in the data; got "
                        f"one class: {labels[0] if labels.size else None!r}."
                    )
                self._kind = "binary" if labels.size == 2 else "multiclass"
                self.classes_ = labels
            self.out_activation_ = "softmax" if self._kind == "multiclass" else "logistic"
        if self._kind == "multilabel":
            if y.ndim != 2 or y.shape[1] != self.classes_.size:
                raise ValueError(f"y must be an indicator matrix with {self.classes_.size} "
                                 "columns, as in the first fit.")
            return y.astype(np.float64), self.classes_.size
        if y.ndim != 1:
            raise ValueError("y must be 1-d labels, as in the first fit.")
        idx = label_indices(self.classes_, y)
        if self._kind == "binary":
            return idx.astype(np.float64).reshape(-1, 1), 1
        return idx, self.classes_.size

    def _weights(self, y_enc, sw, partial, counts=None):
        if self.class_weight is None:
            return sw
        if self._kind == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets.")
        yi = y_enc.ravel().astype(np.int64)
        if counts is None:
            counts = np.bincount(yi, minlength=len(self.classes_))
        cw = class_weight_vector(self.class_weight, self.classes_, counts, partial=partial)
        return sw * cw[yi]

    def _stratify(self, y_enc):
        return None if self._kind == "multilabel" else y_enc.ravel().astype(np.int64)

    def _val_score(self, y_val):
        y_val = np.asarray(y_val)
        if y_val.ndim == 2 and y_val.shape[1] == 1:
            y_val = y_val.ravel()

        def score(raw):
            pred = self._labels(raw)
            if pred.ndim == 2:  # multilabel: subset accuracy, as accuracy_score
                return float(np.mean(np.all(pred == y_val, axis=1)))
            return float(np.mean(pred == y_val))

        return score

    def _labels(self, raw):
        if self._kind == "multilabel":
            return (raw > 0).astype(np.int64)
        if self._kind == "binary":
            return self.classes_[(raw[:, 0] > 0).astype(np.int64)]
        return self.classes_[np.argmax(raw, axis=1)]

    def _store_params(self, objective):
        super()._store_params(objective)
        self.best_validation_score_ = (None if self.validation_scores_ is None
                                       else float(np.max(self.validation_scores_)))

    # --- public API -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Fit the network (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float64 or float32; CSR for sparse input).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or a 0/1 indicator matrix for multilabel classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows, multiplied by ``class_weight``;
            None = unit weights.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Held-out data, recorded each epoch (``history_``, ``validation_loss_curve_``)
            and used for early stopping when ``early_stopping=True`` (instead of
            ``validation_fraction``).
        y_val : array-like of shape (n_val,) or (n_val, n_labels), default=None
            Targets of ``X_val`` (pass both or neither).

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, X_val, y_val, partial=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the weights, optimizer state and
        schedule step.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Its labels (or indicator matrix).
        classes : array-like of shape (n_classes,), default=None
            All the labels of the problem: required on the first call for 1-d labels (a
            batch need not contain every class), and must be the same on later calls.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows; None = unit weights.

        Returns
        -------
        self : MLPClassifier
            The updated estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from skgd.neural_network import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), batch_size=10, random_state=0)
        >>> clf = clf.partial_fit(X[::2], y[::2], classes=[0, 1, 2])
        >>> clf = clf.partial_fit(X[1::2], y[1::2])
        >>> clf.n_iter_, [w.shape for w in clf.coefs_]
        (2, [(4, 8), (8, 3)])
        """
        if not hasattr(self, "_solver_state"):
            self._validate_params()
            if classes is None and np.asarray(y).ndim == 1:
                raise ValueError("classes must be passed on the first call to partial_fit.")
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError("classes differ from those of the first partial_fit call.")
        return self._fit(X, y, sample_weight, None, None, partial=True, classes=classes)

    @lazy_on_dask
    def predict(self, X):
        """Class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_`` (0/1 indicators for multilabel targets).
        """
        return self._labels(self._forward(X))

    @lazy_on_dask
    def predict_proba(self, X):
        r"""Class probabilities, shape (n_samples, n_classes), ordered as ``classes_``.

        Sigmoid outputs (binary, multilabel) are clipped to
        :math:`[\epsilon, 1-\epsilon]` with the machine epsilon of the dtype.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Softmax probabilities (multiclass), or sigmoid ones (binary: both columns;
            multilabel: one independent probability per label).
        """
        raw = self._forward(X)
        if self._kind == "multiclass":
            return softmax(raw, axis=1)
        p = expit(raw)
        # keep sigmoid probabilities strictly inside (0, 1) (saturation at 1.0 in floats)
        eps = np.finfo(p.dtype).eps
        np.clip(p, eps, 1 - eps, out=p)
        if self._kind == "binary":
            return np.column_stack([1 - p[:, 0], p[:, 0]])
        return p

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
            The log-probabilities.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
