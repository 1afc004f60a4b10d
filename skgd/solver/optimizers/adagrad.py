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

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import Adagrad
    >>> Adagrad.update(2.0, 0.0, 0.1, 1, 1e-10)  # (delta, step, G)
    (0.099999999995, 0.0499999999975, 4.0)
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=Adagrad(), learning_rate="constant",
    ...                        learning_rate_init=0.1, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
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
