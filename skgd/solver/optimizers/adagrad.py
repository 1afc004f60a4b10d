"""Adagrad."""

import math

from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _adagrad_coord(W, S, ST, n, i, g, lr, eps):
    S[i] += g * g
    eta = lr / (math.sqrt(S[i]) + eps)
    W[i] -= eta * g
    ST[i] = eta


def _adagrad(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 1, hp, 1, step)
    eps = H[0]
    # two loops rather than one with a per-coordinate branch: the dense one vectorises
    if dense:
        for i in range(nnz):
            _adagrad_coord(W, S, ST, n, i, G[i], lr, eps)
    else:
        for j in range(nnz):
            _adagrad_coord(W, S, ST, n, I[j], G[j], lr, eps)


@OPTIMIZERS.register
class Adagrad(Optimizer):
    r"""Adagrad: :math:`G \leftarrow G + g^2,\; w \leftarrow w - \eta_t g/(\sqrt{G}+\epsilon)`.

    Parameters
    ----------
    epsilon : float, default=1e-10
        Added to the denominator for numerical stability.

    References
    ----------
    Duchi, Hazan & Singer (2011), "Adaptive subgradient methods for online learning and
    stochastic optimization", JMLR 12.
    """

    name = "adagrad"
    n_slots = 1
    hp_names = ("epsilon",)
    rules = compile_rule(_adagrad)

    def __init__(self, epsilon: float = 1e-10):
        self.epsilon = epsilon
