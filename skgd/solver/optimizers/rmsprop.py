"""RMSprop."""

import math

from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _rmsprop_coord(W, S, ST, n, i, g, lr, rho, eps):
    S[i] = rho * S[i] + (1 - rho) * g * g
    eta = lr / (math.sqrt(S[i]) + eps)
    W[i] -= eta * g
    ST[i] = eta


def _rmsprop(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 1, hp, 2, step)
    rho, eps = H[0], H[1]
    # two loops rather than one with a per-coordinate branch: the dense one vectorises
    if dense:
        for i in range(nnz):
            _rmsprop_coord(W, S, ST, n, i, G[i], lr, rho, eps)
    else:
        for j in range(nnz):
            _rmsprop_coord(W, S, ST, n, I[j], G[j], lr, rho, eps)


@OPTIMIZERS.register
class RMSprop(Optimizer):
    r"""RMSprop: :math:`v \leftarrow \rho v + (1-\rho) g^2,\;
    w \leftarrow w - \eta_t g/(\sqrt{v}+\epsilon)`.

    Parameters
    ----------
    rho : float, default=0.9
        Decay of the running average of squared gradients.
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Tieleman & Hinton (2012), Lecture 6.5 of "Neural networks for machine learning".
    """

    name = "rmsprop"
    n_slots = 1
    hp_names = ("rho", "epsilon")
    rules = compile_rule(_rmsprop)

    def __init__(self, rho: float = 0.9, epsilon: float = 1e-8):
        self.rho = rho
        self.epsilon = epsilon
