"""Optimizer base class and registry."""

from __future__ import annotations

import inspect
from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import validate_parameter_constraints

from ...utils._compat import Interval
from .._capabilities import (  # noqa: F401
    FULL_BATCH,
    PLAIN_STEP,
    PROX_GRADIENT,
    RULE,
    SECOND_ORDER,
)
from .._component import Component
from .._registry import Registry
from .._rule_source import RuleShape
from .._rules import Rules

OPTIMIZERS: Registry = Registry("solver")

#: constraint of a decay rate (momentum, beta_1, beta_2, rho): in [0, 1)
DECAY = Interval(Real, 0, 1, closed="left")
#: constraint of a stabilising epsilon: > 0
POSITIVE = Interval(Real, 0, None, closed="neither")


class Optimizer(Component):
    r"""A first-order optimizer, written as plain per-coordinate Python.

    A subclass is one class: its hyperparameters (``__init__`` arguments, all floats,
    with scikit-learn ``_parameter_constraints``), the names of its state ``slots``
    (arrays of the parameters' length, starting at zero) and its math in
    :meth:`update`, a ``staticmethod`` over scalars that skgd compiles with numba
    (``numpy`` functions and ``math`` work inside). Registering it with
    ``@OPTIMIZERS.register`` makes its ``name`` valid for ``solver=`` on every
    estimator and every path (per-sample, mini-batch, full batch).

    A full-batch method (capability ``FULL_BATCH``, as L-BFGS and Newton) instead
    implements ``run(fun_grad, hessp, w0, max_iter, tol, callback) -> (w, n_iter,
    converged)``: ``fun_grad(w) -> (f, g)`` is the penalised objective, ``hessp(w, v)``
    its Hessian product (capability ``SECOND_ORDER``), and ``callback(w)`` is called
    after every accepted iterate -- it records the epoch like any other path and a
    truthy return means stop.

    A full-batch proximal-gradient method (capabilities ``FULL_BATCH`` and
    ``PROX_GRADIENT``, as FISTA) implements ``run(problem, w0, max_iter, tol, callback)``
    on a :class:`~skgd.solver._composite.CompositeProblem` (smooth part, its gradient,
    the penalty's proximal operator) and reports each iterate as
    ``callback(w, objective_value, certificate)``.

    Examples
    --------
    A sign-of-gradient method with one state slot:

    >>> import numpy as np
    >>> from skgd.solver import Optimizer
    >>> class SignMomentum(Optimizer):
    ...     name = "sign_momentum"
    ...     slots = ("m",)
    ...     _parameter_constraints = {"beta": [float]}
    ...     def __init__(self, beta=0.9):
    ...         self.beta = beta
    ...     @staticmethod
    ...     def update(g, m, lr, t, beta):
    ...         m = beta * m + (1.0 - beta) * g
    ...         return lr * np.sign(m), lr, m
    >>> SignMomentum().hyperparameter_names()
    ('beta',)
    """

    #: names of the state arrays (each of the parameters' length)
    slots: ClassVar[tuple[str, ...]] = ()
    #: capability flags the solver selects paths by (:mod:`skgd.solver._paths`)
    capabilities: ClassVar[frozenset[str]] = frozenset({RULE})
    #: compute in the parameter dtype (float32 loops vectorise twice as wide) instead
    #: of float64
    param_dtype_arithmetic: ClassVar[bool] = False
    _parameter_constraints: ClassVar[dict] = {}
    #: runs its own iteration over the whole data (set from :attr:`capabilities`)
    full_batch: ClassVar[bool] = False
    _rules: ClassVar[Rules | None] = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._rules = None  # each class compiles its own rule
        cls.full_batch = FULL_BATCH in cls.capabilities

    # -- the math (override) -----------------------------------------------------------
    @staticmethod
    def update(g, *args):
        r"""One coordinate's update.

        Called as ``update(g, *slots, *constants)`` with the coordinate's gradient, its
        state values in the order of :attr:`slots` and the constants of
        :meth:`prepare` (by default ``lr, t`` and the hyperparameters in ``__init__``
        order). Returns ``(delta, step, *new_slots)``: the parameter moves by
        :math:`-\delta`, and ``step`` is the effective step size a penalty's proximal
        operator uses for this coordinate (``lr`` for a method without
        per-coordinate scaling).

        Parameters
        ----------
        g : float
            The coordinate's gradient.
        *args : float
            Its state values (one per slot), then the constants of :meth:`prepare`
            (by default the learning rate ``lr``, the step count ``t`` and the
            hyperparameters).

        Returns
        -------
        delta : float
            The parameter moves by :math:`-\delta`.
        step : float
            The effective step size of the proximal step.
        *new_slots : float
            The updated state values.
        """
        raise NotImplementedError

    prepare = None
    """Optional ``staticmethod`` ``prepare(lr, t, *hyperparameters) -> tuple``: the
    constants of one update call, computed once instead of per coordinate (e.g. bias
    corrections); :meth:`update` then receives them instead of ``lr, t, *hp``."""

    # -- what skgd derives from the class ---------------------------------------------
    @classmethod
    def hyperparameter_names(cls) -> tuple[str, ...]:
        """The ``__init__`` arguments, in order (the order :meth:`update` reads them)."""
        if cls.__init__ is object.__init__:
            return ()
        params = inspect.signature(cls.__init__).parameters
        return tuple(p for p in params if p != "self")

    @classmethod
    def rule_shape(cls) -> RuleShape:
        """The shape of the generated rule (slots, hyperparameters, constants)."""
        names = cls.hyperparameter_names()
        n_consts = None
        if cls.prepare is not None:
            defaults = [float(inspect.signature(cls.__init__).parameters[k].default)
                        for k in names]
            n_consts = len(cls.prepare(0.1, 1.0, *defaults))
        return RuleShape(len(cls.slots), len(names), n_consts,
                         cls.param_dtype_arithmetic)

    @classmethod
    def rules(cls) -> Rules:
        """The compiled rules of this class, ``{dtype: cfunc}`` (built on first use)."""
        if cls.__dict__.get("_rules") is None:
            cls._rules = Rules(cls)
        return cls._rules

    @property
    def n_slots(self) -> int:
        """Number of state arrays (``len(slots)``)."""
        return len(self.slots)

    def hyperparameters(self) -> np.ndarray:
        """Hyperparameters as the float64 vector the compiled rule reads, then the
        fused L2 coefficient (0)."""
        return np.array([float(getattr(self, k)) for k in self.hyperparameter_names()]
                        + [0.0])

    def fused_l2_hyperparameters(self, l2: float) -> np.ndarray:
        r"""Hyperparameters that make the rule also apply the L2 proximal step
        :math:`w \leftarrow w/(1+\eta\,l_2)` (``l2`` already times ``alpha``) in the
        same pass over the parameters.

        Parameters
        ----------
        l2 : float
            The L2 coefficient of the fused proximal step (the penalty's L2 weight times
            ``alpha``).

        Returns
        -------
        hyperparameters : ndarray of shape (n_hyperparameters + 1,)
            :meth:`hyperparameters` with ``l2`` as the last entry.
        """
        hp = self.hyperparameters()
        hp[-1] = l2
        return hp

    def init_state(self, n: int, dtype) -> np.ndarray:
        """Fresh optimizer state for ``n`` parameters (moments start at zero).

        Parameters
        ----------
        n : int
            Number of parameters.
        dtype : dtype
            The parameters' dtype.

        Returns
        -------
        state : ndarray of shape (max(n_slots, 1) * n,)
            Zeros: the slots of all coordinates in one flat array.

        Examples
        --------
        >>> import numpy as np
        >>> from skgd.solver import Adam
        >>> Adam().init_state(3, np.float64).shape  # two slots (m, v) of 3 entries
        (6,)
        """
        return np.zeros(max(self.n_slots, 1) * n, dtype=dtype)

    def rule(self, dtype):
        """The compiled update rule for parameters of ``dtype``.

        Parameters
        ----------
        dtype : dtype
            float64 or float32.

        Returns
        -------
        rule : numba cfunc
            The rule over raw pointers that the compiled loops call.
        """
        return self.rules()[np.dtype(dtype)]

    def validate(self) -> None:
        """Raise ``InvalidParameterError`` (a ``ValueError``) for hyperparameters
        outside ``_parameter_constraints``."""
        validate_parameter_constraints(self._parameter_constraints, self.get_params(deep=False),
                                       caller_name=type(self).__name__)
