"""The factorization-machine objective handed to the solver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._lowlevel.threads import limited_threads
from ..losses import LOSSES
from ..solver import Objective, ParamLayout, SparseGrad
from . import _epochs as E
from . import _kernels as K
from . import _threads as TH


@dataclass(frozen=True)
class MFSpec:
    """The model of an :class:`MFObjective`.

    ``n_ids``: ids per field (rows of each factor matrix); ``n_components``:
    :math:`k`; ``loss``: ``"squared_error"``, ``"logistic"`` or ``"bpr"``;
    ``alpha``/``alpha_bias``: :math:`\\alpha`, :math:`\\alpha_b`; ``global_mean``: the
    fixed part of :math:`\\mu`, ``learn_mean``: whether it has a learned part (block
    ``global_bias``); ``biases``: which fields have a bias vector (blocks
    ``bias_<f>``); ``init_std``: factors start as :math:`\\mathcal N(0,
    \\text{init\\_std}^2)`, biases at zero; ``n_negatives``: negatives per positive
    (implicit losses); ``svdpp``: add the SVD++ term (two fields, ``squared_error``),
    regularised by ``alpha_svdpp`` (:math:`\\alpha_y`); ``dtype``: parameter dtype.
    """

    n_ids: Sequence[int]
    n_components: int
    loss: str
    alpha: float
    alpha_bias: float
    global_mean: float
    learn_mean: bool
    biases: Sequence[bool]
    init_std: float
    n_negatives: int = 1
    svdpp: bool = False
    alpha_svdpp: float = 0.0
    dtype: Any = np.float64


@dataclass(frozen=True)
class MFTables:
    """The item side and the users' items of an :class:`MFObjective`.

    ``swap_fields``: the item-side fields (the item field first) replaced for a
    negative; ``item_table`` (``(n_items, len(swap_fields))``): the item-side field
    indices of every item; ``seen_indptr``/``seen_items``: CSR of each user's training
    items (sorted), rejected as negatives and the sets :math:`N(u)` of ``svdpp``.
    """

    swap_fields: np.ndarray | None = None
    item_table: np.ndarray | None = None
    seen_indptr: np.ndarray | None = None
    seen_items: np.ndarray | None = None


class MFObjective(Objective):
    r"""Weighted per-interaction loss of a factorization machine over categorical fields.

    A row :math:`x = (x_1, \dots, x_F)` holds one id per field (field 1 is the user,
    field 2 the item). The model is

    .. math:: \hat y(x) = \mu + \sum_f b_f[x_f] + \sum_{f<g} \langle V_f[x_f],
              V_g[x_g] \rangle

    and the objective, with the regularisation applied per interaction to the rows it
    touches (frequency-weighted, as in Funk-SVD),

    .. math:: F = \frac{1}{\sum_i s_i} \sum_i s_i \Big[ L_i
              + \tfrac{\alpha}{2} \sum_{v \in T_i} \|v\|^2
              + \tfrac{\alpha_b}{2} \sum_{b \in T_i} b^2 \Big]

    where :math:`T_i` are the factor rows and biases interaction :math:`i` touches.
    :math:`L_i` is :math:`\tfrac12 (y_i - \hat y(x_i))^2` (``squared_error``),
    :math:`\log(1+e^{-\hat y(x_i)}) + \sum_j \log(1+e^{\hat y(x_{ij})})` (``logistic``)
    or :math:`\sum_j \log(1+e^{-(\hat y(x_i) - \hat y(x_{ij}))})` (``bpr``), where
    :math:`x_{ij}` is row :math:`i` with its item-side fields replaced by those of a
    sampled negative item :math:`j` (uniform over the items the user has not
    interacted with).

    With ``svdpp`` (two fields, squared error) the user vector :math:`p_u` becomes
    :math:`p_u + |N(u)|^{-1/2} \sum_{j \in N(u)} y_j` (SVD++, Koren 2008), with
    :math:`N(u)` the user's training items (``seen_*``) and one more factor matrix
    :math:`Y` (block ``svdpp``); an interaction then also touches every :math:`y_j`,
    :math:`j \in N(u)`, regularised by :math:`\tfrac{\alpha_y}{2} \|y_j\|^2`.

    Parameters
    ----------
    codes : ndarray of shape (n, F), int64
        Field indices of the rows (``-1`` for ids unknown to the model; only in
        evaluation data).
    y : ndarray of shape (n,)
        Ratings (``squared_error``); ignored by the implicit losses.
    sample_weight : ndarray of shape (n,)
        :math:`s_i` (rescaled to mean one internally).
    spec : MFSpec
        The model: sizes, loss, regularisation, biases, initialisation, dtype.
    tables : MFTables, optional
        The item-side fields and each user's items (defaults: the item field alone, no
        user history).
    seed : int
        Seeds negative sampling (a new seed is drawn per epoch).
    """

    def __init__(self, codes, y, sample_weight, spec: MFSpec, tables: MFTables | None = None,
                 seed=0):
        self.spec = spec
        self.codes = np.ascontiguousarray(codes, dtype=np.int64)
        self.n_samples, self.n_fields = self.codes.shape
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        sw = np.asarray(sample_weight, dtype=np.float64)
        mean = sw.mean() if sw.size else 1.0
        # weights rescaled to mean one: the full-batch loss is exactly sum(s L)/sum(s)
        self.sw = np.ascontiguousarray(sw / mean if mean > 0 else sw)
        self.dtype = np.dtype(spec.dtype)
        self.k = int(spec.n_components)
        self.loss = spec.loss
        self.loss_code = LOSSES.get(spec.loss).recommender_code
        self.alpha, self.alpha_bias = float(spec.alpha), float(spec.alpha_bias)
        self.mu0 = float(spec.global_mean)
        self.n_ids = [int(n) for n in spec.n_ids]
        self.init_std = float(spec.init_std)
        self.n_negatives = int(spec.n_negatives)
        self.svdpp = bool(spec.svdpp)
        self.alpha_svdpp = float(spec.alpha_svdpp)
        self._init_layout(spec.learn_mean, spec.biases)
        self._init_tables(MFTables() if tables is None else tables)
        self._hist = None
        self._rng = np.random.RandomState(seed)
        self._users = self._items = None
        # scratch of the mini-batch gradient, allocated on first use
        self._acc = self._mark = self._touched = None

    def _init_layout(self, learn_mean, biases):
        """The parameter blocks and the kernels' offsets into them."""
        shapes: dict[str, tuple[int, ...]] = {}
        if learn_mean:
            shapes["global_bias"] = (1,)
        for f, n in enumerate(self.n_ids):
            if biases[f]:
                shapes[f"bias_{f}"] = (n,)
        for f, n in enumerate(self.n_ids):
            shapes[f"factors_{f}"] = (n, self.k)
        if self.svdpp:
            if self.n_fields != 2 or self.loss_code != K.SQUARED:
                raise ValueError("svdpp=True needs two fields (user, item) and "
                                 "loss='squared_error'.")
            shapes["svdpp"] = (self.n_ids[1], self.k)
        # no solver penalty: the regularisation is part of each interaction's loss
        self.layout = ParamLayout(shapes, penalized={name: False for name in shapes})
        sl = self.layout.slices
        self.mu_off = sl["global_bias"].start if learn_mean else -1
        self.bias_off = np.array([sl[f"bias_{f}"].start if f"bias_{f}" in sl else -1
                                  for f in range(self.n_fields)], dtype=np.int64)
        self.fac_off = np.array([sl[f"factors_{f}"].start for f in range(self.n_fields)],
                                dtype=np.int64)

    def _init_tables(self, tables):
        """The negative-sampling tables and the users' item sets, as int64 arrays."""
        self.swap_fields = (np.array([1], dtype=np.int64) if tables.swap_fields is None
                            else np.asarray(tables.swap_fields, dtype=np.int64))
        self.swapped = np.zeros(self.n_fields, dtype=np.uint8)
        self.swapped[self.swap_fields] = 1
        item_table = tables.item_table
        if item_table is None:
            item_table = np.arange(self.n_ids[1], dtype=np.int64)[:, None]
        self.item_table = np.ascontiguousarray(item_table, dtype=np.int64)
        seen_indptr, seen_items = tables.seen_indptr, tables.seen_items
        empty = np.zeros(1, dtype=np.int64)
        self.seen_indptr = empty if seen_indptr is None else seen_indptr.astype(np.int64)
        self.seen_items = empty if seen_items is None else seen_items.astype(np.int64)
        if seen_indptr is None:
            self.seen_indptr = np.zeros(self.n_ids[0] + 1, dtype=np.int64)

    # -- solver interface --------------------------------------------------------------
    def init_params(self, random_state) -> np.ndarray:
        """Factors :math:`\\mathcal N(0, \\text{init\\_std}^2)` (field by field, user
        factors first, as Surprise draws them), biases and :math:`\\mu` zero."""
        w = np.zeros(self.layout.size, dtype=self.dtype)
        names = [f"factors_{f}" for f in range(self.n_fields)]
        for name in [*names, "svdpp"] if self.svdpp else names:
            self.layout.view(w, name)[...] = random_state.normal(
                0.0, self.init_std, size=self.layout.shapes[name])
        return w

    def _bundles(self):
        """The training rows and the model as the generic kernels take them."""
        data = E.Groups(self.codes, self.y, self.sw, self.swap_fields, self.item_table,
                        self.seen_indptr, self.seen_items, np.empty(0, np.int64))
        spec = E.Spec(self.k, self.loss_code, self.n_negatives, self.alpha, self.alpha_bias,
                      self.mu0, self.mu_off, self.bias_off, self.fac_off, self.swapped)
        return data, spec

    def _biased(self):
        return E.Biased(self.alpha, self.alpha_bias, self.mu0, self.mu_off,
                        int(self.bias_off[0]), int(self.bias_off[1]))

    def _seed(self, rng=None) -> int:
        return int((self._rng if rng is None else rng).randint(2**31 - 1))

    def value_grad(self, w, idx=None, rng=None):
        if self.svdpp:
            raise ValueError("svdpp=True is trained by per-interaction SGD only "
                             "(solver='sgd', batch_size=1).")
        rows = np.arange(self.n_samples) if idx is None else np.asarray(idx, dtype=np.int64)
        if self._acc is None or self._acc.size != self.layout.size:
            self._acc = np.zeros(self.layout.size)
            self._mark = np.full(self.layout.size, -1, dtype=np.int64)
            self._touched = np.empty(self.layout.size, dtype=np.int64)
        loss, coords, vals = E.batch_grad(*self._bundles(), rows, self._seed(rng), w,
                                          E.Accumulator(self._acc, self._mark,
                                                        self._touched))
        m = max(rows.size, 1)
        vals /= m
        if idx is None:
            grad = np.zeros(self.layout.size)
            grad[coords] = vals
            return loss / m, grad
        return loss / m, SparseGrad(coords, vals)

    def value(self, w, idx=None) -> float:
        rows = np.arange(self.n_samples) if idx is None else np.asarray(idx, dtype=np.int64)
        if self.svdpp:
            return self._svdpp_value(w, rows)
        loss = E.batch_loss(*self._bundles(), rows, self._seed(), w)
        return float(loss / max(rows.size, 1))

    #: set False to run plain SGD through the compiled rule too (tests compare both)
    inline_sgd = True

    @property
    def sample_kernels(self) -> frozenset[str]:
        """SVD++ runs only in its SGD kernel (one thread); biased MF (two fields,
        squared error) also in the fused pair kernel; every model in the generic rule
        kernel; the last two also on several threads (:mod:`._threads`)."""
        if self.svdpp:
            return frozenset({"svdpp_sgd"})
        if self.inline_sgd and self.loss_code == K.SQUARED and self.n_fields == 2:
            return frozenset({"pair_sgd", "lazy_rule", "pair_sgd_threads",
                              "lazy_rule_threads"})
        return frozenset({"lazy_rule", "lazy_rule_threads"})

    @property
    def thread_conflicts(self) -> str | None:
        """Why the strata of a deterministic threaded epoch would still share
        parameters (None when they do not): every block owns its users' and items'
        rows, but a learned global bias or a third field is shared by all."""
        if self.n_fields != 2:
            return f"{self.n_fields} fields (the strata need exactly user and item)"
        if self.mu_off >= 0:
            return "a learned global bias (global_bias='learn', or 'logistic' loss)"
        return None

    def _blocks(self, order, plan):
        """The epoch's order and blocks for the :class:`~skgd.solver._paths.ThreadPlan`
        ``plan``, and the item groups negatives are drawn from (empty for Hogwild)."""
        T = int(plan.blocks)
        if not plan.deterministic:
            none = (np.empty(0, np.int64), np.zeros(T + 1, np.int64))
            return order, TH.hogwild_bounds(order.size, T), none
        self._factor_views(None)
        seed = self._seed()
        gi = TH.deal(self.n_ids[1], T, seed + 1)
        order, bounds = TH.strata_order(self._users, self._items, order,
                                        TH.deal(self.n_ids[0], T, seed), gi, T)
        return order, bounds, TH.group_members(gi, T)

    def _threaded_epoch(self, w, opt_state, order, ctx):
        """The epoch of a threaded kernel: sums of losses and gradient norms. With
        one worker (a caller that may not launch threads, or a smaller budget than
        the deterministic schedule's blocks) the blocks run one after the other in
        this thread, which gives the same result (they share no parameter)."""
        order, bounds, members = self._blocks(order, ctx.threads)
        parallel = ctx.threads.workers > 1
        if ctx.kernel == "pair_sgd_threads":
            P, Q = self._factor_views(w)
            args = (E.Ratings(self._users, self._items, self.y, self.sw), order, bounds,
                    self._biased(), P, Q, w, E.Step(ctx.lrs, float(ctx.max_grad_norm)))
            if not parallel:
                return TH.pair_epoch_blocks(*args)
            with limited_threads(ctx.threads.workers):
                return TH.pair_epoch_threads(*args)
        data, spec = self._bundles()
        args = (data, spec, order, bounds, self._seed(), w, ctx.rule,
                E.RuleStep(ctx.hp, opt_state, ctx.lrs, ctx.t0, ctx.step,
                           ctx.max_grad_norm), members)
        if not parallel:
            return TH.sample_epoch_blocks(*args)
        with limited_threads(ctx.threads.workers):
            return TH.sample_epoch_threads(*args)

    @property
    def requires_sample_kernel(self) -> bool:
        return self.svdpp

    kernel_only_reason = "MatrixFactorization(svdpp=True)"

    def _factor_views(self, w):
        """Row-major ``(n_ids, k)`` views of the user and item factor blocks of ``w``."""
        if self._users is None:
            self._users = np.ascontiguousarray(self.codes[:, 0])
            self._items = np.ascontiguousarray(self.codes[:, 1])
        if w is None:
            return None
        return (self.layout.view(w, "factors_0"), self.layout.view(w, "factors_1"))

    def sample_epoch(self, w, opt_state, order, ctx):
        order = order.astype(np.int64, copy=False)
        if ctx.kernel.endswith("_threads"):
            loss, norm = self._threaded_epoch(w, opt_state, order, ctx)
            n = max(order.size, 1)
            return loss / n, norm / n
        if ctx.kernel == "svdpp_sgd":
            P, Q = self._factor_views(w)
            loss, norm = E.svdpp_epoch(
                E.Ratings(self._users, self._items, self.y, self.sw), order,
                self._biased(), P, Q, w, E.Step(ctx.lrs, float(ctx.max_grad_norm)),
                E.Implicit(self.layout.view(w, "svdpp"), self.alpha_svdpp,
                           self.seen_indptr, self.seen_items))
            n = max(order.size, 1)
            return loss / n, norm / n
        if ctx.kernel == "pair_sgd":
            # biased MF with plain SGD: the inlined special case (see sgd_pair_epoch)
            P, Q = self._factor_views(w)
            loss, norm = E.sgd_pair_epoch(
                E.Ratings(self._users, self._items, self.y, self.sw), order,
                self._biased(), P, Q, w, E.Step(ctx.lrs, float(ctx.max_grad_norm)))
            n = max(order.size, 1)
            return loss / n, norm / n
        data, spec = self._bundles()
        loss, norm = E.sample_epoch(data, spec, order, self._seed(), w, ctx.rule,
                                    E.RuleStep(ctx.hp, opt_state, ctx.lrs, ctx.t0, ctx.step,
                                               ctx.max_grad_norm))
        n = max(order.size, 1)
        return loss / n, norm / n

    # -- model -------------------------------------------------------------------------
    def history_matrix(self) -> sp.csr_matrix:
        """:math:`|N(u)|^{-1/2}` on the user's items: row ``u`` times :math:`Y` is
        :math:`z_u`."""
        if self._hist is None:
            indptr, items = self.seen_indptr, self.seen_items
            m = np.diff(indptr)
            vals = np.repeat(1.0 / np.sqrt(np.maximum(m, 1)), m)
            self._hist = sp.csr_matrix((vals, items[:indptr[-1]], indptr),
                                       shape=(self.n_ids[0], self.n_ids[1]))
        return self._hist

    def prediction_params(self, w) -> np.ndarray:
        """``w`` with the user factors replaced by what predictions use: with
        ``svdpp`` :math:`p_u + z_u` (a copy), else ``w`` itself."""
        if not self.svdpp:
            return w
        out = w.copy()
        self.layout.view(out, "factors_0")[...] += (
            self.history_matrix() @ self.layout.view(w, "svdpp"))
        return out

    def _svdpp_value(self, w, rows) -> float:
        wp = self.prediction_params(w)
        lay = self.layout
        u, i = self.codes[rows, 0], self.codes[rows, 1]
        e = K.predict(wp, self.codes[rows], self.k, self.mu0, self.mu_off, self.bias_off,
                      self.fac_off) - self.y[rows]
        P, Q, Y = lay.view(w, "factors_0"), lay.view(w, "factors_1"), lay.view(w, "svdpp")
        reg = self.alpha * (np.einsum("ij,ij->i", P[u], P[u])
                            + np.einsum("ij,ij->i", Q[i], Q[i]))
        # sum of |y_j|^2 over each user's items
        ysq = sp.csr_matrix(self.history_matrix(), copy=True)
        ysq.data[:] = 1.0
        reg += self.alpha_svdpp * (ysq @ np.einsum("ij,ij->i", Y, Y))[u]
        for f, x in ((0, u), (1, i)):
            if self.bias_off[f] >= 0:
                b = w[self.bias_off[f] + x]
                reg += self.alpha_bias * b * b
        loss = self.sw[rows] * (0.5 * e * e + 0.5 * reg)
        return float(loss.sum() / max(rows.size, 1))

    def predict(self, w, codes=None) -> np.ndarray:
        """Model outputs of ``codes`` (the training rows when None)."""
        codes = self.codes if codes is None else np.ascontiguousarray(codes, np.int64)
        return K.predict(self.prediction_params(w), codes, self.k, self.mu0, self.mu_off,
                         self.bias_off, self.fac_off)
