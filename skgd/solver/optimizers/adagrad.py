"""Adagrad."""

import math

from ._base import OPTIMIZERS, POSITIVE, Optimizer


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
    slots = ("sum_of_squares",)
    _parameter_constraints = {"epsilon": [POSITIVE]}

    def __init__(self, epsilon: float = 1e-10):
        self.epsilon = epsilon

    @staticmethod
    def update(g, sum_of_squares, lr, t, epsilon):
        sum_of_squares += g * g
        eta = lr / (math.sqrt(sum_of_squares) + epsilon)
        return eta * g, eta, sum_of_squares
