"""Linear regression by gradient descent."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from .._dask import lazy_on_dask
from ..losses import LOSSES, Loss
from ..utils._compat import Interval
from ._base import BaseLinearGD, resolve_loss


class LinearRegression(RegressorMixin, BaseLinearGD):
    r"""Linear regression fitted by the shared gradient-descent solver.

    Minimises

    .. math::
        \frac{\sum_i s_i\, L(y_i, x_i^\top w + b)}{\sum_i s_i} + \alpha\, R(w)

    with sample weights :math:`s_i`, the loss :math:`L` (``squared_error``:
    :math:`\tfrac12(y-\hat y)^2`; ``huber``; ``epsilon_insensitive``:
    :math:`\max(0, |y-\hat y|-\epsilon)`) and the penalty :math:`R` (``l2``:
    :math:`\tfrac12\|w\|^2`; ``l1``: :math:`\|w\|_1`; ``elasticnet``:
    :math:`\rho\|w\|_1 + \tfrac{1-\rho}{2}\|w\|^2`). The intercept :math:`b` is never
    penalised. ``penalty="l1"`` has the optimum of scikit-learn's ``Lasso(alpha)`` and
    ``penalty="l2"`` with ``squared_error`` the ridge solution of
    :math:`(X_c^\top X_c/n + \alpha I)w = X_c^\top y_c/n` (centred data).

    The defaults (``solver="auto"`` with ``batch_size=1``) are per-sample Adam with
    the ``invscaling`` schedule (:math:`\eta_t = 0.1/(t+1)^{1/4}`); with
    ``batch_size="full"`` ``"auto"`` picks L-BFGS for a smooth problem and FISTA for
    an L1 or elastic-net penalty. Unlike plain SGD (scikit-learn's
    ``SGDRegressor``), whose stable step depends on :math:`\|x\|^2`, Adam's step is
    bounded per coordinate, so the defaults do not diverge on unscaled features; use
    ``solver="sgd", learning_rate_init=0.01`` for ``SGDRegressor``'s algorithm (faster
    per epoch on scaled data). A multi-output ``y`` of shape ``(n, K)`` fits ``K``
    independent outputs at once.

    Parameters
    ----------
    loss : {"squared_error", "huber", "epsilon_insensitive"} or Loss, default="squared_error"
        The per-sample loss :math:`L`: the half squared error, Huber's loss (quadratic
        for :math:`|r|\le\epsilon`, linear beyond) or the epsilon-insensitive loss of
        support vector regression; a regression loss registered in
        ``skgd.losses.LOSSES`` or an instance of one.
    epsilon : float, default=0.1
        Width of the quadratic zone of ``huber`` / of the insensitive band of
        ``epsilon_insensitive``; ignored by the other losses.
    fit_intercept : bool, default=True
        Whether to fit the (unpenalised) intercept :math:`b`; if False, :math:`b = 0`.
    solver : "auto", str or Optimizer, default="auto"
        ``"auto"`` resolves at fit time (stored in ``solver_``): ``"lbfgs"`` for a
        full-batch fit with a smooth loss and penalty, ``"fista"`` for a full-batch fit
        with an L1/elastic-net penalty, ``"adam"`` otherwise (``batch_size`` not
        ``"full"``, ``partial_fit``, ``average``, ``epsilon_insensitive``). Else a
        registered optimizer name (see ``skgd.solver.OPTIMIZERS``) or an object such as
        ``skgd.solver.Adam(beta_1=0.8)``; full-batch ``"lbfgs"`` and ``"newton"`` for the
        smooth losses without L1, ``"fista"`` for the smooth losses with any penalty.
    learning_rate : str or Schedule, default="invscaling"
        The step-size schedule :math:`\eta_t`: a registered name (``"constant"``,
        ``"invscaling"``, ``"optimal"``, ``"step"``, ``"exponential"``, ``"cosine"``,
        ``"warmup_cosine"``, ``"onecycle"``, ``"plateau"``; see
        ``skgd.solver.SCHEDULES``) or a schedule object such as
        ``skgd.solver.InvScaling(power_t=0.5)``. Not used by ``"lbfgs"``/``"newton"``.
    learning_rate_init : float, default=0.1
        The initial step size :math:`\eta_0` the schedule starts from (> 0).
    batch_size : int, "full" or "auto", default=1
        1 = stochastic (per-sample) GD, an int = mini-batch, ``"full"`` = batch GD,
        ``"auto"`` = ``min(200, n_samples)``. Not used by ``"lbfgs"``/``"newton"``.
    penalty : {"l2", "l1", "elasticnet"}, None or Regularizer, default="l2"
        The penalty :math:`R` on the coefficients (not the intercept). L1 and
        elastic-net are applied as a proximal step after each update, so they give
        exact zeros with every first-order optimizer; None = no penalty.
    alpha : float, default=1e-4
        The penalty strength :math:`\alpha \ge 0` (the objective is the weighted
        *mean* loss plus :math:`\alpha R(w)`).
    l1_ratio : float, default=0.15
        The elastic-net mixing :math:`\rho \in [0, 1]` (1 = L1, 0 = L2); only used by
        ``penalty="elasticnet"``.
    max_iter : int, default=1000
        Maximum number of epochs (passes over the data); iterations for the
        full-batch ``"lbfgs"`` and ``"newton"``.
    tol : float or None, default=1e-3
        Stochastic fits (``batch_size`` not ``"full"``) stop when the monitored quantity
        has not improved by ``tol`` for ``n_iter_no_change`` epochs. Full-batch
        first-order fits (FISTA included) stop on an optimality certificate instead:
        when the norm of the proximal-gradient mapping
        :math:`G(w) = (w - \operatorname{prox}_{t\alpha R}(w - t\nabla F(w)))/t`
        (:math:`t = 1`, FISTA: its step :math:`1/L`) is at most ``tol`` times its value
        at the cold start (also under ``warm_start``); they return the iterate of
        lowest :math:`F + \alpha R` and warn (``ConvergenceWarning``) when ``max_iter``
        or a failed line search ends them first. L-BFGS/Newton stop when the largest
        gradient entry is below ``tol``. None runs all ``max_iter`` epochs.
    n_iter_no_change : int, default=5
        Number of epochs without improvement (by ``tol``) before stopping, or before
        the ``"plateau"`` schedule lowers the step.
    early_stopping : bool, default=False
        Monitor the R² on a held-out ``validation_fraction`` (or ``X_val``/``y_val``
        passed to ``fit``) and restore the best weights.
    validation_fraction : float, default=0.1
        Fraction of the training rows held out for ``early_stopping`` (in (0, 1));
        not used when ``X_val``/``y_val`` are passed or early stopping is off.
    shuffle : bool, default=True
        Whether to shuffle the rows before each epoch (stochastic and mini-batch GD).
    random_state : int, RandomState or None, default=None
        Seeds the shuffling and the ``early_stopping`` validation split (the
        coefficients start at zero, so nothing else is random); an int makes fits
        reproducible.
    warm_start : bool, default=False
        Continue from the previous fit, keeping the optimizer state and schedule step.
    verbose : int, default=0
        0 = silent, 1 = one live progress line per fit (epoch, time left, loss,
        validation score), 2 or more = one line per epoch.
    average : bool or int, default=False
        Polyak–Ruppert averaging: predict with the mean of the iterates after each
        update instead of the last one (``True``: from the first update; an int ``n``:
        once ``n`` samples have been seen, as scikit-learn's SGD ``average``). Per-sample
        fits with averaging run in the generic loop, not the compiled kernels.
    max_grad_norm : float or None, default=None
        Clip each (mini-batch or per-sample) gradient to this global norm.
    divergence : {"raise", "backoff"}, default="raise"
        On a non-finite loss: raise a ``ValueError`` naming the epoch and the remedy, or
        roll the epoch back and halve the learning rate.

    Attributes
    ----------
    solver_ : str or Optimizer
        The solver of the last fit: ``solver``, or the name ``"auto"`` resolved to.
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
    intercept_ : ndarray of shape (1,) or (n_targets,)
    n_iter_ : int
        Epochs run (cumulative over ``partial_fit`` and ``warm_start``).
    t_ : int
        Updates made (cumulative).
    loss_curve_ : list of float
        Training objective per epoch (mean loss during the epoch plus the penalty).
    validation_scores_ : list of float or None
        Validation R² per epoch.
    best_loss_ : float
    history_ : list of dict
        Per epoch: ``train_loss``, ``val_loss``, ``val_score``, ``learning_rate``,
        ``grad_norm``, ``seconds``, ``events`` and ``optimality`` (the relative
        certificate of a full-batch first-order fit, else None).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> y = X @ np.array([1.0, -2.0, 0.5]) + 3.0
    >>> reg = LinearRegression(solver="lbfgs", alpha=0.0).fit(X, y)
    >>> np.round(reg.coef_, 3), np.round(reg.intercept_, 3)
    (array([ 1. , -2. ,  0.5]), array([3.]))
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **BaseLinearGD._parameter_constraints,
        "loss": [LOSSES.options(lambda cls: cls.task == "regression"), Loss],
        "epsilon": [Interval(Real, 0, None, closed="left")],
    }
    _multi_output = True
    _y_numeric = True

    def __init__(self, loss="squared_error", *, epsilon=0.1, fit_intercept=True, solver="auto",
                 learning_rate="invscaling", learning_rate_init=0.1, batch_size=1,
                 penalty="l2", alpha=1e-4, l1_ratio=0.15, max_iter=1000, tol=1e-3,
                 n_iter_no_change=5, early_stopping=False, validation_fraction=0.1,
                 shuffle=True, random_state=None, warm_start=False, verbose=0,
                 average=False, max_grad_norm=None, divergence="raise"):
        self.loss = loss
        self.epsilon = epsilon
        self.fit_intercept = fit_intercept
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

    def _loss(self):
        return resolve_loss(self.loss, self.epsilon)

    def _smooth_loss(self) -> bool:
        return bool(self._loss().smooth)

    def _encode_y(self, y, fitting, classes=None):
        y = np.asarray(y, dtype=np.float64)
        if fitting:
            self._y_ndim = y.ndim
        elif y.ndim != self._y_ndim and not (y.ndim == 2 and y.shape[1] == 1):
            raise ValueError("y has a different number of targets than in the first fit.")
        y2 = y.reshape(y.shape[0], -1)
        return y2, y2.shape[1]

    def _val_score(self, y_val):
        y_val = np.asarray(y_val, dtype=np.float64).reshape(len(y_val), -1)

        def score(raw):
            return r2_score(y_val, raw) if np.all(np.isfinite(raw)) else -np.inf

        return score

    def _shape_coef(self, coef, intercept):
        if self._y_ndim == 1:
            return coef.ravel(), intercept
        return coef, intercept

    def fit(self, X, y, sample_weight=None, X_val=None, y_val=None):
        """Fit the model (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (float64 or float32; CSR for sparse input).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights :math:`s_i` of the rows (integer weights equal
            repeated rows); None = unit weights.
        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            Held-out data whose loss and R² are recorded each epoch (``history_``,
            ``validation_scores_``) and used for early stopping when
            ``early_stopping=True`` instead of a ``validation_fraction`` split.
        y_val : array-like of shape (n_val,) or (n_val, n_targets), default=None
            Targets of ``X_val`` (pass both or neither).

        Returns
        -------
        self : LinearRegression
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, X_val, y_val, partial=False)

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing the optimizer state and schedule.

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
        self : LinearRegression
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from skgd.linear_model import LinearRegression
        >>> X = np.random.RandomState(0).normal(size=(100, 2))
        >>> y = X @ np.array([1.0, -1.0])
        >>> reg = LinearRegression(random_state=0)
        >>> for _ in range(3):
        ...     reg = reg.partial_fit(X, y)
        >>> reg.n_iter_, reg.t_, np.round(reg.coef_, 1)
        (3, 300, array([ 1., -1.]))
        """
        if not hasattr(self, "_solver_state"):
            self._validate_params()
        return self._fit(X, y, sample_weight, None, None, partial=True)

    @lazy_on_dask
    def predict(self, X):
        """Predicted targets :math:`Xw + b`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The predictions (one column per target of a multi-output fit).
        """
        raw = self._decision(X)
        return raw.ravel() if self._y_ndim == 1 else raw

