r"""Losses of a raw prediction, as a registry.

Every loss works on raw model outputs ``raw`` of shape ``(n, K)``:

- regression losses take ``y`` of shape ``(n, K)`` (floats);
- ``log_loss`` takes ``y`` of shape ``(n, K)`` in {0, 1} (binary ``K=1`` or multilabel,
  one sigmoid per column);
- ``multinomial`` takes ``y`` of shape ``(n,)`` with class indices (softmax over ``K``).

The per-sample loss is summed over the ``K`` outputs. Each loss also carries a compiled
per-sample version (``kernel``, a ``@cfunc`` with signature
``float64(y, raw*, K, dloss_out*, params*)`` writing :math:`\partial L/\partial raw`),
which the per-sample SGD kernels call. The hot kernels inline the two most common
one-output losses instead of calling their ``kernel`` (:meth:`Loss.kernel_code`,
:func:`one_output_loss`): a call through a function pointer makes every
floating-point register live across it spill, which cost the plain-SGD kernel about
10 % of its time on SST-2.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from numba import carray, cfunc, njit, types
from scipy.special import expit, logsumexp

from .solver._component import Component
from .solver._registry import Registry

LOSSES: Registry = Registry("loss")

__all__ = ["LOSSES", "Loss", "SquaredError", "Huber", "EpsilonInsensitive", "LogLoss",
           "Multinomial", "BPR"]

# MatrixFactorization's losses, as its group kernels know them (``recommender_code``)
MF_SQUARED, MF_LOGISTIC, MF_BPR = 0, 1, 2

# Kernel codes (:meth:`Loss.kernel_code`): call the loss's compiled ``kernel``, or
# inline the half squared error or the binary cross-entropy.
LOSS_CALL, LOSS_SQUARED, LOSS_LOG = 0, 1, 2

KERNEL_SIGNATURE = types.float64(
    types.float64, types.CPointer(types.float64), types.int64,
    types.CPointer(types.float64), types.CPointer(types.float64),
)


def compile_loss_kernel(pyfunc):
    """Compile a per-sample loss kernel with the shared signature (on-disk cached)."""
    return cfunc(KERNEL_SIGNATURE, cache=True)(pyfunc)


class Loss(Component):
    r"""Base class of losses (see the module docstring for shapes).

    A new loss of one output is one class in plain scalar Python: its
    hyperparameters (``__init__`` arguments, floats), ``task`` (``"regression"`` or
    ``"classification"``), and ``point(y, p, *hyperparameters) -> (loss, dloss)``, a
    ``staticmethod`` giving :math:`L(y, p)` and :math:`\partial L/\partial p` for one
    target and prediction; skgd compiles it into the per-sample kernel and the
    vectorised loss (summed over the outputs of a multi-output model). Set
    ``smooth = False`` for a loss without a second derivative (L-BFGS and Newton then
    refuse it); define :meth:`hessp` to allow Newton. Registering the class with
    ``@LOSSES.register`` makes its ``name`` valid for the estimators of its ``task``,
    and an instance can be passed as ``loss=``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import Loss
    >>> class Absolute(Loss):
    ...     name = "absolute"
    ...     smooth = False
    ...     @staticmethod
    ...     def point(y, p):
    ...         r = p - y
    ...         return abs(r), (1.0 if r > 0 else -1.0 if r < 0 else 0.0)
    >>> Absolute().loss(np.array([[1.0], [2.0]]), np.array([[0.5], [3.0]]))
    array([0.5, 1. ])
    """

    name: ClassVar[str] = ""
    smooth: ClassVar[bool] = True
    task: ClassVar[str] = "regression"
    #: the code of this loss in the recommender's group kernels (:data:`MF_SQUARED`,
    #: :data:`MF_LOGISTIC`, :data:`MF_BPR`), or None when MatrixFactorization cannot
    #: train with it
    recommender_code: ClassVar[int | None] = None
    point = None

    def params(self) -> np.ndarray:
        """Hyperparameters as the float64 vector the compiled kernel reads.

        Returns
        -------
        params : ndarray of shape (n_hyperparameters,) or (1,)
            The ``__init__`` arguments in order (``[0.0]`` for a loss without any).
        """
        names = self._get_param_names()
        order = [k for k in _init_order(type(self)) if k in names]
        return np.array([float(getattr(self, k)) for k in order] or [0.0])

    @property
    def kernel(self):
        """The compiled per-sample loss (see the module docstring); for a plain
        ``point`` loss, generated on first use."""
        if self.point is None:
            raise NotImplementedError(f"loss {self.name!r} has no compiled kernel")
        return _point_module(type(self)).compiled_kernel()

    def loss(self, y: np.ndarray, raw: np.ndarray) -> np.ndarray:
        """Per-sample loss, shape ``(n,)``.

        Parameters
        ----------
        y : ndarray of shape (n, K) or (n,)
            Targets: floats or 0/1 of shape ``(n, K)``, or class indices of shape ``(n,)``
            for ``multinomial``.
        raw : ndarray of shape (n, K)
            Raw model outputs.

        Returns
        -------
        loss : ndarray of shape (n,)
            :math:`L(y_i, raw_i)`, summed over the ``K`` outputs.
        """
        return self.loss_gradient(y, raw)[0]

    def loss_gradient(self, y: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r"""Per-sample loss ``(n,)`` and :math:`\partial L/\partial raw` ``(n, K)``.

        Parameters
        ----------
        y : ndarray of shape (n, K) or (n,)
            Targets: floats or 0/1 of shape ``(n, K)``, or class indices of shape ``(n,)``
            for ``multinomial``.
        raw : ndarray of shape (n, K)
            Raw model outputs.

        Returns
        -------
        loss : ndarray of shape (n,)
            The per-sample loss.
        grad : ndarray of shape (n, K)
            Its derivative with respect to ``raw``.

        Examples
        --------
        >>> import numpy as np
        >>> from skgd.losses import SquaredError
        >>> loss, grad = SquaredError().loss_gradient(np.array([[1.0]]), np.array([[3.0]]))
        >>> loss, grad
        (array([2.]), array([[2.]]))
        """
        if self.point is None:
            raise NotImplementedError
        raw = np.ascontiguousarray(raw, dtype=np.float64)
        y = np.ascontiguousarray(np.broadcast_to(np.asarray(y, dtype=np.float64).reshape(
            raw.shape[0], -1), raw.shape))
        return _point_module(type(self)).loss_gradient(y, raw, self.params())

    def weighted_loss_gradient(self, y, raw, sw) -> tuple[float, np.ndarray]:
        r""":math:`\sum_i s_i L_i` and the gradient rows scaled by :math:`s_i`.

        Parameters
        ----------
        y : ndarray of shape (n, K) or (n,)
            Targets: floats or 0/1 of shape ``(n, K)``, or class indices of shape ``(n,)``
            for ``multinomial``.
        raw : ndarray of shape (n, K)
            Raw model outputs.
        sw : ndarray of shape (n,)
            Sample weights :math:`s_i`.

        Returns
        -------
        loss : float
            The weighted sum of the per-sample losses.
        grad : ndarray of shape (n, K)
            :math:`s_i\,\partial L_i/\partial raw_i`.
        """
        loss, grad = self.loss_gradient(y, raw)
        grad *= sw[:, None]
        return float(sw @ loss), grad

    def hessp(self, y: np.ndarray, raw: np.ndarray, v: np.ndarray) -> np.ndarray:
        r"""Per-sample Hessian in raw space times ``v`` (both ``(n, K)``).

        Parameters
        ----------
        y : ndarray of shape (n, K) or (n,)
            Targets: floats or 0/1 of shape ``(n, K)``, or class indices of shape ``(n,)``
            for ``multinomial``.
        raw : ndarray of shape (n, K)
            Raw model outputs.
        v : ndarray of shape (n, K)
            The direction, one ``K``-vector per sample.

        Returns
        -------
        hv : ndarray of shape (n, K)
            :math:`\nabla^2_{raw} L_i \, v_i` for every sample.
        """
        raise NotImplementedError(f"loss {self.name!r} is not twice differentiable")

    def dloss(self, p: float) -> float:
        r"""Scalar derivative at prediction ``p`` with target 1 (Bottou's heuristic).

        Used by the ``optimal`` schedule to pick its offset :math:`t_0`.

        Parameters
        ----------
        p : float
            A raw prediction.

        Returns
        -------
        dloss : float
            :math:`\partial L(1, p)/\partial p`.
        """
        return float(self.loss_gradient(np.ones((1, 1)), np.full((1, 1), p))[1][0, 0])

    def kernel_code(self) -> int:
        """``LOSS_SQUARED`` or ``LOSS_LOG`` when :attr:`kernel` is that loss's own
        compiled kernel (so inlining it changes nothing), else ``LOSS_CALL``.

        Returns
        -------
        code : int
            The kernel code the hot loops switch on.
        """
        return _INLINED.get(self.kernel, LOSS_CALL)


@njit(inline="always")
def log_loss_terms(y, z):
    r"""The binary cross-entropy of one logit in parts: ``(e, linear, d)`` with
    :math:`e = e^{-|z|}`, loss :math:`\log(1+e^z) - yz` = ``log1p(e) + linear`` and
    derivative ``d`` :math:`= \sigma(z) - y`; one ``exp`` and no overflow for
    either sign of :math:`z`."""
    e = math.exp(-abs(z))
    q = 1.0 / (1.0 + e)
    if z > 0:
        return e, z - y * z, q - y
    return e, -y * z, e * q - y


@njit(inline="always")
def log_loss_one(y, z):
    """Binary cross-entropy of one logit and its derivative (:func:`log_loss_terms`)."""
    e, linear, d = log_loss_terms(y, z)
    return math.log1p(e) + linear, d


@njit(inline="always")
def one_output_loss(code, y, z, loss_fn, lp, raw, dl):
    """Loss and derivative of a one-output sample with output ``z``: inlined for the
    ``code`` of :meth:`Loss.kernel_code`, else a call of ``loss_fn`` with the
    parameters ``lp`` (pointers, like the one-element scratch ``raw`` and ``dl``: an
    array passed to an inlined function is reference-counted at every call)."""
    if code == LOSS_LOG:
        return log_loss_one(y, z)
    if code == LOSS_SQUARED:
        e = z - y
        return 0.5 * e * e, e
    raw[0] = z
    loss = loss_fn(y, raw, 1, dl, lp)
    return loss, dl[0]


def _squared(y, raw, K, out, params):
    r = carray(raw, (K,))
    d = carray(out, (K,))
    loss = 0.0
    for k in range(K):
        e = r[k] - y
        d[k] = e
        loss += 0.5 * e * e
    return loss


@LOSSES.register
class SquaredError(Loss):
    r"""Half squared error :math:`L = \tfrac12 (y - \hat y)^2`.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import SquaredError
    >>> SquaredError().loss(np.array([[1.0], [0.0]]), np.array([[3.0], [0.5]]))
    array([2.   , 0.125])
    """

    name = "squared_error"
    recommender_code = MF_SQUARED
    kernel = compile_loss_kernel(_squared)

    def loss_gradient(self, y, raw):
        diff = raw - y
        return 0.5 * np.einsum("ij,ij->i", diff, diff), diff

    def hessp(self, y, raw, v):
        return v


def _huber(y, raw, K, out, params):
    r = carray(raw, (K,))
    d = carray(out, (K,))
    eps = carray(params, (1,))[0]
    loss = 0.0
    for k in range(K):
        e = r[k] - y
        if abs(e) <= eps:
            d[k] = e
            loss += 0.5 * e * e
        else:
            d[k] = eps if e > 0 else -eps
            loss += eps * abs(e) - 0.5 * eps * eps
    return loss


@LOSSES.register
class Huber(Loss):
    r"""Huber loss: :math:`\tfrac12 r^2` for :math:`|r|\le\epsilon`, else
    :math:`\epsilon|r| - \tfrac12\epsilon^2` (scikit-learn SGD's ``huber``).

    Parameters
    ----------
    epsilon : float, default=0.1
        Width of the quadratic zone: the loss is quadratic for
        :math:`|r| \le \epsilon` and grows linearly beyond.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import Huber
    >>> Huber(epsilon=1.0).loss(np.zeros((2, 1)), np.array([[0.5], [3.0]]))
    array([0.125, 2.5  ])
    """

    name = "huber"
    kernel = compile_loss_kernel(_huber)

    def __init__(self, epsilon: float = 0.1):
        self.epsilon = epsilon

    def params(self):
        return np.array([float(self.epsilon)])

    def loss_gradient(self, y, raw):
        r = raw - y
        a = np.abs(r)
        small = a <= self.epsilon
        loss = np.where(small, 0.5 * r * r, self.epsilon * a - 0.5 * self.epsilon**2)
        return loss.sum(axis=1), np.where(small, r, self.epsilon * np.sign(r))

    def hessp(self, y, raw, v):
        return np.where(np.abs(raw - y) <= self.epsilon, v, 0.0)


def _eps_insensitive(y, raw, K, out, params):
    r = carray(raw, (K,))
    d = carray(out, (K,))
    eps = carray(params, (1,))[0]
    loss = 0.0
    for k in range(K):
        e = r[k] - y
        if abs(e) > eps:
            d[k] = 1.0 if e > 0 else -1.0
            loss += abs(e) - eps
        else:
            d[k] = 0.0
    return loss


@LOSSES.register
class EpsilonInsensitive(Loss):
    r"""Epsilon-insensitive loss :math:`\max(0, |y-\hat y| - \epsilon)` (linear SVR).
    Not differentiable: first-order solvers only.

    Parameters
    ----------
    epsilon : float, default=0.1
        Half-width of the band :math:`|y - \hat y| \le \epsilon` inside which the loss is zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import EpsilonInsensitive
    >>> EpsilonInsensitive(epsilon=0.5).loss(np.zeros((2, 1)), np.array([[0.2], [2.0]]))
    array([0. , 1.5])
    """

    name = "epsilon_insensitive"
    smooth = False
    kernel = compile_loss_kernel(_eps_insensitive)

    def __init__(self, epsilon: float = 0.1):
        self.epsilon = epsilon

    def params(self):
        return np.array([float(self.epsilon)])

    def loss_gradient(self, y, raw):
        r = raw - y
        excess = np.abs(r) - self.epsilon
        return np.maximum(excess, 0.0).sum(axis=1), np.where(excess > 0, np.sign(r), 0.0)


def _log_loss(y, raw, K, out, params):
    r = carray(raw, (K,))
    d = carray(out, (K,))
    loss = 0.0
    for k in range(K):
        lk, d[k] = log_loss_one(y, r[k])
        loss += lk
    return loss


@njit(cache=True)
def _log_loss_grad(y, raw, sw):
    """Fused binary cross-entropy and its gradient: one pass, one exp per entry.
    Returns the per-sample losses and the gradient rows scaled by ``sw``."""
    n, K = raw.shape
    loss = np.zeros(n)
    grad = np.empty((n, K))
    for i in range(n):
        for k in range(K):
            lk, dk = log_loss_one(y[i, k], raw[i, k])
            loss[i] += lk
            grad[i, k] = sw[i] * dk
    return loss, grad


@njit(cache=True)
def _softmax_xent_grad(y, raw, sw):
    """Fused softmax cross-entropy and its gradient (max-shifted log-sum-exp); the
    gradient rows are scaled by ``sw``."""
    n, K = raw.shape
    loss = np.empty(n)
    grad = np.empty((n, K))
    for i in range(n):
        m = raw[i, 0]
        for k in range(1, K):
            m = max(m, raw[i, k])
        s = 0.0
        for k in range(K):
            e = math.exp(raw[i, k] - m)
            grad[i, k] = e
            s += e
        for k in range(K):
            grad[i, k] /= s
        c = y[i]
        grad[i, c] -= 1.0
        for k in range(K):
            grad[i, k] *= sw[i]
        loss[i] = m + math.log(s) - raw[i, c]
    return loss, grad


def _fused(kernel, y, y_dtype, raw, sw):
    """Call a fused loss-and-gradient kernel with contiguous arrays of its dtypes."""
    return kernel(np.ascontiguousarray(y, dtype=y_dtype),
                  np.ascontiguousarray(raw, dtype=np.float64),
                  np.ascontiguousarray(sw, dtype=np.float64))


@LOSSES.register
class LogLoss(Loss):
    r"""Binary cross-entropy of a logit :math:`z`:
    :math:`L = \log(1+e^{z}) - y z`, summed over independent outputs (multilabel).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import LogLoss
    >>> LogLoss().loss(np.array([[1.0], [0.0]]), np.zeros((2, 1))).round(4)  # log 2
    array([0.6931, 0.6931])
    """

    name = "log_loss"
    task = "classification"
    recommender_code = MF_LOGISTIC
    kernel = compile_loss_kernel(_log_loss)

    def loss_gradient(self, y, raw):
        return _fused(_log_loss_grad, y, np.float64, raw, np.ones(raw.shape[0]))

    def weighted_loss_gradient(self, y, raw, sw):
        loss, grad = _fused(_log_loss_grad, y, np.float64, raw, sw)
        return float(sw @ loss), grad

    def hessp(self, y, raw, v):
        p = expit(raw)
        return p * (1.0 - p) * v


def _multinomial(y, raw, K, out, params):
    r = carray(raw, (K,))
    d = carray(out, (K,))
    m = r[0]
    for k in range(1, K):
        m = max(m, r[k])
    s = 0.0
    for k in range(K):
        d[k] = math.exp(r[k] - m)  # shifted by the max: stable log-sum-exp
        s += d[k]
    c = int(y)
    for k in range(K):
        d[k] /= s
    d[c] -= 1.0
    return m + math.log(s) - r[c]


@LOSSES.register
class Multinomial(Loss):
    r"""Softmax cross-entropy :math:`L = \log\sum_k e^{z_k} - z_y` for class index
    :math:`y`.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import Multinomial
    >>> Multinomial().loss(np.array([0, 2]), np.zeros((2, 3))).round(4)  # log 3
    array([1.0986, 1.0986])
    """

    name = "multinomial"
    task = "classification"
    kernel = compile_loss_kernel(_multinomial)

    def loss_gradient(self, y, raw):
        return _fused(_softmax_xent_grad, y, np.int64, raw, np.ones(raw.shape[0]))

    def weighted_loss_gradient(self, y, raw, sw):
        loss, grad = _fused(_softmax_xent_grad, y, np.int64, raw, sw)
        return float(sw @ loss), grad

    def dloss(self, p: float) -> float:
        # the two-class case: a softmax over (0, p) is a sigmoid of p
        return float(expit(p) - 1.0)

    def hessp(self, y, raw, v):
        p = np.exp(raw - logsumexp(raw, axis=1)[:, None])
        pv = np.einsum("ij,ij->i", p, v)
        return p * (v - pv[:, None])


@LOSSES.register
class BPR(Loss):
    r"""Bayesian personalised ranking: :math:`L = \log(1 + e^{-d})` of the score
    difference :math:`d = \hat y_{ui} - \hat y_{uj}` between an observed item
    :math:`i` and a sampled unobserved item :math:`j` (Rendle et al. 2009). A pairwise
    loss: only :class:`~skgd.recommender.MatrixFactorization` trains with it.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.losses import BPR
    >>> round(float(BPR().loss(np.ones((1, 1)), np.zeros((1, 1)))[0]), 4)  # log 2
    0.6931
    """

    name = "bpr"
    task = "ranking"
    recommender_code = MF_BPR

    @staticmethod
    def point(y, d):
        r"""The loss and its derivative at one score difference (compiled by skgd).

        Parameters
        ----------
        y : float
            Unused (the pair is the target).
        d : float
            The score difference :math:`d = \hat y_{ui} - \hat y_{uj}`.

        Returns
        -------
        loss : float
            :math:`\log(1 + e^{-d})`, computed stably for either sign of ``d``.
        dloss : float
            :math:`\partial L/\partial d = -1/(1+e^{d})`.
        """
        e = math.exp(-abs(d))  # stable for either sign of d
        if d >= 0.0:
            return math.log1p(e), -e / (1.0 + e)
        return -d + math.log1p(e), -1.0 / (1.0 + e)


# the recommender's name of the pointwise log-loss on implicit feedback
LOSSES.alias("logistic", "log_loss")

_INLINED = {SquaredError.kernel: LOSS_SQUARED, LogLoss.kernel: LOSS_LOG}


def _init_order(cls) -> list[str]:
    import inspect

    if cls.__init__ is object.__init__:
        return []
    return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]


_POINT_SOURCE = '''"""Generated by skgd from a loss's plain point function; do not edit."""

import numpy as np
from numba import carray, cfunc, njit

point = None  # set by skgd.losses
SIGNATURE = None


def kernel(y, raw, K, out, params):
    r = carray(raw, (K,))
    d = carray(out, (K,))
    P = carray(params, ({n_p},))
    loss = 0.0
    for k in range(K):
        lk, dk = point(y, r[k]{args})
        d[k] = dk
        loss += lk
    return loss


@njit(cache=True)
def loss_gradient(y, raw, P):
    n, K = raw.shape
    loss = np.zeros(n)
    grad = np.empty((n, K))
    for i in range(n):
        for k in range(K):
            lk, dk = point(y[i, k], raw[i, k]{args})
            loss[i] += lk
            grad[i, k] = dk
    return loss, grad


_compiled = []


def compiled_kernel():
    if not _compiled:
        _compiled.append(cfunc(SIGNATURE, cache=True)(kernel))
    return _compiled[0]
'''


def _point_module(cls):
    """The generated module of a plain ``point`` loss (built once per class)."""
    mod = cls.__dict__.get("_point_mod")
    if mod is None:
        from .solver._compile import generated_module, source_hash

        n = max(len(_init_order(cls)), 1)
        args = "".join(f", P[{k}]" for k in range(len(_init_order(cls))))
        text = _POINT_SOURCE.replace("{n_p}", str(n)).replace("{args}", args)
        mod = generated_module("loss", text, {"point": njit(inline="always")(cls.point),
                                              "SIGNATURE": KERNEL_SIGNATURE},
                               source_hash(cls.point))
        cls._point_mod = mod
    return mod
