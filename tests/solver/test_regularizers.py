"""Every penalty's proximal step against its closed form."""

import numpy as np
import pytest

from skgd.solver import REGULARIZERS, ElasticNet

W = np.array([-3.0, -0.05, 0.0, 0.02, 0.5, 2.0])
STEP = np.array([0.1, 0.1, 0.2, 0.3, 1.0, 0.5])


#: skgd's own components (user components have no closed form here)
BUILTIN = [n for n in REGULARIZERS.names() if REGULARIZERS.get(n).__module__.startswith("skgd.")]


def _closed_form(name, w, step, alpha):
    l1, l2 = {"none": (0, 0), "l1": (1, 0), "l2": (0, 1), "elasticnet": (0.15, 0.85)}[name]
    soft = np.sign(w) * np.maximum(np.abs(w) - step * alpha * l1, 0)
    return soft / (1 + step * alpha * l2)


@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prox_closed_form(name, dtype):
    reg = REGULARIZERS.get(name)()
    w = W.astype(dtype)
    coords = np.array([0, 1, 2, 3, 4], dtype=np.int64)  # the last one is not penalised
    reg.apply_prox(w, STEP.astype(dtype), 0.5, coords)
    expected = _closed_form(name, W, STEP, 0.5)
    expected[5] = W[5]
    np.testing.assert_allclose(w, expected, rtol=1e-6)
    assert w.dtype == dtype


@pytest.mark.parametrize("name", BUILTIN)
def test_value_matches_definition(name):
    reg = REGULARIZERS.get(name)()
    l1, l2 = reg.coefficients()
    coords = np.arange(W.size)
    expected = 0.3 * (l1 * np.abs(W).sum() + 0.5 * l2 * W @ W)
    assert reg.value(W, 0.3, coords) == pytest.approx(expected)


def test_l1_prox_gives_exact_zeros():
    w = W.copy()
    REGULARIZERS.get("l1")().apply_prox(w, np.ones_like(w), 0.1, np.arange(w.size))
    assert np.count_nonzero(w == 0) == 3


def test_elasticnet_ratio_is_validated():
    with pytest.raises(ValueError, match="l1_ratio"):
        ElasticNet(l1_ratio=1.5).coefficients()


@pytest.mark.parametrize("name", BUILTIN)
def test_prox_over_blocks_equals_prox_over_indices(name):
    reg = REGULARIZERS.get(name)()
    a, b = W.copy(), W.copy()
    reg.apply_prox(a, STEP, 0.5, np.array([0, 1, 2, 4], dtype=np.int64))
    reg.apply_prox(b, STEP, 0.5, np.array([[0, 3], [4, 5]], dtype=np.int64))
    np.testing.assert_array_equal(a, b)
