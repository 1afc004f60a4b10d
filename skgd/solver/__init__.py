"""The shared gradient-descent solver.

:func:`minimize` is the one training loop of skgd; estimators build an
:class:`Objective` and a :class:`SolverConfig` and call it. Optimizers, schedules and
regularizers are registered components (``OPTIMIZERS``, ``SCHEDULES``,
``REGULARIZERS``) that can be named by string or passed as objects.
"""

from ._config import OptimizeResult, SolverConfig, SolverState, Validation
from ._loop import init_state, minimize, resolve_batch_size
from ._objective import Objective, ParamLayout, SparseGrad
from ._proximal import ProximalTerm
from ._regularizers import (
    L1,
    L2,
    REGULARIZERS,
    ElasticNet,
    NoPenalty,
    Regularizer,
    resolve_penalty,
)
from ._schedules import (
    SCHEDULES,
    Constant,
    Cosine,
    Exponential,
    InvScaling,
    OneCycle,
    Optimal,
    Plateau,
    Schedule,
    ScheduleContext,
    Step,
    WarmupCosine,
)
from .optimizers import (
    FISTA,
    LBFGS,
    OPTIMIZERS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    AMSGrad,
    Momentum,
    NAdam,
    Nesterov,
    Newton,
    Optimizer,
    RMSprop,
)

__all__ = [
    "minimize", "init_state", "resolve_batch_size",
    "Objective", "ParamLayout", "SparseGrad",
    "SolverConfig", "SolverState", "OptimizeResult", "Validation",
    "OPTIMIZERS", "Optimizer", "SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta",
    "RMSprop", "Adam", "AdamW", "NAdam", "AMSGrad", "LBFGS", "Newton",
    "FISTA",
    "SCHEDULES", "Schedule", "ScheduleContext", "Constant", "InvScaling", "Optimal",
    "Step", "Exponential", "Cosine", "WarmupCosine", "OneCycle", "Plateau",
    "REGULARIZERS", "Regularizer", "NoPenalty", "L1", "L2", "ElasticNet",
    "resolve_penalty", "ProximalTerm",
]
