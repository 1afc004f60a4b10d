"""Plain stochastic gradient descent."""

from ._base import OPTIMIZERS, PLAIN_STEP, RULE, Optimizer


@OPTIMIZERS.register
class SGD(Optimizer):
    r"""Plain gradient descent: :math:`w \leftarrow w - \eta_t g`.

    References
    ----------
    Robbins & Monro (1951), "A stochastic approximation method".
    """

    name = "sgd"
    capabilities = frozenset({RULE, PLAIN_STEP})

    @staticmethod
    def update(g, lr, t):
        return lr * g, lr
