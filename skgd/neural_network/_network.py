r"""Network structure shared by the objective and the fitted estimators.

A network of :math:`L` dense layers maps :math:`a_0 = x` through

.. math::
    z_l = a_{l-1} W_l + b_l,\qquad a_l = \mathrm{drop}_l(f(\mathrm{bn}_l(z_l)))

for the hidden layers and :math:`z_L = a_{L-1} W_L + b_L` (raw outputs) for the last.
With batch normalisation the hidden layer has no bias :math:`b_l`: the normalisation
:math:`\mathrm{bn}_l(z) = \gamma_l \odot (z - \mu)/\sqrt{\sigma^2 + \epsilon} + \beta_l`
carries the shift :math:`\beta_l`. Training mode uses the (weighted) batch statistics
:math:`\mu, \sigma^2`; evaluation mode uses running averages of them and no dropout.
"""

from __future__ import annotations

import numpy as np

BN_EPS = 1e-5
#: weight of the newest batch in the running batch-norm statistics (as PyTorch)
BN_MOMENTUM = 0.1


def layout_shapes(layer_sizes, batch_norm: bool) -> tuple[dict, dict]:
    """Block shapes of the flat parameter vector and which blocks are penalised."""
    shapes, penalized = {}, {}
    n_layers = len(layer_sizes) - 1
    for l in range(n_layers):
        fan_in, fan_out = layer_sizes[l], layer_sizes[l + 1]
        shapes[f"coefs_{l}"] = (fan_in, fan_out)
        penalized[f"coefs_{l}"] = True
        if batch_norm and l < n_layers - 1:
            shapes[f"bn_scale_{l}"] = (fan_out,)
            shapes[f"bn_shift_{l}"] = (fan_out,)
            penalized[f"bn_scale_{l}"] = penalized[f"bn_shift_{l}"] = False
        else:
            shapes[f"intercepts_{l}"] = (fan_out,)
            penalized[f"intercepts_{l}"] = False
    return shapes, penalized


def init_bound(init: str, activation: str, fan_in: int, fan_out: int) -> float:
    """Half-width of the uniform initialisation.

    ``"glorot"``: :math:`\\sqrt{6/(n_{in}+n_{out})}` (:math:`\\sqrt{2/(n_{in}+n_{out})}`
    for the logistic activation, as scikit-learn); ``"he"``: :math:`\\sqrt{6/n_{in}}`.
    """
    if init == "he":
        return float(np.sqrt(6.0 / fan_in))
    factor = 2.0 if activation == "logistic" else 6.0
    return float(np.sqrt(factor / (fan_in + fan_out)))


def bn_buffers(layer_sizes, dtype) -> dict[str, np.ndarray]:
    """Fresh running statistics (mean 0, variance 1) of the hidden layers."""
    out = {}
    for l, width in enumerate(layer_sizes[1:-1]):
        out[f"running_mean_{l}"] = np.zeros(width, dtype=dtype)
        out[f"running_var_{l}"] = np.ones(width, dtype=dtype)
    return out


def forward_eval(X, coefs, intercepts, activation, bn=None, first_layer=None):
    """Raw outputs in evaluation mode (no dropout, running batch-norm statistics).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, n_features)
    coefs, intercepts : lists of arrays
        Per layer; for a batch-normalised layer ``intercepts[l]`` is the shift
        :math:`\\beta_l`.
    activation : Activation
    bn : list of (scale, running_mean, running_var) or None
        Per hidden layer, when batch normalisation is on.
    first_layer : callable, optional
        ``first_layer(W) -> X @ W`` (the objective's CSR kernel); default ``X @ W``.

    Returns
    -------
    ndarray of shape (n, n_outputs)
    """
    A = X
    n_layers = len(coefs)
    for l in range(n_layers):
        W = coefs[l]
        Z = first_layer(W) if (l == 0 and first_layer is not None) else A @ W
        Z = np.asarray(Z)
        if l == n_layers - 1:
            Z += intercepts[l]
            return Z
        if bn is not None:
            scale, mean, var = bn[l]
            # fold the normalisation into one affine map per unit
            g = scale / np.sqrt(var + Z.dtype.type(BN_EPS))
            Z *= g
            Z += intercepts[l] - mean * g
        else:
            Z += intercepts[l]
        A = activation.forward(Z, Z)
    return A


def bn_forward(Z, scale, shift, a):
    """Training-mode batch normalisation with sample weights ``a`` (summing to one).

    Returns the output, the normalised ``Zhat``, the standard deviation and the batch
    mean and variance.
    """
    mean = a @ Z
    Zc = Z - mean
    var = a @ (Zc * Zc)
    std = np.sqrt(var + Z.dtype.type(BN_EPS))
    Zhat = Zc
    Zhat /= std
    out = Zhat * scale
    out += shift
    return out, Zhat, std, mean, var


def bn_backward(dY, Zhat, std, scale, a):
    r"""Backward pass of :func:`bn_forward`.

    With :math:`\hat g = \gamma \odot \partial L/\partial y` and weights :math:`a_i`:

    .. math::
        \frac{\partial L}{\partial z_i} = \frac{1}{\sigma}\Big(\hat g_i
        - a_i \sum_j \hat g_j - a_i \hat z_i \sum_j \hat g_j \hat z_j\Big)

    Returns (dZ, d_scale, d_shift).
    """
    d_shift = dY.sum(axis=0)
    d_scale = np.einsum("ij,ij->j", dY, Zhat)
    G = dY * scale
    s1 = G.sum(axis=0)
    s2 = np.einsum("ij,ij->j", G, Zhat)
    G -= a[:, None] * (s1 + Zhat * s2)
    G /= std
    return G, d_scale, d_shift
