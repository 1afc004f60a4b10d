"""Nesterov accelerated gradient."""


from ._base import DECAY, OPTIMIZERS, Optimizer


@OPTIMIZERS.register
class Nesterov(Optimizer):
    r"""Nesterov momentum: :math:`v \leftarrow \mu v + g,\;
    w \leftarrow w - \eta_t (g + \mu v)`.

    The proximal step of a penalty uses :math:`\eta_t/(1-\mu)`, the step the velocity
    settles to for a constant gradient, so that the fixed point is the penalised optimum.

    Parameters
    ----------
    momentum : float, default=0.9
        The decay :math:`\mu` of the velocity, in [0, 1).

    References
    ----------
    Sutskever et al. (2013), "On the importance of initialization and momentum in deep
    learning"; the reformulation used by PyTorch's ``SGD(nesterov=True)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> from skgd.solver import Nesterov
    >>> Nesterov.update(2.0, 0.0, 0.1, 1, 0.9)  # (delta, step, velocity)
    (0.38, 1.0000000000000002, 2.0)
    >>> X = np.random.RandomState(0).normal(size=(100, 2))
    >>> y = X @ np.array([1.0, -1.0]) + 0.5
    >>> reg = LinearRegression(solver=Nesterov(momentum=0.9), learning_rate="constant",
    ...                        learning_rate_init=0.01, alpha=0.0, random_state=0).fit(X, y)
    >>> np.round(reg.coef_, 2), np.round(reg.intercept_, 2)
    (array([ 1., -1.]), array([0.5]))
    """

    name = "nesterov"
    slots = ("velocity",)
    _parameter_constraints = {"momentum": [DECAY]}

    def __init__(self, momentum: float = 0.9):
        self.momentum = momentum

    @staticmethod
    def update(g, velocity, lr, t, momentum):
        velocity = momentum * velocity + g
        return lr * (g + momentum * velocity), lr / (1.0 - momentum), velocity
