"""The compiled per-epoch shuffle: a uniform, reproducible permutation."""

import numpy as np
from scipy.stats import chisquare

from skgd.solver._shuffle import draw_seed, shuffled_range


def test_is_a_permutation_and_reproducible():
    a = shuffled_range(1000, 3, 0)
    assert a.dtype == np.int64
    np.testing.assert_array_equal(np.sort(a), np.arange(1000))
    np.testing.assert_array_equal(a, shuffled_range(1000, 3, 0))
    assert not np.array_equal(a, shuffled_range(1000, 4, 0))
    assert not np.array_equal(a, shuffled_range(1000, 3, 1))


def test_every_position_is_uniform():
    n, draws = 6, 12_000
    counts = np.zeros((n, n))
    for epoch in range(draws):
        counts[np.arange(n), shuffled_range(n, 12345, epoch)] += 1
    # every value lands in every position with probability 1/n
    assert chisquare(counts.ravel()).pvalue > 1e-3


def test_trivial_sizes():
    assert shuffled_range(0, 1, 0).size == 0
    np.testing.assert_array_equal(shuffled_range(1, 1, 0), [0])


def test_seed_from_either_kind_of_generator():
    for make in (np.random.RandomState, np.random.default_rng):
        a, b = draw_seed(make(0)), draw_seed(make(0))
        assert a == b and 0 <= a < 2**63


def test_shuffled_range_fills_a_given_array():
    out = np.full(500, -7, dtype=np.int64)
    got = shuffled_range(500, 9, 2, out=out)
    assert got is out
    np.testing.assert_array_equal(out, shuffled_range(500, 9, 2))
