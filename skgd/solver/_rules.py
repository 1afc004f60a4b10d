"""Compiled optimizer update rules and the glue to call them from kernels.

Every optimizer's update is written once, per coordinate, as plain Python
(:meth:`~skgd.solver.Optimizer.update`); :class:`Rules` turns it into one ``@cfunc``
per dtype with the shared signature::

    rule(w, g, idx, nnz, dense, state, n, hp, lr, t, step) -> None

``w`` (the flat parameter vector, length ``n``), ``g`` (``nnz`` gradient values),
``state`` (``n_slots * n`` optimizer moments, slot ``k`` of coordinate ``i`` at
``state[k * n + i]``) and ``step`` (length ``n``; the rule writes the effective step
size of every coordinate it touches, which the proximal step of the regularizer uses)
share the parameter dtype. ``idx`` lists the ``nnz`` coordinates the gradient touches;
when ``dense`` is 1 it is ignored and coordinate ``j`` is ``j``. ``hp`` holds the
optimizer's hyperparameters as float64 and then the coefficient of an L2 proximal
step fused into the update (0: none; then ``step`` is not written), ``lr`` the
scheduled learning rate and ``t`` the 1-based update count (for bias corrections).

Kernels receive the rule as a first-class function. Unlike passing an ``@njit``
function, passing a ``@cfunc`` keeps the calling kernel in numba's on-disk cache, so
a fresh process (a joblib worker) does not recompile it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import cfunc, njit, types

from .._lowlevel import ptr
from ._compile import generated_module, source_hash
from ._rule_source import rule_source

__all__ = ["RULE_SIGNATURES", "Rules", "apply_dense", "apply_sparse",
           "apply_dense_split"]


def _signature(dtype):
    T = types.CPointer(dtype)
    return types.void(
        T,  # w
        T,  # g
        types.CPointer(types.int64),  # idx
        types.int64,  # nnz
        types.int64,  # dense
        T,  # state
        types.int64,  # n
        types.CPointer(types.float64),  # hp
        types.float64,  # lr
        types.float64,  # t
        T,  # step
    )


RULE_SIGNATURES = {np.dtype(np.float32): _signature(types.float32),
                   np.dtype(np.float64): _signature(types.float64)}


class Rules(Mapping):
    """``{dtype: cfunc}``: an optimizer's update rule for float32 and float64,
    generated from its plain :meth:`~skgd.solver.Optimizer.update` and compiled (or
    loaded from numba's cache) when a dtype is first asked for.

    Compiling on first use keeps ``import skgd`` fast (loading twenty rules at import
    took about 0.35 s). A lock keeps one compiled object per dtype, which kernels and
    the solver recognise by identity. With numba's "numpy" error model a division by
    zero gives inf/nan (which the solver's divergence check catches) instead of a zero
    test before every division, a branch that keeps the rule's loops from vectorising.
    """

    def __init__(self, optimizer_class: type):
        self._cls = optimizer_class
        self._compiled: dict = {}
        self._lock = threading.Lock()

    def __reduce__(self):
        # a lock does not pickle; the compiled functions are rebuilt where needed
        return Rules, (self._cls,)

    def _module(self):
        cls = self._cls
        shape = cls.rule_shape()
        inject = {"update": njit(inline="always")(cls.update)}
        if shape.n_consts is not None:
            inject["prepare"] = njit(inline="always")(cls.prepare)
        key = source_hash(cls.update, cls.prepare)
        return generated_module(f"rule_{cls.__name__}", rule_source(shape), inject, key)

    def __getitem__(self, dtype) -> Any:
        dt = np.dtype(dtype)
        rule = self._compiled.get(dt)
        if rule is not None:
            return rule
        with self._lock:
            if dt not in self._compiled:
                sig = RULE_SIGNATURES[dt]  # a KeyError for other dtypes, as a dict gives
                self._compiled[dt] = cfunc(sig, cache=True, error_model="numpy")(
                    self._module().rule)
            return self._compiled[dt]

    def __iter__(self):
        return iter(RULE_SIGNATURES)

    def __len__(self):
        return len(RULE_SIGNATURES)


@njit(cache=True)
def apply_dense(rule, w, g, state, hp, lr, t, step):
    """Apply ``rule`` to every coordinate of ``w`` with the dense gradient ``g``."""
    unused = np.empty(1, np.int64)  # the coordinate list, which dense=1 skips
    rule(ptr(w), ptr(g), ptr(unused), w.size, 1, ptr(state), w.size, ptr(hp), lr, t,
         ptr(step))
    unused[0] = 0  # a use after the call: numba frees an array after its last use


@njit(cache=True)
def apply_sparse(rule, w, g, idx, state, hp, lr, t, step):
    """Apply ``rule`` to the coordinates ``idx`` of ``w`` with gradient values ``g``."""
    rule(ptr(w), ptr(g), ptr(idx), idx.size, 0, ptr(state), w.size, ptr(hp), lr, t, ptr(step))


@njit(cache=True)
def apply_dense_split(rule, w, g, state, hp, hp_in, lr, t, step, ranges):
    """:func:`apply_dense` with hyperparameters ``hp_in`` on the blocks
    ``ranges[r] = (start, stop)`` (sorted, disjoint) and ``hp`` elsewhere (e.g. a fused
    L2 step on the penalised blocks only)."""
    dummy = np.empty(1, np.int64)
    n = w.size
    lo = 0
    for r in range(ranges.shape[0] + 1):
        a = ranges[r, 0] if r < ranges.shape[0] else n
        b = ranges[r, 1] if r < ranges.shape[0] else n
        for s, e, h in ((lo, a, hp), (a, b, hp_in)):
            if e > s:
                # a rule indexes the moments as state[k * n + i]: offset pointers and the
                # full n address the block
                rule(ptr(w[s:]), ptr(g[s:]), ptr(dummy), e - s, 1, ptr(state[s:]), n,
                     ptr(h), lr, t, ptr(step[s:]))
        lo = b
