"""Adam and AdamW."""

import numpy as np
from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _moments(M, V, i, g, b1, b2, a1, a2):
    m = b1 * M[i] + a1 * g
    v = b2 * V[i] + a2 * (g * g)
    M[i] = m
    V[i] = v
    return m, v


@njit(inline="always")
def _adam_coord(W, M, V, i, g, lr, b1, b2, a1, a2, eps, r1, r2):
    m, v = _moments(M, V, i, g, b1, b2, a1, a2)
    eta = lr / (np.sqrt(v * r2) + eps)
    W[i] -= eta * (m * r1)
    return eta


@njit(inline="always")
def _adam_l2_coord(W, M, V, i, g, lr, b1, b2, a1, a2, eps, r1, r2, lr_l2):
    # the update w - eta m^ followed by the L2 prox (divide by 1 + eta l2), with
    # eta = lr / d: ((w - lr m^/d) / (1 + lr l2/d) = (w d - lr m^) / (d + lr l2), one
    # division instead of two
    m, v = _moments(M, V, i, g, b1, b2, a1, a2)
    d = np.sqrt(v * r2) + eps
    W[i] = (W[i] * d - lr * (m * r1)) / (d + lr_l2)


def _adam(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    """Adam's rule. ``hp = (beta_1, beta_2, epsilon, decoupled, l2)``: ``decoupled`` is 1
    for AdamW; ``l2`` > 0 applies the L2 proximal step in the same pass (and then
    ``step`` is not written, as no proximal step follows)."""
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 2, hp, 5, step)
    # the two moment slots as separate rows: their indices are provably non-negative,
    # so the dense loops vectorise (with numba's "numpy" error model, see compile_rule)
    S2 = S.reshape((2, n))
    M, V = S2[0], S2[1]
    # arithmetic in the parameter dtype: float32 loops vectorise twice as wide
    T = type(W[0])
    b1, b2, eps, lr_ = T(H[0]), T(H[1]), T(H[2]), T(lr)
    a1, a2 = T(1.0) - b1, T(1.0) - b2
    # bias corrections of the zero-initialised moments (Kingma & Ba, Algorithm 1), as
    # reciprocals so that the loop multiplies instead of dividing
    r1, r2 = T(1.0 / (1.0 - H[0] ** t)), T(1.0 / (1.0 - H[1] ** t))
    decoupled = H[3] != 0.0
    l2 = H[4]
    if l2 != 0.0 and decoupled:
        # AdamW's decay w / (1 + lr l2) fused in (no step written: no prox follows)
        c = T(1.0 / (1.0 + lr * l2))
        if dense:
            for i in range(nnz):
                _adam_coord(W, M, V, i, G[i], lr_, b1, b2, a1, a2, eps, r1, r2)
                W[i] *= c
        else:
            for j in range(nnz):
                _adam_coord(W, M, V, I[j], G[j], lr_, b1, b2, a1, a2, eps, r1, r2)
                W[I[j]] *= c
    elif l2 != 0.0:
        lr_l2 = T(lr * l2)
        if dense:
            for i in range(nnz):
                _adam_l2_coord(W, M, V, i, G[i], lr_, b1, b2, a1, a2, eps, r1, r2, lr_l2)
        else:
            for j in range(nnz):
                _adam_l2_coord(W, M, V, I[j], G[j], lr_, b1, b2, a1, a2, eps, r1, r2, lr_l2)
    elif dense:
        if decoupled:
            for i in range(nnz):
                _adam_coord(W, M, V, i, G[i], lr_, b1, b2, a1, a2, eps, r1, r2)
                ST[i] = lr_
        else:
            for i in range(nnz):
                ST[i] = _adam_coord(W, M, V, i, G[i], lr_, b1, b2, a1, a2, eps, r1, r2)
    else:
        for j in range(nnz):
            i = I[j]
            eta = _adam_coord(W, M, V, i, G[j], lr_, b1, b2, a1, a2, eps, r1, r2)
            ST[i] = lr_ if decoupled else eta


class _AdamBase(Optimizer):
    n_slots = 2
    hp_names = ("beta_1", "beta_2", "epsilon")
    rules = compile_rule(_adam)

    def fused_l2_hyperparameters(self, l2: float) -> np.ndarray:
        hp = self.hyperparameters()
        hp[4] = l2
        return hp

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
    :math:`\eta_t/(\sqrt{\hat v}+\epsilon)`, so L1 gives exact zeros. The L2 step
    :math:`w \leftarrow w/(1+\eta l_2)` is fused into the update on the mini-batch path:
    with :math:`d=\sqrt{\hat v}+\epsilon`,
    :math:`w \leftarrow (w d - \eta_t \hat m)/(d + \eta_t l_2)`.

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
        return np.array([self.beta_1, self.beta_2, self.epsilon, 0.0, 0.0])


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
        return np.array([self.beta_1, self.beta_2, self.epsilon, 1.0, 0.0])
