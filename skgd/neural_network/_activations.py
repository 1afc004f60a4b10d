r"""Hidden-layer activations, as a registry.

Each activation is one class registered by name in :data:`ACTIVATIONS` with

- :meth:`Activation.forward` ``(z, out)``: writes :math:`a = f(z)` into ``out`` (which
  may be ``z`` itself: in-place);
- :meth:`Activation.backward` ``(z, a, delta)``: multiplies ``delta`` in place by
  :math:`f'(z)`. When ``needs_input`` is False the derivative is computed from the
  output ``a`` alone and ``z`` may be ``None`` (or overwritten by the forward pass),
  which saves one array per layer.

Everything keeps the dtype of its input (float32 stays float32).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from scipy.special import erf, expit

from ..solver._registry import Registry
from ._kernels import relu_backward

__all__ = ["ACTIVATIONS", "Activation", "get_activation"]

ACTIVATIONS: Registry = Registry("activation")


class Activation:
    """Base class of activations (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.neural_network import ACTIVATIONS
    >>> relu = ACTIVATIONS.get("relu")()
    >>> z = np.array([-1.0, 2.0])
    >>> a = relu(z)
    >>> a
    array([0., 2.])
    >>> delta = np.ones(2)
    >>> relu.backward(z, a, delta)  # delta *= f'(z), in place
    >>> delta
    array([0., 1.])
    """

    name: ClassVar[str] = ""
    #: True when :meth:`backward` needs the pre-activation ``z``
    needs_input: ClassVar[bool] = False

    def forward(self, z: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write :math:`a = f(z)` into ``out`` (which may be ``z`` itself).

        Parameters
        ----------
        z : ndarray
            Pre-activations.
        out : ndarray
            Output buffer of ``z``'s shape and dtype (may be ``z``: in place).

        Returns
        -------
        a : ndarray
            ``out``.
        """
        raise NotImplementedError

    def backward(self, z: np.ndarray | None, a: np.ndarray, delta: np.ndarray) -> None:
        """Multiply ``delta`` in place by :math:`f'(z)`.

        Parameters
        ----------
        z : ndarray or None
            Pre-activations (None, or overwritten, when ``needs_input`` is False: the
            derivative then comes from ``a`` alone).
        a : ndarray
            The activations :math:`f(z)`.
        delta : ndarray
            The back-propagated gradient, updated in place.
        """
        raise NotImplementedError

    def __call__(self, z: np.ndarray) -> np.ndarray:
        """:math:`f(z)` as a new array."""
        return self.forward(z, np.empty_like(z))


@ACTIVATIONS.register
class Identity(Activation):
    r""":math:`f(z) = z`."""

    name = "identity"

    def forward(self, z, out):
        if out is not z:
            out[...] = z
        return out

    def backward(self, z, a, delta):
        pass


@ACTIVATIONS.register
class Logistic(Activation):
    r""":math:`f(z) = 1/(1+e^{-z})`, :math:`f' = a(1-a)`."""

    name = "logistic"

    def forward(self, z, out):
        return expit(z, out=out)

    def backward(self, z, a, delta):
        delta *= a
        delta *= 1 - a


@ACTIVATIONS.register
class Tanh(Activation):
    r""":math:`f(z) = \tanh z`, :math:`f' = 1 - a^2`."""

    name = "tanh"

    def forward(self, z, out):
        return np.tanh(z, out=out)

    def backward(self, z, a, delta):
        delta *= 1 - a * a


@ACTIVATIONS.register
class ReLU(Activation):
    r""":math:`f(z) = \max(z, 0)`, :math:`f' = [a > 0]` (0 at the kink, as scikit-learn)."""

    name = "relu"

    def forward(self, z, out):
        return np.maximum(z, 0, out=out)

    def backward(self, z, a, delta):
        if (delta.flags.c_contiguous and a.flags.c_contiguous and a.shape == delta.shape
                and a.dtype == delta.dtype):
            relu_backward(delta, a)
        else:
            np.multiply(delta, a > 0, out=delta)


@ACTIVATIONS.register
class LeakyReLU(Activation):
    r""":math:`f(z) = z` for :math:`z>0`, else :math:`s z` with slope :math:`s=0.01`."""

    name = "leaky_relu"
    slope = 0.01

    def forward(self, z, out):
        out[...] = np.where(z > 0, z, z * z.dtype.type(self.slope))
        return out

    def backward(self, z, a, delta):
        delta[a <= 0] *= delta.dtype.type(self.slope)


@ACTIVATIONS.register
class ELU(Activation):
    r""":math:`f(z) = z` for :math:`z>0`, else :math:`e^{z}-1`; :math:`f' = a + 1` there."""

    name = "elu"

    def forward(self, z, out):
        neg = z <= 0
        em1 = np.expm1(np.minimum(z, 0))  # clamp: no overflow for large positive z
        out[...] = np.where(neg, em1, z)
        return out

    def backward(self, z, a, delta):
        neg = a <= 0
        delta[neg] *= a[neg] + 1


@ACTIVATIONS.register
class GELU(Activation):
    r"""Gaussian error linear unit :math:`f(z) = z\,\Phi(z)` (exact, with erf);
    :math:`f'(z) = \Phi(z) + z\,\varphi(z)`.

    References
    ----------
    Hendrycks & Gimpel (2016), "Gaussian error linear units (GELUs)".
    """

    name = "gelu"
    needs_input = True

    def forward(self, z, out):
        cdf = 0.5 * (1 + erf(z * z.dtype.type(1 / math.sqrt(2))))
        return np.multiply(z, cdf, out=out)

    def backward(self, z, a, delta):
        t = z.dtype.type
        cdf = 0.5 * (1 + erf(z * t(1 / math.sqrt(2))))
        pdf = np.exp(-0.5 * z * z) * t(1 / math.sqrt(2 * math.pi))
        delta *= cdf + z * pdf


@ACTIVATIONS.register
class Softplus(Activation):
    r""":math:`f(z) = \log(1+e^z)` (computed stably); :math:`f' = \sigma(z) = 1 - e^{-a}`."""

    name = "softplus"

    def forward(self, z, out):
        return np.logaddexp(z.dtype.type(0), z, out=out)

    def backward(self, z, a, delta):
        # sigma(z) from the output: e^a = 1 + e^z  =>  sigma(z) = 1 - e^{-a}
        delta *= -np.expm1(-a)


def get_activation(name: str) -> Activation:
    """An instance of the activation registered as ``name``."""
    return ACTIVATIONS.get(name)()
