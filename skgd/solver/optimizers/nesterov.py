"""Nesterov accelerated gradient."""


from ._base import DECAY, OPTIMIZERS, Optimizer


@OPTIMIZERS.register
class Nesterov(Optimizer):
    r"""Nesterov momentum: :math:`v \leftarrow \mu v + g,\;
    w \leftarrow w - \eta_t (g + \mu v)`.

    Parameters
    ----------
    momentum : float, default=0.9
        The decay :math:`\mu` of the velocity, in [0, 1).

    The proximal step of a penalty uses :math:`\eta_t/(1-\mu)`, the step the velocity
    settles to for a constant gradient, so that the fixed point is the penalised optimum.

    References
    ----------
    Sutskever et al. (2013), "On the importance of initialization and momentum in deep
    learning"; the reformulation used by PyTorch's ``SGD(nesterov=True)``.
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
