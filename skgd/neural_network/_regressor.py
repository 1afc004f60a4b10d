"""Multi-layer perceptron regressor."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import column_or_1d

from .._dask import lazy_on_dask
from ..losses import SquaredError
from ..utils._compat import StrOptions
from ._base import BaseMLP
from ._classifier import _COMMON_DOC, _DIFFERENCES_DOC


class MLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = r"""Multi-layer perceptron regressor fitted by the shared solver.

    Minimises

    .. math::
        \frac{\sum_i s_i\, \tfrac12\|y_i - f_\theta(x_i)\|^2}{\sum_i s_i}
        + \frac{\alpha}{2}\sum_l \|W_l\|_F^2

    over the network :math:`f_\theta` (dense layers, optional batch norm, activation,
    dropout; identity output, one unit per target), with :math:`s_i` =
    ``sample_weight``. No epoch loop lives here: every optimizer, schedule, stopping
    rule and clipping of :func:`skgd.solver.minimize` is available.

    Parameters
    ----------
    loss : {"squared_error"}, default="squared_error"
        The half squared error, summed over outputs.""" + _COMMON_DOC + r"""

    Attributes
    ----------
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
        Per epoch (validation score: :math:`R^2`); None without validation data.
    best_validation_score_ : float or None
    best_loss_, n_iter_, t_ : float, int, int
    history_ : list of dict
        Per epoch: training loss, validation loss/score, learning rate, gradient norm,
        seconds and events.
""" + _DIFFERENCES_DOC + r"""

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.neural_network import MLPRegressor
    >>> X = np.random.RandomState(0).rand(100, 3)
    >>> reg = MLPRegressor(max_iter=5, tol=None, random_state=0).fit(X, X.sum(axis=1))
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error"})],
    }
    _y_numeric = True
    out_activation_ = "identity"

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu",
                 *, solver="adam", alpha=1e-4, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, max_iter=200, shuffle=True, random_state=None,
                 tol=1e-4, verbose=False, warm_start=False, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, dropout=0.0,
                 batch_norm=False, init="glorot", average=False, max_grad_norm=None,
                 divergence="raise"):
        self.loss = loss
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
        self.average = average
        self.max_grad_norm = max_grad_norm
        self.divergence = divergence

    def _loss(self):
        return SquaredError()

    def _encode_y(self, y, fitting, classes=None):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if fitting:
            self._y_ndim = y.ndim
            self._n_targets = 1 if y.ndim == 1 else y.shape[1]
        y2 = y.reshape(y.shape[0], -1).astype(np.float64)
        if y2.shape[1] != self._n_targets:
            raise ValueError(f"y has {y2.shape[1]} targets; the first fit had "
                             f"{self._n_targets}.")
        return y2, self._n_targets

    def _val_score(self, y_val):
        y = np.asarray(y_val, dtype=np.float64).reshape(np.shape(y_val)[0], -1)

        def score(raw):
            # R^2 averaged uniformly over outputs, as RegressorMixin.score
            ss_res = ((y - raw) ** 2).sum(axis=0)
            ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
            ok = ss_tot > 0
            r2 = np.where(ok, 1 - ss_res / np.where(ok, ss_tot, 1), 0.0)
            return float(r2.mean())

        return score

    def _store_params(self, objective):
        super()._store_params(objective)
        self.best_validation_score_ = (None if self.validation_scores_ is None
                                       else float(np.max(self.validation_scores_)))

    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Fit the network (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float64 or float32; CSR for sparse input).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows;
            None = unit weights.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Held-out data, recorded each epoch (``history_``, ``validation_loss_curve_``)
            and used for early stopping when ``early_stopping=True`` (instead of
            ``validation_fraction``).
        y_val : array-like of shape (n_val,) or (n_val, n_targets), default=None
            Targets of ``X_val`` (pass both or neither).

        Returns
        -------
        self : MLPRegressor
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, X_val, y_val, partial=False)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the weights, optimizer state and
        schedule step.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows; None = unit weights.

        Returns
        -------
        self : MLPRegressor
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skgd.neural_network import MLPRegressor
        >>> X = np.random.RandomState(0).rand(50, 2)
        >>> reg = MLPRegressor(hidden_layer_sizes=(4,), batch_size=10, random_state=0)
        >>> reg = reg.partial_fit(X, X.sum(axis=1))
        >>> reg.n_iter_, reg.predict(X[:3]).shape
        (1, (3,))
        """
        if not hasattr(self, "_solver_state"):
            self._validate_params()
        return self._fit(X, y, sample_weight, None, None, partial=True)

    @lazy_on_dask
    def predict(self, X):
        """Predicted targets, shape (n_samples,) or (n_samples, n_targets).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The network's outputs.
        """
        raw = self._forward(X)
        return raw[:, 0] if self._y_ndim == 1 else raw
