"""Optimizer base class and registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from .._component import Component
from .._registry import Registry

OPTIMIZERS: Registry = Registry("solver")


class Optimizer(Component):
    """A first-order update rule ``w <- w - step(g, state)``.

    Subclasses set ``name``, ``n_slots`` (state arrays of the parameter's length, e.g. 2
    for Adam's moments), ``hp_names`` (hyperparameters, in the order the compiled rule
    reads them) and ``rules`` (``compile_rule(pyfunc)``). The optimizer object holds
    hyperparameters only; the state is created by :meth:`init_state` and kept by the
    solver.
    """

    n_slots: ClassVar[int] = 0
    hp_names: ClassVar[tuple[str, ...]] = ()
    rules: ClassVar[Mapping] = {}
    #: full-batch methods (L-BFGS, Newton) run their own iteration over the whole data
    full_batch: ClassVar[bool] = False

    def hyperparameters(self) -> np.ndarray:
        """Hyperparameters as the float64 vector the compiled rule reads."""
        return np.array([float(getattr(self, k)) for k in self.hp_names] or [0.0])

    def fused_l2_hyperparameters(self, l2: float) -> np.ndarray | None:
        r"""Hyperparameters that make the rule also apply the L2 proximal step
        :math:`w \leftarrow w/(1+\eta\,l_2)` (``l2`` already times ``alpha``) in
        the same pass over the parameters, or None when the rule cannot (the default):
        the solver then runs the regularizer's proximal step after the rule."""
        return None

    def init_state(self, n: int, dtype) -> np.ndarray:
        """Fresh optimizer state for ``n`` parameters (moments start at zero)."""
        return np.zeros(max(self.n_slots, 1) * n, dtype=dtype)

    def rule(self, dtype):
        """The compiled update rule for parameters of ``dtype``."""
        return self.rules[np.dtype(dtype)]

    def validate(self) -> None:
        """Raise ``ValueError`` for out-of-range hyperparameters."""
        for k in self.hp_names:
            v = getattr(self, k)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"{type(self).__name__}.{k} must be finite and >= 0, got {v!r}")
        for k in ("momentum", "beta_1", "beta_2", "rho"):
            if k in self.hp_names and not getattr(self, k) < 1:
                raise ValueError(f"{type(self).__name__}.{k} must be < 1, got {getattr(self, k)}")
