"""The shared numba intrinsics."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from skgd._lowlevel import prefetch, ptr


@njit
def _touch(a, i):
    prefetch(a, i)
    return a.sum()


def test_prefetch_is_a_hint_only():
    a = np.arange(100.0).reshape(10, 10)
    assert _touch(a, 57) == a.sum()  # no effect on the values
    assert _touch(a.astype(np.float32), 3) == a.sum()


def test_prefetch_refuses_float_index_and_strided_arrays():
    with pytest.raises(TypingError):
        _touch(np.zeros(4), 1.0)
    with pytest.raises(TypingError):
        _touch(np.zeros((4, 4))[:, 1], 1)


@njit
def _second_through_pointer(a):
    p = ptr(a)
    prefetch(p, 1)  # pointers take the hint too
    p[1] += 1.0
    return p[1]


def test_pointers_index_the_array_and_refuse_strided_arrays():
    a = np.arange(4.0)
    assert _second_through_pointer(a) == 2.0 and a[1] == 2.0
    with pytest.raises(TypingError):
        _second_through_pointer(np.arange(8.0)[::2])
