"""Adam and AdamW."""

import math

import numpy as np
from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _adam_coord(W, S, n, i, g, lr, b1, b2, a1, a2, eps, r1, r2):
    m = b1 * S[i] + a1 * g
    v = b2 * S[n + i] + a2 * (g * g)
    S[i] = m
    S[n + i] = v
    eta = lr / (math.sqrt(v * r2) + eps)
    W[i] -= eta * (m * r1)
    return eta


def _adam(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 2, hp, 4, step)
    # arithmetic in the parameter dtype: float32 loops vectorise twice as wide
    T = type(W[0])
    b1, b2, eps, lr_ = T(H[0]), T(H[1]), T(H[2]), T(lr)
    a1, a2 = T(1.0) - b1, T(1.0) - b2
    # bias corrections of the zero-initialised moments (Kingma & Ba, Algorithm 1), as
    # reciprocals so that the loop multiplies instead of dividing
    r1, r2 = T(1.0 / (1.0 - H[0] ** t)), T(1.0 / (1.0 - H[1] ** t))
    decoupled = H[3] != 0.0
    if dense:
        if decoupled:
            for i in range(nnz):
                _adam_coord(W, S, n, i, G[i], lr_, b1, b2, a1, a2, eps, r1, r2)
                ST[i] = lr_
        else:
            for i in range(nnz):
                ST[i] = _adam_coord(W, S, n, i, G[i], lr_, b1, b2, a1, a2, eps, r1, r2)
    else:
        for j in range(nnz):
            i = I[j]
            eta = _adam_coord(W, S, n, i, G[j], lr_, b1, b2, a1, a2, eps, r1, r2)
            ST[i] = lr_ if decoupled else eta


class _AdamBase(Optimizer):
    n_slots = 2
    hp_names = ("beta_1", "beta_2", "epsilon")
    rules = compile_rule(_adam)

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon


@OPTIMIZERS.register
class Adam(_AdamBase):
    r"""Adam.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        w \leftarrow w - \eta_t \frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)}+\epsilon}

    A penalty's proximal step uses the per-coordinate step
    :math:`\eta_t/(\sqrt{\hat v}+\epsilon)`, so L1 gives exact zeros.

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Kingma & Ba (2015), "Adam: a method for stochastic optimization", ICLR.
    """

    name = "adam"

    def hyperparameters(self) -> np.ndarray:
        return np.array([self.beta_1, self.beta_2, self.epsilon, 0.0])


@OPTIMIZERS.register
class AdamW(_AdamBase):
    r"""Adam with decoupled weight decay.

    The Adam update of :class:`Adam`; the penalty (``alpha``, on the penalised weights
    only) is applied as a proximal step with the scheduled learning rate
    :math:`\eta_t` instead of Adam's per-coordinate step, i.e. decoupled from the
    gradient scaling: for ``penalty="l2"``, :math:`w \leftarrow w/(1+\eta_t\alpha)`.
    ``alpha`` plays the role of AdamW's weight-decay coefficient.

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Loshchilov & Hutter (2019), "Decoupled weight decay regularization", ICLR.
    """

    name = "adamw"

    def hyperparameters(self) -> np.ndarray:
        return np.array([self.beta_1, self.beta_2, self.epsilon, 1.0])
