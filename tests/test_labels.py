"""The class-label helpers give np.unique / searchsorted results on every input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skgd.utils._labels import check_targets, label_indices, sorted_labels

INT_DTYPES = st.sampled_from([np.int8, np.int32, np.int64, np.uint8, np.uint64])


@given(st.data(), INT_DTYPES)
def test_integer_labels_match_numpy(data, dtype):
    info = np.iinfo(dtype)
    lo = data.draw(st.integers(int(info.min), int(info.max)))
    span = data.draw(st.sampled_from([3, 1000, int(info.max) - int(info.min)]))
    hi = min(int(info.max), lo + span)
    y = data.draw(hnp.arrays(dtype, st.integers(1, 50), elements=st.integers(lo, hi)))
    labels = sorted_labels(y)
    assert labels.dtype == y.dtype
    np.testing.assert_array_equal(labels, np.unique(y))
    np.testing.assert_array_equal(label_indices(labels, y), np.searchsorted(labels, y))


@pytest.mark.parametrize("y", [np.array(["b", "a", "b"]), np.array([2.0, 1.0, 2.0]),
                               np.array([True, False])])
def test_other_labels_match_numpy(y):
    labels = sorted_labels(y)
    np.testing.assert_array_equal(labels, np.unique(y))
    np.testing.assert_array_equal(label_indices(labels, y), np.searchsorted(labels, y))


@pytest.mark.parametrize("classes, y", [(np.array([-3, 0, 7]), np.array([7, 5, 0])),
                                        (np.array([0, 1]), np.array([0, 1, 2])),
                                        (np.array([5, 6]), np.array([0, 1]))])
def test_unknown_labels_are_named(classes, y):
    with pytest.raises(ValueError, match=r"not seen in the first fit: \[[\d ]+\]"):
        label_indices(classes, y)


def test_continuous_targets_are_rejected():
    with pytest.raises(ValueError, match="continuous"):
        check_targets(np.array([0.5, 1.25]))
    check_targets(np.array([3, -1, 3]))  # integers: binary or multiclass
