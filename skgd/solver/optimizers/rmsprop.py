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

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import RMSprop
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=RMSprop(rho=0.9), learning_rate="constant",
    ...                        learning_rate_init=0.01, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
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
