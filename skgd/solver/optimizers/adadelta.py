"""Adadelta."""

import math

from ._base import DECAY, OPTIMIZERS, POSITIVE, Optimizer


@OPTIMIZERS.register
class Adadelta(Optimizer):
    r"""Adadelta.

    .. math::
        v \leftarrow \rho v + (1-\rho) g^2,\quad
        d = \frac{\sqrt{u+\epsilon}}{\sqrt{v+\epsilon}}\, g,\quad
        u \leftarrow \rho u + (1-\rho) d^2,\quad
        w \leftarrow w - \eta_t d

    The learning rate multiplies the update as in PyTorch (use ``learning_rate_init=1``
    for the original method).

    Parameters
    ----------
    rho : float, default=0.9
        Decay of the running averages.
    epsilon : float, default=1e-6
        Stabilises the square roots.

    References
    ----------
    Zeiler (2012), "ADADELTA: an adaptive learning rate method", arXiv:1212.5701.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import Adadelta
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=Adadelta(), learning_rate="constant",
    ...                        learning_rate_init=1.0, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
    """

    name = "adadelta"
    slots = ("mean_square", "mean_update")
    _parameter_constraints = {"rho": [DECAY], "epsilon": [POSITIVE]}

    def __init__(self, rho: float = 0.9, epsilon: float = 1e-6):
        self.rho = rho
        self.epsilon = epsilon

    @staticmethod
    def update(g, mean_square, mean_update, lr, t, rho, epsilon):
        mean_square = rho * mean_square + (1 - rho) * g * g
        scale = math.sqrt(mean_update + epsilon) / math.sqrt(mean_square + epsilon)
        d = scale * g
        mean_update = rho * mean_update + (1 - rho) * d * d
        return lr * d, lr * scale, mean_square, mean_update
