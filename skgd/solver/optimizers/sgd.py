"""Plain stochastic gradient descent."""

from numba import njit

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


@njit(inline="always")
def _sgd_coord(W, S, ST, n, i, g, lr):
    W[i] -= lr * g
    ST[i] = lr


def _sgd(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 0, hp, 0, step)
    # two loops rather than one with a per-coordinate branch: the dense one vectorises
    if dense:
        for i in range(nnz):
            _sgd_coord(W, S, ST, n, i, G[i], lr)
    else:
        for j in range(nnz):
            _sgd_coord(W, S, ST, n, I[j], G[j], lr)


@OPTIMIZERS.register
class SGD(Optimizer):
    r"""Plain gradient descent: :math:`w \leftarrow w - \eta_t g`.

    References
    ----------
    Robbins & Monro (1951), "A stochastic approximation method".
    """

    name = "sgd"
    rules = compile_rule(_sgd)
