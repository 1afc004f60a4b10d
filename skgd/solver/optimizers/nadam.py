"""NAdam."""

import math

from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _nadam_coord(W, S, ST, n, i, g, lr, b1, b2, eps, c1, c1_next, c2):
    S[i] = b1 * S[i] + (1 - b1) * g
    S[n + i] = b2 * S[n + i] + (1 - b2) * g * g
    # Nesterov look-ahead: the next step's momentum plus the current gradient
    m_hat = b1 * S[i] / c1_next + (1 - b1) * g / c1
    eta = lr / (math.sqrt(S[n + i] / c2) + eps)
    W[i] -= eta * m_hat
    ST[i] = eta


def _nadam(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 2, hp, 3, step)
    b1, b2, eps = H[0], H[1], H[2]
    c1 = 1.0 - b1**t
    c1_next = 1.0 - b1 ** (t + 1)
    c2 = 1.0 - b2**t
    # two loops rather than one with a per-coordinate branch: the dense one vectorises
    if dense:
        for i in range(nnz):
            _nadam_coord(W, S, ST, n, i, G[i], lr, b1, b2, eps, c1, c1_next, c2)
    else:
        for j in range(nnz):
            _nadam_coord(W, S, ST, n, I[j], G[j], lr, b1, b2, eps, c1, c1_next, c2)


@OPTIMIZERS.register
class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum.

    .. math::
        \hat m = \frac{\beta_1 m}{1-\beta_1^{t+1}} + \frac{(1-\beta_1) g}{1-\beta_1^t},\quad
        w \leftarrow w - \eta_t \frac{\hat m}{\sqrt{v/(1-\beta_2^t)}+\epsilon}

    with :math:`m, v` updated as in Adam (constant momentum, as in Optax and Keras).

    Parameters
    ----------
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Dozat (2016), "Incorporating Nesterov momentum into Adam", ICLR workshop.
    """

    name = "nadam"
    n_slots = 2
    hp_names = ("beta_1", "beta_2", "epsilon")
    rules = compile_rule(_nadam)

    def __init__(self, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
