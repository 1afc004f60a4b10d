"""Heavy-ball momentum."""

from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _momentum_coord(W, S, ST, n, i, g, lr, mu):
    S[i] = mu * S[i] + g
    W[i] -= lr * S[i]
    ST[i] = lr / (1.0 - mu)


def _momentum(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 1, hp, 1, step)
    mu = H[0]
    # two loops rather than one with a per-coordinate branch: the dense one vectorises
    if dense:
        for i in range(nnz):
            _momentum_coord(W, S, ST, n, i, G[i], lr, mu)
    else:
        for j in range(nnz):
            _momentum_coord(W, S, ST, n, I[j], G[j], lr, mu)


@OPTIMIZERS.register
class Momentum(Optimizer):
    r"""Heavy-ball momentum: :math:`v \leftarrow \mu v + g,\; w \leftarrow w - \eta_t v`.

    Parameters
    ----------
    momentum : float, default=0.9
        The decay :math:`\mu` of the velocity, in [0, 1).

    The proximal step of a penalty uses :math:`\eta_t/(1-\mu)`, the step the velocity
    settles to for a constant gradient, so that the fixed point is the penalised optimum.

    References
    ----------
    Polyak (1964); the form used by PyTorch's ``SGD(momentum=...)``.
    """

    name = "momentum"
    n_slots = 1
    hp_names = ("momentum",)
    rules = compile_rule(_momentum)

    def __init__(self, momentum: float = 0.9):
        self.momentum = momentum
