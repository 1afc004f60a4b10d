"""Compiled optimizer update rules and the glue to call them from kernels.

Every optimizer's update rule is written once, as a plain Python function over raw
pointers, and compiled by :func:`compile_rule` into one ``@cfunc`` per dtype with the
shared signature::

    rule(w, g, idx, nnz, dense, state, n, hp, lr, t, step) -> None

``w`` (the flat parameter vector, length ``n``), ``g`` (``nnz`` gradient values),
``state`` (``n_slots * n`` optimizer moments, slot ``k`` of coordinate ``i`` at
``state[k * n + i]``) and ``step`` (length ``n``; the rule writes the effective step
size of every coordinate it touches, which the proximal step of the regularizer uses)
share the parameter dtype. ``idx`` lists the ``nnz`` coordinates the gradient touches;
when ``dense`` is 1 it is ignored and coordinate ``j`` is ``j``. ``hp`` holds the
optimizer's hyperparameters as float64, ``lr`` the scheduled learning rate and ``t``
the 1-based update count (for bias corrections).

Kernels receive the rule as a first-class function. Unlike passing an ``@njit``
function, passing a ``@cfunc`` keeps the calling kernel in numba's on-disk cache, so
a fresh process (a joblib worker) does not recompile it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numba import carray, cfunc, njit, types

from .._lowlevel import ptr

__all__ = ["RULE_SIGNATURES", "compile_rule", "views", "apply_dense",
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


class _Rules(Mapping):
    """``{dtype: cfunc}`` of one update rule, compiled (or loaded from numba's cache)
    when a dtype is first asked for: loading twenty rules when the optimizers were
    imported took about 0.35 s of every ``import skgd.linear_model``. A lock keeps one
    compiled object per dtype, which kernels recognise by identity."""

    def __init__(self, pyfunc: Callable):
        self._pyfunc = pyfunc
        self._compiled: dict = {}
        self._lock = threading.Lock()

    def __reduce__(self):
        # a lock does not pickle; the compiled functions are rebuilt where needed
        return _Rules, (self._pyfunc,)

    def __getitem__(self, dtype) -> Any:
        dt = np.dtype(dtype)
        rule = self._compiled.get(dt)
        if rule is not None:
            return rule
        with self._lock:
            if dt not in self._compiled:
                sig = RULE_SIGNATURES[dt]  # a KeyError for other dtypes, as a dict gives
                self._compiled[dt] = cfunc(sig, cache=True, error_model="numpy")(
                    self._pyfunc)
            return self._compiled[dt]

    def __iter__(self):
        return iter(RULE_SIGNATURES)

    def __len__(self):
        return len(RULE_SIGNATURES)


def compile_rule(pyfunc: Callable) -> Mapping:
    """An update rule for float32 and float64, as ``{dtype: cfunc}`` compiled on first
    use.

    With numba's "numpy" error model a division by zero gives inf/nan (which the solver's
    divergence check catches) instead of a zero test before every division, a branch
    that keeps the rule's loops from vectorising.
    """
    return _Rules(pyfunc)


@njit(inline="always")
def views(w, g, idx, nnz, state, n, n_slots, hp, n_hp, step):
    """Array views of a rule's pointer arguments (used inside every rule)."""
    return (
        carray(w, (n,)),
        carray(g, (nnz,)),
        carray(idx, (nnz,)),
        carray(state, (max(n_slots, 1) * n,)),
        carray(hp, (max(n_hp, 1),)),
        carray(step, (n,)),
    )


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
