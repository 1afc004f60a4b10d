"""Matrix factorization / factorization machine over categorical fields."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..base import SOLVER_PARAMETER_CONSTRAINTS, GDMixin, transactional
from ..losses import LOSSES, MF_LOGISTIC, MF_SQUARED
from ..solver import Validation
from ..utils._compat import Interval, StrOptions
from ._ids import FieldEncoder
from ._objective import MFObjective, MFSpec, MFTables
from ._recommend import RecommendMixin
from ._tables import TablesMixin

__all__ = ["MatrixFactorization"]

_SOLVER_PARAMS = {k: v for k, v in SOLVER_PARAMETER_CONSTRAINTS.items()
                  if k not in ("penalty", "l1_ratio")}


class MatrixFactorization(TablesMixin, RecommendMixin, RegressorMixin, GDMixin,
                          BaseEstimator):
    r"""Biased matrix factorization (Funk-SVD) and factorization machines over
    categorical fields, fitted by the shared gradient-descent solver.

    Every column of ``X`` is a categorical field: column 0 holds user ids, column 1
    item ids, further columns more fields (user or item attributes, context). Ids may
    be ints, floats or strings. With fields :math:`f = 1..F` the model is

    .. math:: \hat y(x) = \mu + \sum_f b_f[x_f]
              + \sum_{f<g} \langle V_f[x_f], V_g[x_g] \rangle

    which for two fields is biased MF, :math:`\mu + b_u + b_i + p_u^\top q_i`.
    Ids unseen in training contribute nothing, so predictions fall back to the known
    parts (an unseen user gets :math:`\mu + b_i`).

    Training minimises, with sample weights :math:`s_i`,

    .. math:: \frac{1}{\sum_i s_i} \sum_i s_i \Big[ L_i
              + \tfrac{\alpha}{2} \sum_{v \in T_i} \|v\|^2
              + \tfrac{\alpha_b}{2} \sum_{b \in T_i} b^2 \Big]

    where :math:`T_i` are the factor rows and biases interaction :math:`i` touches:
    the regularisation is applied per interaction, weighted by frequency, as in
    Funk-SVD and Surprise. :math:`L_i` is

    - ``squared_error``: :math:`\tfrac12 (y_i - \hat y(x_i))^2` (explicit ratings;
      :math:`\mu` fixed at the weighted training mean of ``y``);
    - ``logistic``: :math:`\log(1+e^{-\hat y(x_i)}) + \sum_j \log(1+e^{\hat y(x_{ij})})`
      and ``bpr``: :math:`\sum_j \log(1+e^{-(\hat y(x_i) - \hat y(x_{ij}))})`
      (implicit feedback: ``X`` lists observed interactions, ``y`` optional
      non-negative weights), where :math:`x_{ij}` replaces the item side of row
      :math:`i` by a negative item :math:`j` drawn uniformly among the items the user
      has no training interaction with, ``n_negatives`` per row.

    With ``solver="sgd"``, ``batch_size=1`` and a constant learning rate, one epoch is
    exactly Surprise's ``SVD`` epoch (all parameters of an interaction move together
    from gradients at the old values): ``SVD(n_factors=k, n_epochs=e, lr_all=l,
    reg_all=r)`` corresponds to ``MatrixFactorization(n_components=k, max_iter=e,
    learning_rate_init=l, alpha=r, solver="sgd", batch_size=1)``. Every optimizer,
    schedule, clipping and stopping rule of :mod:`skgd.solver` applies; per-interaction
    updates run in a compiled kernel and mini-batches update only the rows they touch
    (row-wise, lazy updates).

    With ``svdpp=True`` (two fields, ``squared_error``, per-interaction SGD) the user
    vector becomes :math:`p_u + |N(u)|^{-1/2} \sum_{j \in N(u)} y_j` (SVD++, Koren
    2008), :math:`N(u)` being the items the user rated in training, and an interaction
    also touches (and regularises by :math:`\tfrac{\alpha_y}{2}\|y_j\|^2`) every
    :math:`y_j, j \in N(u)`: Surprise's ``SVDpp`` epoch, in O(k) per interaction.

    Extra fields that are functions of the user (e.g. age, occupation) or of the item
    (e.g. genre) in the training data are recognised as user or item attributes:
    :meth:`recommend` and :meth:`similar_items` use them, and negative sampling
    swaps the item attributes with the item.

    **Defaults and recommended setting** (MovieLens-100K, canonical folds u1..u5,
    ``benchmarks/bench_recommender.py``): the defaults (``k=100``, ``alpha=0.1``,
    ``learning_rate_init=0.01``, 40 epochs of per-interaction SGD) give a mean RMSE of
    0.9116 (u1: 0.9217); Surprise ``SVD``'s defaults give 0.9380 (u1: 0.9513). The
    recommended setting for ratings,

    ``MatrixFactorization(200, svdpp=True, alpha=0.1, alpha_bias=0.02,
    alpha_svdpp=0.01, init_std=0.05, learning_rate_init=0.007, max_iter=40)``,

    gives 0.9003 (u1: 0.9096; about 3 s per fold); the best plain biased MF,
    ``MatrixFactorization(100, alpha=0.1, alpha_bias=0.02, init_std=0.05,
    max_iter=50)``, gives 0.9089 (u1: 0.9179). Both were chosen by the mean RMSE of 3
    seeds on a 90/10 hold-out split of ``u1.base`` (the test folds were not looked at).
    For implicit feedback, ``MatrixFactorization(64, loss="bpr", solver="adam",
    learning_rate_init=0.01, alpha=0.01, max_iter=30)`` reaches precision@10 = 0.327
    on u1 (ratings >= 4 as positives; ``implicit``'s BPR: 0.285).

    Parameters
    ----------
    n_components : int, default=100
        Latent dimension :math:`k`.
    loss : {"squared_error", "logistic", "bpr"}, default="squared_error"
        The loss :math:`L_i` (see above): explicit ratings, or implicit feedback with
        sampled negatives (pointwise ``logistic`` or pairwise ``bpr``).
    global_bias : {"mean", "learn"} or None, default="mean"
        ``"mean"``: :math:`\mu` fixed at the weighted mean rating (Surprise);
        ``"learn"``: the mean plus a learned offset; None: no :math:`\mu`. With
        ``logistic``, ``"mean"`` and ``"learn"`` both learn :math:`\mu` from 0; ``bpr``
        has no :math:`\mu` (it cancels).
    biases : bool or array-like of bool, default=True
        Per-field biases :math:`b_f`: all, none, or one flag per column.
    alpha : float, default=0.1
        Regularisation :math:`\alpha` of the factor rows an interaction touches.
    alpha_bias : float or None, default=None
        Regularisation :math:`\alpha_b` of the biases (None: ``alpha``).
    init_std : float, default=0.1
        Factors start as :math:`\mathcal N(0, \mathrm{init\_std}^2)`; biases at zero.
    n_negatives : int, default=1
        Sampled negatives per observed interaction (implicit losses).
    clip : bool, default=True
        With ``squared_error``, clip predictions to the range of the training ratings.
    svdpp : bool, default=False
        Add the SVD++ term of the user's training items (see above). Each user's
        interactions are then visited back to back (the O(k) update of the shared
        :math:`y_j` needs it): ``shuffle`` randomises the order of the users and of
        each user's interactions, not the interactions as a whole.
    alpha_svdpp : float or None, default=None
        Regularisation :math:`\alpha_y` of the :math:`y_j` (None: ``alpha``, as
        Surprise's ``reg_all``). Each interaction regularises all :math:`|N(u)|` rows,
        so values well below ``alpha`` work best (0.01 on MovieLens-100K).
    solver : str or Optimizer, default="sgd"
        Any first-order optimizer of ``skgd.solver.OPTIMIZERS`` or ``"lbfgs"``
        (full batch); ``"newton"`` is not available (no Hessian products).
    learning_rate : str or Schedule, default="constant"
        The step-size schedule :math:`\eta_t`: a name of ``skgd.solver.SCHEDULES``
        (``"constant"``, ``"invscaling"``, ``"cosine"``, ...) or a schedule object.
    learning_rate_init : float, default=0.01
        The initial step size :math:`\eta_0` (Surprise's ``lr_all``).
    batch_size : int, "full" or "auto", default=1
        1 = per-interaction SGD (compiled kernel), an int = mini-batches.
    max_iter : int, default=40
        Epochs.
    tol : float or None, default=None
        Stopping tolerance (None: run all ``max_iter`` epochs, as Surprise).
    n_iter_no_change : int, default=5
        Number of epochs without improvement (by ``tol``) before stopping, or before
        the ``"plateau"`` schedule lowers the step.
    early_stopping : bool, default=False
        Monitor minus the RMSE (``squared_error``) or minus the loss of held-out
        interactions (``validation_fraction`` or ``X_val``/``y_val``) and restore the
        best weights.
    validation_fraction : float, default=0.1
        Fraction of the interactions held out for ``early_stopping`` (in (0, 1)).
    shuffle : bool, default=True
        Shuffle the interactions every epoch (Surprise does not: ``shuffle=False``
        reproduces its order when rows are grouped by user).
    random_state : int, RandomState or None, default=None
        Seeds the initial factors, shuffling and negative sampling.
    warm_start : bool, default=False
        Continue from the previous fit (new ids are folded in).
    verbose : int, default=0
        0 = silent, 1 = one live progress line per fit, 2 or more = one line per epoch.
    average : bool or int, default=False
        Polyak–Ruppert averaging: predict with the mean of the iterates after each
        update instead of the last one (``True``: from the first update; an int ``n``:
        once ``n`` samples have been seen, as scikit-learn's SGD ``average``). Per-sample
        fits with averaging run in the generic loop, not the compiled kernels.
    max_grad_norm : float or None, default=100.0
        Clip each interaction's (or mini-batch's) gradient to this global norm. The
        default is a safety net: a bilinear model trained by constant-step SGD diverges
        on targets of a large scale (e.g. ratings on a 0-100 scale), and 100 is never
        reached for ratings on a 1-5 scale (per-interaction gradient norms there stay
        below about 20), so it leaves the Surprise correspondence intact.
    divergence : {"raise", "backoff"}, default="raise"
        On a non-finite loss: raise a ``ValueError`` naming the epoch and the remedy, or
        roll the epoch back and halve the learning rate.
    n_jobs : int or None, default=None
        Threads of the per-interaction epochs (``batch_size=1``, any optimizer but
        SVD++'s kernel, which runs one thread). None or 1: one thread, the same
        results as before this option existed; -1: all threads of the budget, ``-2``
        all but one, ``k``: ``k`` threads. The budget is ``numba.get_num_threads()``
        (which joblib's loky workers set to their share of the cores), capped by an
        OpenMP limit of ``threadpoolctl.threadpool_limits``: a fit inside a
        ``GridSearchCV(n_jobs=k)`` worker does not oversubscribe the machine. By
        default each thread takes the interactions of its own users (dealt at random
        once per fit), in the epoch's shuffled order, and the item factors are
        updated lock-free (Hogwild, Niu et al. 2011): the result depends on the
        threads' timing (valid, not reproducible bit for bit).
    deterministic : bool, default=False
        With ``n_jobs > 1``: run each epoch as DSGD strata (Gemulla et al. 2011)
        instead: users and items are dealt at random into ``T = n_jobs`` groups per
        epoch and ``T`` rounds of ``T`` blocks that share no user or item run on the
        threads, so the fit is reproducible run to run for a given ``random_state``
        and ``n_jobs``, whatever the threads actually granted (a loky worker's share,
        one thread off the main thread, ...: the blocks then run one after the
        other, with the same result up to floating-point rounding: the sequential and
        the threaded launch are compiled separately). It differs from the one-thread fit and
        between values of ``n_jobs`` (and ``n_jobs=-1`` depends on the machine).
        Implicit losses then draw each block's negatives from its item group.
        Needs two fields and no learned global bias (``global_bias`` ``"mean"`` or
        None; ``bpr``), the only parameters all blocks would share. On models that
        fit in the CPU caches it is also the faster schedule (MovieLens-100K, two
        idle cores: 0.76x the one-thread epoch, Hogwild 1.05x, whose threads keep
        passing the shared item rows between their caches).

    Attributes
    ----------
    user_ids_, item_ids_ : ndarray
        The raw ids of the rows of the factor matrices.
    user_factors_ : ndarray of shape (n_users, n_components)
        With ``svdpp``, the effective :math:`p_u + |N(u)|^{-1/2} \sum_{j \in N(u)} y_j`.
    item_factors_ : ndarray of shape (n_items, n_components)
    user_biases_, item_biases_ : ndarray
        Zeros when the field has no bias.
    global_mean_ : float
        :math:`\mu`.
    field_ids_, field_factors_, field_biases_ : list of ndarray
        The same for every field (index 0: users, 1: items).
    svdpp_factors_ : ndarray of shape (n_items, n_components)
        The :math:`y_j` (only with ``svdpp``).
    n_iter_, t_, loss_curve_, validation_scores_, best_loss_, history_
        See :class:`skgd.linear_model.LinearRegression`.
    n_features_in_ : int
        Number of fields.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.recommender import MatrixFactorization
    >>> X = np.array([["ann", "up"], ["ann", "jaws"], ["bob", "up"], ["bob", "heat"]])
    >>> y = np.array([5.0, 1.0, 4.0, 2.0])
    >>> mf = MatrixFactorization(n_components=4, random_state=0).fit(X, y)
    >>> mf.predict([["ann", "heat"], ["zoe", "up"]]).shape
    (2,)
    >>> items, scores = mf.recommend(["ann"], n=1)
    >>> items.shape, bool(items[0, 0] in {"heat", "up"})
    ((1, 1), True)

    Two threads, on the reproducible schedule:

    >>> a = MatrixFactorization(4, n_jobs=2, deterministic=True, random_state=0).fit(X, y)
    >>> b = MatrixFactorization(4, n_jobs=2, deterministic=True, random_state=0).fit(X, y)
    >>> bool((a.item_factors_ == b.item_factors_).all())
    True
    """

    _parameter_constraints: dict = {
        **_SOLVER_PARAMS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "loss": [LOSSES.options(lambda c: c.recommender_code is not None)],
        "global_bias": [StrOptions({"mean", "learn"}), None],
        "biases": ["boolean", "array-like"],
        "alpha_bias": [Interval(Real, 0, None, closed="left"), None],
        "init_std": [Interval(Real, 0, None, closed="left")],
        "n_negatives": [Interval(Integral, 1, None, closed="left")],
        "clip": ["boolean"],
        "svdpp": ["boolean"],
        "alpha_svdpp": [Interval(Real, 0, None, closed="left"), None],
        "n_jobs": [Interval(Integral, 1, None, closed="left"),
                   Interval(Integral, None, -1, closed="right"), None],
        "deterministic": ["boolean"],
    }

    def __init__(self, n_components=100, *, loss="squared_error", global_bias="mean",
                 biases=True, alpha=0.1, alpha_bias=None, init_std=0.1, n_negatives=1,
                 clip=True, svdpp=False, alpha_svdpp=None, solver="sgd",
                 learning_rate="constant", learning_rate_init=0.01,
                 batch_size=1, max_iter=40, tol=None, n_iter_no_change=5,
                 early_stopping=False, validation_fraction=0.1, shuffle=True,
                 random_state=None, warm_start=False, verbose=0, average=False,
                 max_grad_norm=100.0, divergence="raise", n_jobs=None,
                 deterministic=False):
        self.n_components = n_components
        self.loss = loss
        self.global_bias = global_bias
        self.biases = biases
        self.alpha = alpha
        self.alpha_bias = alpha_bias
        self.init_std = init_std
        self.n_negatives = n_negatives
        self.clip = clip
        self.svdpp = svdpp
        self.alpha_svdpp = alpha_svdpp
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
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
        self.n_jobs = n_jobs
        self.deterministic = deterministic

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None, sample_weight=None, X_val=None, y_val=None):
        """Fit the model (from scratch unless ``warm_start``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_interactions, n_fields)
            Column 0: user ids, column 1: item ids, further columns: more categorical
            fields. NaN/None ids raise ``ValueError``.
        y : array-like of shape (n_interactions,), default=None
            Ratings (``squared_error``, required) or non-negative weights of the observed
            interactions (implicit losses; None = all 1).
        sample_weight : array-like of shape (n_interactions,), default=None
            Non-negative weights :math:`s_i` of the interactions; None = unit weights.
        X_val : array-like or DataFrame of shape (n_val, n_fields), default=None
            Held-out interactions, scored each epoch (validation curve) and used for early
            stopping when ``early_stopping=True``.
        y_val : array-like of shape (n_val,), default=None
            Their ratings or weights.

        Returns
        -------
        self : MatrixFactorization
            The fitted model.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, X_val, y_val, partial=False)

    def partial_fit(self, X, y=None, sample_weight=None):
        """One epoch over new interactions, folding in new users, items and ids of other
        fields; the optimizer state and schedule continue.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_interactions, n_fields)
            The new interactions (same fields as in the first fit); unseen ids get new
            factor rows, initialised as in ``fit``.
        y : array-like of shape (n_interactions,), default=None
            Their ratings, or weights for the implicit losses.
        sample_weight : array-like of shape (n_interactions,), default=None
            Weights of the interactions; None = unit weights.

        Returns
        -------
        self : MatrixFactorization
            The updated model.

        Examples
        --------
        >>> import numpy as np
        >>> from skgd.recommender import MatrixFactorization
        >>> mf = MatrixFactorization(n_components=2, random_state=0)
        >>> mf = mf.fit([[0, 10], [0, 11], [1, 10]], [5.0, 3.0, 4.0])
        >>> mf = mf.partial_fit([[2, 11], [2, 12]], [2.0, 5.0])  # a new user and item
        >>> mf.user_ids_, mf.item_ids_
        (array([0, 1, 2]), array([10, 11, 12]))
        """
        if not hasattr(self, "_solver_state"):
            self._validate_params()
        return self._fit(X, y, sample_weight, None, None, partial=True)

    @transactional
    def _fit(self, X, y, sample_weight, X_val, y_val, *, partial: bool):
        first = not (partial or self.warm_start) or not hasattr(self, "_solver_state")
        X, y, sw = self._check_Xy(X, y, sample_weight, reset=first)
        if self.svdpp and (self._implicit or X.shape[1] != 2):
            raise ValueError("svdpp=True needs two fields (user, item) and "
                             "loss='squared_error'.")
        validation = None
        if X_val is not None or y_val is not None:
            if X_val is None or (y_val is None and not self._implicit):
                raise ValueError("Pass both X_val and y_val, or neither.")
            X_val, y_val, sw_val = self._check_Xy(X_val, y_val, None, reset=False)
        elif self._wants_validation() and not partial:
            tr, va = self._validation_indices(X.shape[0])
            X_val, y_val, sw_val = X[va], y[va], sw[va]
            X, y, sw = X[tr], y[tr], sw[tr]
        # rows of zero weight teach nothing: their ids are not learned (stay unseen), so
        # a zero weight is the same as leaving the row out
        keep = sw > 0
        if not keep.all():
            X, y, sw = X[keep], np.asarray(y)[keep], sw[keep]
        F = X.shape[1]
        dtype = np.float32 if np.asarray(y).dtype == np.float32 else np.float64
        y = np.asarray(y, dtype=np.float64)
        if first:
            self._encoders = [FieldEncoder(X[:, f]) for f in range(F)]
            codes = self._codes(X)
            self._y_range = (float(y.min()), float(y.max()))
            self._mu = (float(np.average(y, weights=sw))
                        if not self._implicit and self.global_bias is not None else 0.0)
            self._sides(codes)
            self._user_table = self._item_table = None
            self._seen = sp.csr_matrix((len(self._encoders[0]), len(self._encoders[1])),
                                       dtype=np.int8)
        else:
            codes = np.stack([enc.extend(X[:, f]) for f, enc in enumerate(self._encoders)],
                             axis=1).astype(np.int64)
            self._y_range = (min(self._y_range[0], float(y.min())),
                             max(self._y_range[1], float(y.max())))
        self._update_tables(codes)
        objective = self._objective(codes, y, sw, dtype, seed=self._next_seed(first))
        if X_val is not None:
            validation = self._validation(X_val, y_val, sw_val, objective, dtype)
        if not first:
            self._grow(objective)
        self._check_strata(objective)
        metadata = None if sample_weight is None else {"sample_weight": sw}
        self._run_solver(objective, validation=validation, reuse_state=not first,
                         partial=partial, data=(X, y, metadata, (X_val, y_val)))
        return self

    def _check_strata(self, objective) -> None:
        """A deterministic threaded fit needs blocks that share no parameter."""
        if not self.deterministic or self.n_jobs in (None, 1):
            return
        why = objective.thread_conflicts
        if why is not None:
            raise ValueError(f"deterministic=True with n_jobs={self.n_jobs} cannot "
                             f"split this model into independent blocks: {why}. Use "
                             "deterministic=False (Hogwild) or n_jobs=1.")

    def _next_seed(self, first: bool) -> int:
        rng = (check_random_state(self.random_state) if first
               else self._solver_state.rng)
        # a different stream from the one of the initial factors
        return int(rng.randint(2**31 - 1)) ^ 0x5EED

    def _objective(self, codes, y, sw, dtype, seed, alpha=None, alpha_bias=None,
                   alpha_svdpp=None):
        F = codes.shape[1]
        alpha = self.alpha if alpha is None else alpha
        if alpha_bias is None:
            alpha_bias = alpha if self.alpha_bias is None else self.alpha_bias
        if alpha_svdpp is None:
            alpha_svdpp = alpha if self.alpha_svdpp is None else self.alpha_svdpp
        code = LOSSES.get(self.loss).recommender_code
        learn = (self.global_bias == "learn" if code == MF_SQUARED
                 else code == MF_LOGISTIC and self.global_bias is not None)
        spec = MFSpec(n_ids=[len(e) for e in self._encoders],
                      n_components=self.n_components, loss=self.loss, alpha=alpha,
                      alpha_bias=alpha_bias, global_mean=self._mu, learn_mean=learn,
                      biases=self._bias_flags(F), init_std=self.init_std,
                      n_negatives=self.n_negatives, svdpp=self.svdpp,
                      alpha_svdpp=alpha_svdpp, dtype=dtype)
        tables = MFTables(swap_fields=self._item_side, item_table=self._item_table,
                          seen_indptr=self._seen.indptr, seen_items=self._seen.indices)
        return MFObjective(codes, y, sw, spec, tables, seed=seed)

    def _validation(self, X_val, y_val, sw_val, objective, dtype):
        codes = self._codes(X_val)
        obj = self._objective(codes, np.asarray(y_val, dtype=np.float64), sw_val, dtype,
                              seed=0, alpha=0.0, alpha_bias=0.0, alpha_svdpp=0.0)
        if self._implicit:
            return Validation(obj)
        y_val = np.asarray(y_val, dtype=np.float64)
        w_val = sw_val / sw_val.sum()
        lo, hi = self._y_range

        def score(w):
            pred = obj.predict(w)
            if self.clip:
                pred = np.clip(pred, lo, hi)
            return -float(np.sqrt(w_val @ (pred - y_val) ** 2))

        return Validation(obj, score)

    def _store_params(self, objective) -> None:
        w = self._solver_state.params
        # what predictions use (with svdpp: the user factors include z_u)
        self._w_pred = wp = objective.prediction_params(w)
        lay = objective.layout
        self._layout = lay
        self._k = objective.k
        self._mu_off, self._bias_off, self._fac_off = (objective.mu_off, objective.bias_off,
                                                      objective.fac_off)
        self.global_mean_ = self._mu + (float(w[self._mu_off]) if self._mu_off >= 0 else 0.0)
        self.field_ids_ = [e.classes_ for e in self._encoders]
        self.field_factors_ = [lay.view(wp, f"factors_{f}").copy()
                               for f in range(len(self._encoders))]
        if self.svdpp:
            self.svdpp_factors_ = lay.view(w, "svdpp").copy()
        elif hasattr(self, "svdpp_factors_"):  # a refit without SVD++
            del self.svdpp_factors_
        self.field_biases_ = [lay.view(w, f"bias_{f}").copy() if f"bias_{f}" in lay.shapes
                              else np.zeros(len(e), dtype=w.dtype)
                              for f, e in enumerate(self._encoders)]
        self.user_ids_, self.item_ids_ = self.field_ids_[0], self.field_ids_[1]
        self.user_factors_, self.item_factors_ = self.field_factors_[:2]
        self.user_biases_, self.item_biases_ = self.field_biases_[:2]

    # ------------------------------------------------------------------ prediction
    def predict(self, X):
        r"""Predicted ratings (``squared_error``) or scores (implicit losses).

        Unseen ids contribute nothing, so the prediction falls back to the known parts.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_interactions, n_fields)
            The (user, item, ...) rows to score.

        Returns
        -------
        y_pred : ndarray of shape (n_interactions,)
            :math:`\hat y(x)`, clipped to the training rating range when ``clip`` (ratings).
        """
        check_is_fitted(self, "_layout")
        X = self._check_X(X, reset=False)
        from ._kernels import predict

        pred = predict(self._w_pred, self._codes(X), self._k, self._mu,
                       self._mu_off, self._bias_off, self._fac_off)
        if self.clip and not self._implicit:
            np.clip(pred, *self._y_range, out=pred)
        return pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # every column is a categorical field; ids may be strings
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags
