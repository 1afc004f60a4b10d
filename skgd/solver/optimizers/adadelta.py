"""Adadelta."""

import math

from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _adadelta_coord(W, S, ST, n, i, g, lr, rho, eps):
    S[i] = rho * S[i] + (1 - rho) * g * g
    scale = math.sqrt(S[n + i] + eps) / math.sqrt(S[i] + eps)
    d = scale * g
    S[n + i] = rho * S[n + i] + (1 - rho) * d * d
    W[i] -= lr * d
    ST[i] = lr * scale


def _adadelta(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 2, hp, 2, step)
    rho, eps = H[0], H[1]
    # two loops rather than one with a per-coordinate branch: the dense one vectorises
    if dense:
        for i in range(nnz):
            _adadelta_coord(W, S, ST, n, i, G[i], lr, rho, eps)
    else:
        for j in range(nnz):
            _adadelta_coord(W, S, ST, n, I[j], G[j], lr, rho, eps)


@OPTIMIZERS.register
class Adadelta(Optimizer):
    r"""Adadelta.

    .. math::
        v \leftarrow \rho v + (1-\rho) g^2,\quad
        d = \frac{\sqrt{u+\epsilon}}{\sqrt{v+\epsilon}}\, g,\quad
        u \leftarrow \rho u + (1-\rho) d^2,\quad
        w \leftarrow w - \eta_t d

    The learning rate multiplies the update as in PyTorch (use ``learning_rate_init=1``
    for the original method).

    Parameters
    ----------
    rho : float, default=0.9
        Decay of the running averages.
    epsilon : float, default=1e-6
        Stabilises the square roots.

    References
    ----------
    Zeiler (2012), "ADADELTA: an adaptive learning rate method", arXiv:1212.5701.
    """

    name = "adadelta"
    n_slots = 2
    hp_names = ("rho", "epsilon")
    rules = compile_rule(_adadelta)

    def __init__(self, rho: float = 0.9, epsilon: float = 1e-6):
        self.rho = rho
        self.epsilon = epsilon
