"""Every registered activation: values, dtype and derivative."""

import numpy as np
import pytest
from scipy.special import erf

from skgd.neural_network import ACTIVATIONS
from skgd.neural_network._activations import get_activation

Z = np.linspace(-4, 4, 41) + 0.013  # avoid the kink at exactly 0

REFERENCE = {
    "identity": lambda z: z,
    "logistic": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
    "softplus": lambda z: np.log1p(np.exp(z)),
}


def test_registry_has_the_issue_activations():
    assert set(REFERENCE) <= set(ACTIVATIONS.names())


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_forward_matches_reference(name):
    np.testing.assert_allclose(get_activation(name)(Z), REFERENCE[name](Z), rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_derivative_matches_finite_differences(name):
    act = get_activation(name)
    a = act(Z)
    delta = np.ones_like(Z)
    act.backward(Z.copy() if act.needs_input else None, a, delta)
    eps = 1e-6
    num = (act(Z + eps) - act(Z - eps)) / (2 * eps)
    np.testing.assert_allclose(delta, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ACTIVATIONS.names())
def test_float32_in_float32_out(name):
    act = get_activation(name)
    z = Z.astype(np.float32)
    a = act(z)
    assert a.dtype == np.float32
    delta = np.ones_like(z)
    act.backward(z, a, delta)
    assert delta.dtype == np.float32


def test_softplus_is_stable_for_large_inputs():
    a = get_activation("softplus")(np.array([-1000.0, 1000.0]))
    np.testing.assert_allclose(a, [0.0, 1000.0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_backward_kernel_matches_numpy(dtype):
    """The compiled ReLU backward (C-contiguous arrays) and the numpy fallback (a
    strided view) both zero ``delta`` where the output is 0, keeping the dtype."""
    rng = np.random.RandomState(0)
    a = np.maximum(rng.randn(13, 7), 0).astype(dtype)
    delta = rng.randn(13, 7).astype(dtype)
    ref = delta * (a > 0)
    relu = get_activation("relu")
    d = delta.copy()
    relu.backward(None, a, d)
    np.testing.assert_array_equal(d, ref)
    assert d.dtype == dtype
    d = delta.copy(order="F")[:, ::2]
    relu.backward(None, np.asfortranarray(a)[:, ::2], d)
    np.testing.assert_array_equal(d, ref[:, ::2])
