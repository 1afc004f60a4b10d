"""Heavy-ball momentum."""


from ._base import DECAY, OPTIMIZERS, Optimizer


@OPTIMIZERS.register
class Momentum(Optimizer):
    r"""Heavy-ball momentum: :math:`v \leftarrow \mu v + g,\; w \leftarrow w - \eta_t v`.

    Parameters
    ----------
    momentum : float, default=0.9
        The decay :math:`\mu` of the velocity, in [0, 1).

    The proximal step of a penalty uses :math:`\eta_t/(1-\mu)`, the step the velocity
    settles to for a constant gradient, so that the fixed point is the penalised optimum.

    References
    ----------
    Polyak (1964); the form used by PyTorch's ``SGD(momentum=...)``.
    """

    name = "momentum"
    slots = ("velocity",)
    _parameter_constraints = {"momentum": [DECAY]}

    def __init__(self, momentum: float = 0.9):
        self.momentum = momentum

    @staticmethod
    def update(g, velocity, lr, t, momentum):
        velocity = momentum * velocity + g
        return lr * velocity, lr / (1.0 - momentum), velocity
