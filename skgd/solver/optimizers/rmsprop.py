"""RMSprop."""

import math

from ._base import DECAY, OPTIMIZERS, POSITIVE, Optimizer


@OPTIMIZERS.register
class RMSprop(Optimizer):
    r"""RMSprop: :math:`v \leftarrow \rho v + (1-\rho) g^2,\;
    w \leftarrow w - \eta_t g/(\sqrt{v}+\epsilon)`.

    Parameters
    ----------
    rho : float, default=0.9
        Decay of the running average of squared gradients.
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.

    References
    ----------
    Tieleman & Hinton (2012), Lecture 6.5 of "Neural networks for machine learning".
    """

    name = "rmsprop"
    slots = ("mean_square",)
    _parameter_constraints = {"rho": [DECAY], "epsilon": [POSITIVE]}

    def __init__(self, rho: float = 0.9, epsilon: float = 1e-8):
        self.rho = rho
        self.epsilon = epsilon

    @staticmethod
    def update(g, mean_square, lr, t, rho, epsilon):
        mean_square = rho * mean_square + (1 - rho) * g * g
        eta = lr / (math.sqrt(mean_square) + epsilon)
        return eta * g, eta, mean_square
