"""The full-batch loss and gradient of a one-output linear model in one pass over X.

Two matrix-vector products (``z = Xw`` then ``X^T g``) read ``X`` from memory twice;
for a dense ``X`` larger than the caches both are bound by memory bandwidth, so
L-BFGS and Newton iterations spend most of their time there. Here each row is read
once: its output :math:`z_i = x_i^\\top w + b`, the loss and its derivative
:math:`g_i = s_i \\partial L(y_i, z_i)/\\partial z_i` are computed, and
:math:`g_i x_i` is added to the gradient while the row is still in L1.
"""

import numpy as np
from numba import njit

from .._lowlevel import FAST, ptr
from ..losses import one_output_loss


@njit(cache=True, fastmath=FAST)
def dense_loss_grad(X, y, swm, coef, b, loss_fn, lp, code, z, grad_coef):
    r"""Weighted loss :math:`\sum_i s_i L(y_i, z_i)` and gradient in one pass.

    Writes :math:`z` into ``z`` and :math:`\sum_i g_i x_i` into ``grad_coef``; returns
    ``(loss, sum_i g_i)`` (the latter is the intercept's gradient). ``code`` is the
    loss's :meth:`~skgd.losses.Loss.kernel_code`.
    """
    n, d = X.shape
    raw = np.empty(1)
    dl = np.empty(1)
    loss = 0.0
    g_sum = 0.0
    for j in range(d):
        grad_coef[j] = 0.0
    for i in range(n):
        p = 0.0
        for j in range(d):
            p += X[i, j] * coef[j]
        p += b
        z[i] = p
        s = swm[i]
        li, di = one_output_loss(code, y[i], p, loss_fn, ptr(lp), ptr(raw), ptr(dl))
        loss += s * li
        g = s * di
        g_sum += g
        for j in range(d):
            grad_coef[j] += g * X[i, j]
    return loss, g_sum
