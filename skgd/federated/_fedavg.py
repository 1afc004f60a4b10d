"""The FederatedAveraging meta-estimator."""

from __future__ import annotations

from numbers import Integral, Real

from sklearn.base import BaseEstimator, MetaEstimatorMixin
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..base import GDMixin
from ..utils._compat import HasMethods, Interval, StrOptions
from ._rounds import FederatedRun

__all__ = ["FederatedAveraging"]


def _estimator_has(name: str):
    def check(self) -> bool:
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, name)
        return hasattr(self.estimator, name)

    return check


def _check_estimator(est) -> None:
    if not isinstance(est, GDMixin):
        raise ValueError("FederatedAveraging federates skgd estimators (LinearRegression, "
                         "LogisticRegression, MLPClassifier, MLPRegressor, "
                         f"MatrixFactorization); got {type(est).__name__}.")
    opt = est._optimizer()
    if opt.full_batch:
        raise ValueError(
            f"FederatedAveraging trains the clients with first-order updates; "
            f"solver={opt.name!r} runs full-batch second-order iterations to convergence "
            "and is refused. Use a first-order solver, e.g. solver='sgd' or 'adam' "
            "(batch_size='full' gives full-batch gradient descent).")
    if getattr(est, "average", False):
        raise ValueError("FederatedAveraging averages the clients' models; the estimator's "
                         "average (iterate averaging) is not supported: set average=False.")


