"""AMSGrad."""

import math

from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _amsgrad_coord(W, S, ST, n, i, g, lr, b1, b2, eps, c1, c2):
    S[i] = b1 * S[i] + (1 - b1) * g
    S[n + i] = b2 * S[n + i] + (1 - b2) * g * g
    # the running maximum keeps the effective step non-increasing
    S[2 * n + i] = max(S[2 * n + i], S[n + i])
    eta = lr / (math.sqrt(S[2 * n + i] / c2) + eps)
    W[i] -= eta * S[i] / c1
    ST[i] = eta


def _amsgrad(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 3, hp, 3, step)
    b1, b2, eps = H[0], H[1], H[2]
    c1 = 1.0 - b1**t
    c2 = 1.0 - b2**t
    # two loops rather than one with a per-coordinate branch: the dense one vectorises
    if dense:
        for i in range(nnz):
            _amsgrad_coord(W, S, ST, n, i, G[i], lr, b1, b2, eps, c1, c2)
    else:
        for j in range(nnz):
            _amsgrad_coord(W, S, ST, n, I[j], G[j], lr, b1, b2, eps, c1, c2)


@OPTIMIZERS.register
class AMSGrad(Optimizer):
    r"""AMSGrad: Adam with a non-increasing second moment.

    .. math::
        \hat v_{\max} \leftarrow \max(\hat v_{\max}, v),\quad
        w \leftarrow w - \eta_t \frac{m/(1-\beta_1^t)}{\sqrt{\hat v_{\max}/(1-\beta_2^t)}
        +\epsilon}

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Reddi, Kale & Kumar (2018), "On the convergence of Adam and beyond", ICLR.
    """

    name = "amsgrad"
    n_slots = 3
    hp_names = ("beta_1", "beta_2", "epsilon")
    rules = compile_rule(_amsgrad)

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
