"""The linear-model objective handed to the solver."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..losses import Loss, Multinomial
from ..solver import Objective, ParamLayout
from ..utils._validation import canonical_csr
from ._bundles import CSR, L2Schedule, LossFn, Penalty, Rule, Samples, Schedule, Shape
from ._fused import dense_loss_grad
from ._kernels import sgd_epoch_csr, sgd_epoch_dense
from ._wscale import sgd_l2_epoch_csr, sgd_l2_epoch_dense


class LinearObjective(Objective):
    r"""Weighted mean loss of a linear model :math:`f(x) = x^\top W + b`.

    .. math:: F(W, b) = \frac{\sum_i s_i\, L(y_i, x_i^\top W + b)}{\sum_i s_i}

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSR matrix
        Training data, float32 or float64 (the parameters share its dtype).
    y : ndarray
        Targets: ``(n_samples,)`` class indices for the ``multinomial`` loss,
        otherwise ``(n_samples,)`` or ``(n_samples, K)`` floats.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights :math:`s_i` (already multiplied by class weights).
    loss : Loss
        A loss of :mod:`skgd.losses`.
    n_outputs : int
        :math:`K`, the columns of :math:`W`.
    fit_intercept : bool
        Whether :math:`b` is fitted (it is never penalised).
    coef_init, intercept_init : ndarray, optional
        Initial values (zeros otherwise).
    """

    sample_kernels = frozenset({"wscale_sgd", "lazy_rule"})

    def __init__(self, X, y, sample_weight, loss: Loss, n_outputs: int, fit_intercept: bool,
                 coef_init=None, intercept_init=None):
        self.X = X
        self.dtype = np.dtype(X.dtype)
        self.sparse = sp.issparse(X)
        self.n_samples, self.n_features = X.shape
        self.K = int(n_outputs)
        self.loss = loss
        self.smooth = loss.smooth
        self.fit_intercept = fit_intercept
        self.multinomial = isinstance(loss, Multinomial)
        if self.multinomial:
            self.y = np.asarray(y, dtype=np.int64)
            self.y_flat = self.y.astype(np.float64)
        else:
            self.y = np.asarray(y, dtype=np.float64).reshape(self.n_samples, self.K)
            self.y_flat = np.ascontiguousarray(self.y[:, 0])
        sw = np.asarray(sample_weight, dtype=np.float64)
        mean = sw.mean() if sw.size else 1.0
        # weights rescaled to mean one: the full-batch loss is exactly sum(s L)/sum(s)
        self.sw = sw / mean if mean > 0 else sw
        shapes = {"coef": (self.n_features, self.K)}
        if fit_intercept:
            shapes["intercept"] = (self.K,)
        self.layout = ParamLayout(shapes, penalized={"coef": True, "intercept": False})
        self.coef_init, self.intercept_init = coef_init, intercept_init
        self._cache: tuple | None = None
        self._sw_mean: np.ndarray | None = None
        self._csr: tuple | None = None

    def dloss(self, p: float) -> float:
        return self.loss.dloss(p)

    def init_params(self, random_state, statistics=None) -> np.ndarray:
        w = np.zeros(self.layout.size, dtype=self.dtype)
        if self.coef_init is not None:
            self.layout.view(w, "coef")[...] = np.reshape(self.coef_init, (self.n_features,
                                                                          self.K))
        if self.fit_intercept:
            b = self.intercept_init
            if b is None:
                b = self._baseline(*((self.init_statistics(), self.n_samples)
                                     if statistics is None else statistics))
            self.layout.view(w, "intercept")[...] = b
        return w

    def init_statistics(self) -> np.ndarray | None:
        """The weighted class frequencies (multinomial) or mean targets, shape (K,)."""
        if not self.fit_intercept or self.intercept_init is not None or not self.sw.sum() > 0:
            return None
        sw = self.sw / self.sw.sum()
        if self.multinomial:
            return np.bincount(self.y, weights=sw, minlength=self.K)
        return sw @ self.y

    def _baseline(self, mean: np.ndarray, n_samples: int) -> np.ndarray:
        """The intercept of the best constant model: the weighted mean target, the
        log-odds or the log class priors, from the weighted mean target or class
        frequencies ``mean`` of ``n_samples`` rows. Starting there changes no optimum
        but saves adaptive optimizers, whose steps are bounded per coordinate, the long
        walk to an uncentred target."""
        # a class absent from these rows (a partial_fit batch) gets the prior of half a
        # row, not of 1e-12: an intercept at -27 takes thousands of steps to recover
        floor = 0.5 / max(n_samples, 1)
        if self.multinomial:
            logp = np.log(np.clip(mean, floor, None))
            return logp - logp.mean()
        if self.loss.name == "log_loss":
            p = np.clip(mean, floor, 1 - floor)
            return np.log(p / (1 - p))
        return mean

    def _parts(self, w):
        w = w.astype(self.dtype, copy=False)
        coef = self.layout.view(w, "coef")
        b = self.layout.view(w, "intercept") if self.fit_intercept else 0.0
        return coef, b

    def raw(self, w: np.ndarray, X=None) -> np.ndarray:
        """Raw outputs :math:`XW + b`, shape ``(n, K)``."""
        coef, b = self._parts(w)
        X = self.X if X is None else X
        if self.K == 1:  # a matrix-vector product: BLAS gemv beats a one-column gemm
            out = np.asarray(X @ coef[:, 0], dtype=np.float64)[:, None]
        else:
            out = np.asarray(X @ coef, dtype=np.float64)
        out += b
        return out

    def _rows(self, idx):
        if idx is None:
            return self.X, self.y, self.sw
        return self.X[idx], self.y[idx], self.sw[idx]

    def value_grad(self, w, idx=None, rng=None):
        if idx is None and self.K == 1 and not self.sparse:
            return self._fused_value_grad(w)
        X, y, sw = self._rows(idx)
        raw = self.raw(w, X)
        m = max(X.shape[0], 1)
        if idx is None:
            swm = self._full_sw_mean()
            self._cache = (w.copy(), raw)
        else:
            swm = sw / m
        loss, g = self.loss.weighted_loss_gradient(y, raw, swm)
        grad = np.empty(self.layout.size, dtype=np.float64)
        g_cast = g.astype(self.dtype, copy=False)
        if self.K == 1:
            grad[self.layout.slices["coef"]] = X.T @ g_cast[:, 0]
        else:
            self.layout.view(grad, "coef")[...] = X.T @ g_cast
        if self.fit_intercept:
            grad[self.layout.slices["intercept"]] = g.sum(axis=0)
        return loss, grad

    def _full_sw_mean(self) -> np.ndarray:
        if self._sw_mean is None:
            self._sw_mean = self.sw / max(self.n_samples, 1)
        return self._sw_mean

    def _fused_value_grad(self, w):
        """Full-batch loss and gradient of a one-output model on dense ``X``: one pass
        over the rows (see ``_fused``) instead of two matrix-vector products."""
        coef, b = self._parts(w)
        grad = np.empty(self.layout.size, dtype=np.float64)
        z = np.empty(self.n_samples, dtype=np.float64)
        gc = self.layout.view(grad, "coef")[:, 0]
        loss, g_sum = dense_loss_grad(self.X, self.y_flat, self._full_sw_mean(),
                                      np.ascontiguousarray(coef[:, 0]),
                                      float(b[0]) if self.fit_intercept else 0.0,
                                      self.loss.kernel, self.loss.params(),
                                      self.loss.kernel_code(), z, gc)
        if self.fit_intercept:
            grad[self.layout.slices["intercept"]] = g_sum
        self._cache = (w.copy(), z[:, None])
        return loss, grad

    def value(self, w, idx=None):
        X, y, sw = self._rows(idx)
        return float(sw @ self.loss.loss(y, self.raw(w, X))) / max(X.shape[0], 1)

    def hessp(self, w, v):
        if self._cache is not None and np.array_equal(self._cache[0], w):
            raw = self._cache[1]
        else:
            raw = self.raw(w)
        vcoef = self.layout.view(v, "coef")
        vb = v[self.layout.slices["intercept"]] if self.fit_intercept else 0.0
        hv_raw = self.loss.hessp(self.y, raw, np.asarray(self.X @ vcoef) + vb)
        hv_raw *= (self.sw / self.n_samples)[:, None]
        out = np.empty(self.layout.size, dtype=np.float64)
        self.layout.view(out, "coef")[...] = self.X.T @ hv_raw
        if self.fit_intercept:
            out[self.layout.slices["intercept"]] = hv_raw.sum(axis=0)
        return out

    def sample_epoch(self, w, opt_state, order, ctx):
        if ctx.kernel == "wscale_sgd":
            return self._sgd_l2_epoch(w, order, ctx)
        cum = np.concatenate(([0.0], np.cumsum(ctx.lrs)))
        order = order.astype(np.int64, copy=False)
        args = (Samples(self.y_flat, self.sw, order), Shape(self.K, self.fit_intercept),
                self._loss_fn(), Rule(ctx.rule, ctx.hp, opt_state), w,
                Schedule(ctx.lrs, ctx.t0, cum, ctx.max_grad_norm),
                Penalty(ctx.l1, ctx.l2, ctx.step, ctx.ratio))
        if self.sparse:
            loss, norm = sgd_epoch_csr(CSR(*self._csr_arrays(), self.n_features), *args)
        else:
            loss, norm = sgd_epoch_dense(self.X, *args)
        n = max(order.size, 1)
        return loss / n, norm / n

    def _loss_fn(self) -> LossFn:
        return LossFn(self.loss.kernel, self.loss.params(), self.loss.kernel_code())

    def _sgd_l2_epoch(self, w, order, ctx):
        """Plain SGD with L2 or no penalty: the ``wscale`` kernels (see ``_wscale``)."""
        order = order.astype(np.int64, copy=False)
        args = (Samples(self.y_flat, self.sw, order), Shape(self.K, self.fit_intercept),
                self._loss_fn(), w, L2Schedule(ctx.lrs, ctx.l2, ctx.max_grad_norm))
        if self.sparse:
            X = self.X  # its own index dtype: int32 indices halve the index traffic
            loss, norm = sgd_l2_epoch_csr(CSR(X.data, X.indices, X.indptr, X.shape[1]),
                                          *args)
        else:
            loss, norm = sgd_l2_epoch_dense(self.X, *args)
        n = max(order.size, 1)
        return loss / n, norm / n

    def _csr_arrays(self):
        """``(data, int64 indices, int64 indptr)`` of the training matrix's canonical form
        (sorted column indices, repeats summed; a copy when needed), cached: the generic
        kernel treats a row with ``d`` stored entries as a full dense row. The caller's
        matrix is never modified."""
        if self._csr is None:
            X = canonical_csr(self.X)
            self._csr = (X.data, X.indices.astype(np.int64), X.indptr.astype(np.int64))
        return self._csr
