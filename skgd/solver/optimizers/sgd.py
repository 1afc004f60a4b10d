"""Plain stochastic gradient descent."""

from .._rules import compile_rule, views
from ._base import OPTIMIZERS, Optimizer


def _sgd(w, g, idx, nnz, dense, state, n, hp, lr, t, step):
    W, G, I, S, H, ST = views(w, g, idx, nnz, state, n, 0, hp, 0, step)
    for j in range(nnz):
        i = j if dense else I[j]
        W[i] -= lr * G[j]
        ST[i] = lr


@OPTIMIZERS.register
class SGD(Optimizer):
    r"""Plain gradient descent: :math:`w \leftarrow w - \eta_t g`.

    References
    ----------
    Robbins & Monro (1951), "A stochastic approximation method".
    """

    name = "sgd"
    rules = compile_rule(_sgd)
