r"""The multi-layer perceptron objective handed to the solver."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..losses import Loss, Multinomial
from ..solver import Objective, ParamLayout
from ._activations import Activation
from ._kernels import CSRRows, softmax_xent
from ._network import (
    BN_MOMENTUM,
    bn_backward,
    bn_buffers,
    bn_forward,
    forward_eval,
    init_bound,
    layout_shapes,
)

__all__ = ["MLPObjective", "MLPSpec"]

#: dense inputs with at most this fraction of non-zeros run the first layer on a CSR
#: copy (the MNIST pixels have 19 %); above it BLAS on the dense rows is faster
SPARSE_FIRST_LAYER_DENSITY = 0.25


def _first_layer_csr(X):
    """A :class:`CSRRows` for the first layer of ``X``, or None to use BLAS on the dense
    rows (see :data:`SPARSE_FIRST_LAYER_DENSITY`)."""
    if sp.issparse(X):
        return CSRRows(X)
    if X.ndim != 2 or X.size == 0 or X.shape[1] < 2:
        return None
    if np.count_nonzero(X) > SPARSE_FIRST_LAYER_DENSITY * X.size:
        return None
    return CSRRows(X)


@dataclass(frozen=True)
class MLPSpec:
    """The network and loss of an :class:`MLPObjective`.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.
    activation : Activation
        Hidden-layer activation.
    loss : Loss
        Loss of the raw outputs (:mod:`skgd.losses`).
    dropout : sequence of float, default=()
        Dropout rate after each hidden layer (inverted dropout: kept units are scaled by
        :math:`1/(1-p)`).
    batch_norm : bool, default=False
        Batch-normalise the hidden layers (before the activation).
    init : {"glorot", "he"}, default="glorot"
        Uniform initialisation of the weights (biases and shifts start at 0, scales at 1).
    activation_name : str, default="relu"
        The activation's name (for the initialisation's gain).

    Examples
    --------
    >>> from skgd.losses import LogLoss
    >>> from skgd.neural_network import ACTIVATIONS, MLPSpec
    >>> spec = MLPSpec((20, 8, 1), ACTIVATIONS.get("relu")(), LogLoss(), dropout=(0.1,))
    >>> spec.layer_sizes, spec.init
    ((20, 8, 1), 'glorot')
    """

    layer_sizes: tuple
    activation: Activation
    loss: Loss
    dropout: tuple = ()
    batch_norm: bool = False
    init: str = "glorot"
    activation_name: str = "relu"


class MLPObjective(Objective):
    r"""Weighted mean loss of a multi-layer perceptron (network of
    :mod:`skgd.neural_network._network`).

    .. math:: F(\theta) = \frac{\sum_i s_i\, L(y_i, f_\theta(x_i))}{\sum_i s_i}

    A mini-batch ``B`` reports :math:`\frac1{|B|}\sum_{i\in B}\tilde s_i L_i` with
    weights rescaled to mean one (:class:`~skgd.solver.Objective`). The penalty
    (``alpha``) is added by the solver on the ``coefs_*`` blocks only; intercepts and
    the batch-norm scales and shifts are not penalised.

    The first layer reads the rows of a mini-batch straight from CSR arrays (no copy of
    the batch) for sparse ``X`` and also for dense ``X`` with few non-zeros (at most
    :data:`SPARSE_FIRST_LAYER_DENSITY`, e.g. image pixels), which then keeps a CSR copy:
    the products only visit the non-zeros. The result is the same up to rounding.

    Training mode (:meth:`value_grad`) draws dropout masks from ``rng`` and normalises
    with the weighted batch statistics, updating the running statistics (momentum
    ``BN_MOMENTUM``). The full-batch call (``idx=None``, used by ``lbfgs``) is
    deterministic: no dropout, and the running statistics are set to the full-data
    statistics. :meth:`value` is evaluation mode.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSR matrix
        float32 or float64; the parameters share its dtype.
    y : ndarray
        Class indices ``(n,)`` for the ``multinomial`` loss, else ``(n, K)`` floats.
    sample_weight : ndarray of shape (n_samples,)
        :math:`s_i` (sample weight times class weight).
    spec : MLPSpec
        The network and loss, the fields below.
    buffers : dict, optional
        Running batch-norm statistics to share (the validation objective shares the
        training objective's) or to continue from (``warm_start``).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import SquaredError
    >>> from skgd.neural_network import ACTIVATIONS, MLPObjective, MLPSpec
    >>> spec = MLPSpec(layer_sizes=(3, 4, 1), activation=ACTIVATIONS.get("tanh")(),
    ...                loss=SquaredError(), activation_name="tanh")
    >>> X = np.random.RandomState(0).rand(10, 3)
    >>> objective = MLPObjective(X, X.sum(axis=1), np.ones(10), spec)
    >>> w = objective.init_params(np.random.RandomState(0))
    >>> sorted(objective.layout.shapes.items())
    [('coefs_0', (3, 4)), ('coefs_1', (4, 1)), ('intercepts_0', (4,)), ('intercepts_1', (1,))]
    >>> loss, grad = objective.value_grad(w)
    >>> objective.raw(w).shape, grad.shape
    ((10, 1), (21,))
    """

    def __init__(self, X, y, sample_weight, spec: MLPSpec, buffers=None):
        self.spec = spec
        loss, dropout = spec.loss, spec.dropout
        self.dtype = np.dtype(X.dtype)
        self.n_samples = X.shape[0]
        self.csr = _first_layer_csr(X)
        #: the training rows: a CSRRows for sparse input, else the dense array
        self.X = self.csr if sp.issparse(X) else X
        #: True when the first layer runs on CSR rows
        self.sparse = self.csr is not None
        self.multinomial = isinstance(loss, Multinomial)
        if self.multinomial:
            self.y = np.asarray(y, dtype=np.int64)
        else:
            self.y = np.asarray(y, dtype=self.dtype).reshape(self.n_samples,
                                                             int(spec.layer_sizes[-1]))
        sw = np.asarray(sample_weight, dtype=np.float64)
        mean = sw.mean() if sw.size else 1.0
        # weights rescaled to mean one: the full-batch loss is exactly sum(s L)/sum(s)
        self.sw = sw / mean if mean > 0 else sw
        self.unit_weights = bool(np.all(self.sw == 1.0))
        self.layer_sizes = [int(s) for s in spec.layer_sizes]
        self.n_layers = len(self.layer_sizes) - 1
        self.activation = spec.activation
        self.activation_name = spec.activation_name
        self.loss = loss
        self.smooth = loss.smooth
        rates = list(dropout) + [0.0] * (self.n_layers - 1 - len(dropout))
        self.dropout = [float(p) for p in rates[: self.n_layers - 1]]
        self.batch_norm = bool(spec.batch_norm)
        self.init = spec.init
        shapes, penalized = layout_shapes(self.layer_sizes, self.batch_norm)
        self.layout = ParamLayout(shapes, penalized)
        self.buffers = buffers if buffers is not None else (
            bn_buffers(self.layer_sizes, self.dtype) if self.batch_norm else {})
        #: dropout masks to use instead of random ones (finite-difference tests)
        self.fixed_dropout_masks = None
        self._grad = np.empty(self.layout.size, dtype=self.dtype)
        self._grad_views = self.layout.unpack(self._grad)  # made once: ~1 us per block

    def __getstate__(self):
        # the gradient's block views are views of ``_grad``; pickled, they would become
        # separate arrays (a dask worker that receives this objective would fill them
        # and return a stale ``_grad``): rebuilt on unpickling
        state = self.__dict__.copy()
        del state["_grad_views"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._grad_views = self.layout.unpack(self._grad)

    # --- parameters -------------------------------------------------------------------
    def init_params(self, random_state, statistics=None) -> np.ndarray:
        w = np.zeros(self.layout.size, dtype=self.dtype)
        for l in range(self.n_layers):
            fan_in, fan_out = self.layer_sizes[l], self.layer_sizes[l + 1]
            bound = init_bound(self.init, self.activation_name, fan_in, fan_out)
            # drawn in float64 so that float32 and float64 fits start from the same point
            self.layout.view(w, f"coefs_{l}")[...] = random_state.uniform(
                -bound, bound, (fan_in, fan_out))
            if f"bn_scale_{l}" in self.layout.shapes:
                self.layout.view(w, f"bn_scale_{l}")[...] = 1
        return w

    def unpack(self, w):
        """Per-layer ``(coefs, intercepts, bn)`` lists (views of ``w``) for
        :func:`forward_eval`.

        Parameters
        ----------
        w : ndarray of shape (layout.size,)
            The flat parameter vector.

        Returns
        -------
        coefs : list of ndarray
            Weight matrix of each layer, shape (fan_in, fan_out).
        intercepts : list of ndarray
            Bias of each layer (batch-norm shift for a batch-normalised layer).
        bn : list of tuple or None
            ``(scale, running_mean, running_var)`` of each hidden layer with batch
            norm, else None.
        """
        P = self.layout.unpack(w.astype(self.dtype, copy=False))
        coefs = [P[f"coefs_{l}"] for l in range(self.n_layers)]
        intercepts, bn = [], [] if self.batch_norm else None
        for l in range(self.n_layers):
            if self.batch_norm and l < self.n_layers - 1:
                intercepts.append(P[f"bn_shift_{l}"])
                bn.append((P[f"bn_scale_{l}"], self.buffers[f"running_mean_{l}"],
                           self.buffers[f"running_var_{l}"]))
            else:
                intercepts.append(P[f"intercepts_{l}"])
        return coefs, intercepts, bn

    def get_buffers(self):
        return self.buffers

    def set_buffers(self, buffers):
        for k, v in buffers.items():
            self.buffers[k][...] = v  # in place: the validation objective shares them

    # --- evaluation mode --------------------------------------------------------------
    def raw(self, w, idx=None) -> np.ndarray:
        """Evaluation-mode raw outputs on rows ``idx`` (all if None).

        Parameters
        ----------
        w : ndarray of shape (layout.size,)
            The flat parameter vector.
        idx : ndarray of int or None, default=None
            Rows; None = all rows.

        Returns
        -------
        raw : ndarray of shape (n_rows, n_outputs)
            The network's outputs before the output activation.
        """
        coefs, intercepts, bn = self.unpack(w)
        rows = np.arange(self.n_samples) if idx is None else np.asarray(idx)
        if self.sparse:
            return forward_eval(None, coefs, intercepts, self.activation, bn,
                                first_layer=lambda W: self.csr.matmul(rows, W))
        X = self.X if idx is None else self.X[idx]
        return forward_eval(X, coefs, intercepts, self.activation, bn)

    @property
    def random_gradient(self) -> bool:
        """Dropout makes even the full-batch gradient random."""
        return any(p > 0 for p in self.dropout)

    def value(self, w, idx=None) -> float:
        y = self.y if idx is None else self.y[idx]
        sw = self.sw if idx is None else self.sw[idx]
        loss = self.loss.loss(y, self.raw(w, idx))
        return float(sw @ loss) / max(sw.size, 1)

    # --- training mode ----------------------------------------------------------------
    def value_grad(self, w, idx=None, rng=None):
        w = w.astype(self.dtype, copy=False)
        full = idx is None
        rows = np.arange(self.n_samples) if full else np.asarray(idx)
        y = self.y if full else self.y[rows]
        sw = self.sw if full else self.sw[rows]
        m = max(rows.size, 1)
        P = self.layout.unpack(w)
        grad = self._grad_views
        X = None if self.sparse else (self.X if full else self.X[rows])
        raw, cache = self._forward(P, X, rows, sw, None if full else rng, full)
        loss, D = self._loss_gradient(y, raw)
        if self.unit_weights:
            D *= self.dtype.type(1.0 / m)
            value = float(loss.sum()) / m
        else:
            D *= (sw / m).astype(self.dtype)[:, None]
            value = float(sw @ loss) / m
        self._backward(P, grad, X, rows, D, cache)
        return value, self._grad

    def _loss_gradient(self, y, raw):
        if self.multinomial:
            # fused kernel (the registry's version goes through scipy's logsumexp)
            loss = np.empty(raw.shape[0], dtype=np.float64)
            softmax_xent(raw, y, loss)
            return loss, raw
        loss, D = self.loss.loss_gradient(y, raw)
        return loss, np.asarray(D, dtype=self.dtype)

    def _forward(self, P, X, rows, sw, rng, full):
        A, cache = X, []
        L = self.n_layers
        a = None
        if self.batch_norm:
            tot = sw.sum()
            a = (sw / tot if tot > 0 else np.full(sw.size, 1.0 / sw.size)).astype(self.dtype)
        for l in range(L):
            W = P[f"coefs_{l}"]
            b = P.get(f"intercepts_{l}")
            if l == 0 and self.sparse:
                # the intercept is added in the kernel, which also files the batch's
                # values by column for the weight gradient
                Z = self.csr.matmul(rows, W, b, record=True)
            else:
                Z = A @ W
                if b is not None:
                    Z += b
            if l == L - 1:
                return Z, cache
            bn = None
            if self.batch_norm:
                Z, Zhat, std, mean, var = bn_forward(Z, P[f"bn_scale_{l}"],
                                                     P[f"bn_shift_{l}"], a)
                self._update_running(l, mean, var, full)
                bn = (Zhat, std, a)
            keep_z = self.activation.needs_input
            H = self.activation.forward(Z, np.empty_like(Z) if keep_z else Z)
            mask = self._mask(l, H.shape, rng)
            A = H if mask is None else H * mask
            cache.append((Z if keep_z else None, H, mask, bn, A))
        raise AssertionError("unreachable")

    def _mask(self, l, shape, rng):
        if self.fixed_dropout_masks is not None:
            mask = self.fixed_dropout_masks[l]
            return None if mask is None else np.asarray(mask, dtype=self.dtype)
        p = self.dropout[l]
        if p <= 0 or rng is None:
            return None
        keep = rng.random_sample(shape) >= p
        return keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - p))

    def _update_running(self, l, mean, var, full):
        rm, rv = self.buffers[f"running_mean_{l}"], self.buffers[f"running_var_{l}"]
        if full:
            rm[...], rv[...] = mean, var
        else:
            rm *= 1 - BN_MOMENTUM
            rm += BN_MOMENTUM * mean
            rv *= 1 - BN_MOMENTUM
            rv += BN_MOMENTUM * var

    def _backward(self, P, grad, X, rows, D, cache):
        for l in range(self.n_layers - 1, -1, -1):
            A_in = cache[l - 1][4] if l > 0 else X
            gb = grad.get(f"intercepts_{l}")
            if l == 0 and self.sparse:
                # the intercept gradient (column sums of D) comes out of the same pass
                self.csr.t_matmul(rows, D, grad[f"coefs_{l}"], gb)
            else:
                np.matmul(A_in.T, D, out=grad[f"coefs_{l}"])
                if gb is not None:
                    np.sum(D, axis=0, out=gb)
            if l == 0:
                return
            # back through layer l-1's dropout, activation and batch norm
            D = D @ P[f"coefs_{l}"].T
            Z, H, mask, bn, _ = cache[l - 1]
            if mask is not None:
                D *= mask
            self.activation.backward(Z, H, D)
            if bn is not None:
                Zhat, std, a = bn
                D, d_scale, d_shift = bn_backward(D, Zhat, std, P[f"bn_scale_{l - 1}"], a)
                grad[f"bn_scale_{l - 1}"][...] = d_scale
                grad[f"bn_shift_{l - 1}"][...] = d_shift