class FederatedAveraging(MetaEstimatorMixin, BaseEstimator):
    r"""Federated training of an skgd estimator: FedAvg and FedProx.

    Each distinct label of ``groups`` is a client that holds its own rows; the rows
    never leave it, only parameters do. One round (McMahan et al., 2017):

    1. sample :math:`m = \max(1, \mathrm{round}(C K))` of the :math:`K` clients
       (``client_fraction`` :math:`C`), without replacement;
    2. every sampled client :math:`k` copies the global model (parameters
       :math:`w^t`, optimizer moments and schedule step: the estimator's warm start)
       and trains it for ``local_epochs`` epochs on its rows, minimising

       .. math:: h_k(w) = F_k(w) + \alpha R(w) + \tfrac{\mu}{2}\|w - w^t\|^2

       with :math:`F_k` the weighted mean loss of its rows, the estimator's penalty
       :math:`\alpha R` and, for ``proximal_mu`` :math:`\mu > 0`, FedProx's proximal
       term (Li et al., 2020), applied by the solver as a proximal step
       (:class:`skgd.solver.ProximalTerm`);
    3. the server averages the clients' parameters (and optimizer moments):
       :math:`w^{t+1} = \sum_k a_k w_k / \sum_k a_k` with :math:`a_k = S_k`, the
       client's sum of sample weights (its row count for unit weights:
       ``aggregate="weighted"``), or :math:`a_k = 1` (``"uniform"``).

    With weighted aggregation and full participation this minimises the global
    objective :math:`\sum_k S_k F_k / \sum_k S_k + \alpha R`, the estimator's own
    objective on the pooled data.

    The clients of a round run in parallel on joblib's active backend
    (``joblib.parallel_config(backend="loky" | "threading" | "dask", n_jobs=...)``;
    sequential by default). Every random stream (initial parameters, client sampling,
    each client's shuffling, dropout, negative sampling) is derived from
    ``random_state``, the round and the client, and the average is summed in a fixed
    order, so the model does not depend on the backend.

    **MatrixFactorization** (federated recommendation): each client is a set of users
    (every rating row of a user carries the user's client label). Item factors and
    biases, extra fields and the learned global offset are federated, each row
    averaged over the clients whose ratings touch it, weighed by their (weighted)
    number of such ratings; user factors and biases stay on their client: only it
    ever updates them, and they are neither averaged nor anchored by the proximal
    term. The global mean rating :math:`\mu` is the weighted mean over all clients
    (a sum the server can aggregate). Predictions of the global model use each
    user's own factors, as the client's device would.

    Parameters
    ----------
    estimator : skgd estimator
        ``LinearRegression``, ``LogisticRegression``, ``MLPClassifier``,
        ``MLPRegressor`` or ``MatrixFactorization`` with a first-order ``solver``
        (``"lbfgs"``/``"newton"`` are refused). Its ``random_state``, ``warm_start``,
        ``max_iter``, ``tol`` and ``early_stopping`` are replaced by the federated
        schedule; ``alpha="auto"`` and ``class_weight="balanced"`` are resolved on the
        pooled data; ``average`` must be False.
    n_rounds : int, default=10
        Communication rounds.
    local_epochs : int, default=1
        Epochs of local training per round (over the client's rows).
    client_fraction : float in (0, 1], default=1.0
        Fraction :math:`C` of the clients sampled each round.
    proximal_mu : float, default=0.0
        FedProx's :math:`\mu`. It covers every federated parameter (intercepts
        included; not MF user factors). A model trained only by compiled per-sample
        kernels (``MatrixFactorization(svdpp=True)``) refuses it; other per-sample
        fits (``batch_size=1``) then run in the solver's generic loop (same updates,
        slower).
    aggregate : {"weighted", "uniform"}, default="weighted"
        Weigh client updates by their sample counts or equally.
    random_state : int, RandomState or None, default=None
        Seeds everything (see above).

    Attributes
    ----------
    estimator_ : estimator
        The global model; ``predict``, ``predict_proba``, ``score`` and ``classes_``
        come from it. Its ``history_`` and ``loss_curve_`` have one record per round.
    history_ : list of dict
        One record per round: ``round``, ``train_loss`` (the global model's training
        objective on all clients' rows), ``val_score`` (``estimator_.score`` on
        ``X_val, y_val``, or None), ``clients`` (labels used), ``drift`` (mean over
        the round's clients of :math:`\|w_k - w^t\|` over the federated parameters),
        ``local_loss`` (weighted mean of the clients' last local-epoch objective,
        proximal term included) and ``seconds``.
    n_clients_ : int
        Number of clients (distinct ``groups`` labels).
    client_labels_ : ndarray
        Their labels, sorted.

    Notes
    -----
    A client is a label present in ``groups``, so every client has rows; a client
    whose rows hold a single class trains the global set of classes (the copy keeps
    the global model's ``classes_``). Bad input (``groups`` of the wrong length or
    with NaN, a user split across MF clients, an estimator that cannot be federated)
    raises ``ValueError``; a fit that raises, in any round, leaves the estimator as
    it was.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skgd.federated import FederatedAveraging
    >>> from skgd.neural_network import MLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> groups = y % 4  # four clients, each with a few digits only
    >>> fed = FederatedAveraging(MLPClassifier((32,), batch_size=32),
    ...                          n_rounds=3, random_state=0)
    >>> fed = fed.fit(X / 16, y, groups=groups)
    >>> len(fed.history_), fed.predict(X[:2] / 16).shape
    (3, (2,))
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"])],
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "local_epochs": [Interval(Integral, 1, None, closed="left")],
        "client_fraction": [Interval(Real, 0, 1, closed="right")],
        "proximal_mu": [Interval(Real, 0, None, closed="left")],
        "aggregate": [StrOptions({"weighted", "uniform"})],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator, *, n_rounds=10, local_epochs=1, client_fraction=1.0,
                 proximal_mu=0.0, aggregate="weighted", random_state=None):
        self.estimator = estimator
        self.n_rounds = n_rounds
        self.local_epochs = local_epochs
        self.client_fraction = client_fraction
        self.proximal_mu = proximal_mu
        self.aggregate = aggregate
        self.random_state = random_state

    def fit(self, X, y=None, groups=None, sample_weight=None, X_val=None, y_val=None):
        """Run ``n_rounds`` rounds of federated training from a fresh global model.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, ...)
            Every client's rows, as the estimator takes them.
        y : array-like of shape (n_samples,) or None, default=None
            Targets (None for implicit-feedback ``MatrixFactorization``).
        groups : array-like of shape (n_samples,), default=None
            The client of each row (required).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows, used in the clients' local fits (and, with
            ``aggregate="weighted"``, each client's share of the average); None = unit
            weights.
        X_val : array-like, sparse matrix or DataFrame, default=None
            Held-out data, scored by the global model after every round
            (``history_[r]["val_score"]``).
        y_val : array-like, default=None
            Targets of ``X_val`` (pass both or neither).

        Returns
        -------
        self : FederatedAveraging
            The fitted meta-estimator (global model in ``estimator_``).
        """
        self._validate_params()
        _check_estimator(self.estimator)
        if (X_val is None) != (y_val is None):
            raise ValueError("Pass both X_val and y_val, or neither.")
        run = FederatedRun(self, X, y, groups, sample_weight)
        history = [run.round(r, X_val, y_val) for r in range(self.n_rounds)]
        run.close()
        # only now, every round having succeeded, the estimator changes
        self.estimator_ = run.est
        self.history_ = history
        self.n_clients_ = len(run.clients)
        self.client_labels_ = run.clients.labels
        if hasattr(run.est, "n_features_in_"):
            self.n_features_in_ = run.est.n_features_in_
        return self

    # --- the global model ---------------------------------------------------------
    @property
    def classes_(self):
        """The global model's classes."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.classes_

    def predict(self, X):
        """``estimator_.predict(X)``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, ...)
            Samples, as the wrapped estimator takes them.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions of the global model.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """``estimator_.predict_proba(X)``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, ...)
            Samples, as the wrapped estimator takes them.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Class probabilities of the global model.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """``estimator_.predict_log_proba(X)``.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, ...)
            Samples, as the wrapped estimator takes them.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Their logarithms.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_log_proba(X)

    def score(self, X, y, sample_weight=None):
        """``estimator_.score(X, y)`` (accuracy for classifiers, :math:`R^2` else).

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, ...)
            Samples, as the wrapped estimator takes them.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.

        Returns
        -------
        score : float
            The global model's score.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.input_tags = inner.input_tags
        tags.target_tags.required = inner.target_tags.required
        return tags
