"""The shared numba intrinsics."""

import numpy as np
import pytest
from numba import njit
from numba.core.errors import TypingError

from skgd.utils._intrinsics import prefetch


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
