"""Optimizers: one registered class per file."""

from ._base import DECAY, OPTIMIZERS, POSITIVE, Optimizer
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .amsgrad import AMSGrad
from .momentum import Momentum
from .nadam import NAdam
from .nesterov import Nesterov
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "DECAY",
    "POSITIVE",
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdamW",
    "NAdam",
    "AMSGrad",
]

from .fista import FISTA  # noqa: E402
from .lbfgs import LBFGS  # noqa: E402
from .newton import Newton  # noqa: E402

__all__ += ["LBFGS", "Newton", "FISTA"]
