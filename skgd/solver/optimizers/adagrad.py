"""Adagrad."""

import math

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


def _adagrad(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 1, hp, 1, step)
    eps = H[0]
    for j in range(nnz):
        i = j if dense else I[j]
        S[i] += G[j] * G[j]
        eta = lr / (math.sqrt(S[i]) + eps)
        W[i] -= eta * G[j]
        ST[i] = eta


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
