"""The compiled per-sample kernels against plain-Python statements of their semantics:
the generic kernel's row-wise (lazy) updates, catch-up of missed penalty steps and
cumulative L1 penalty, and the plain-SGD ``wscale`` kernel's exact L2 decay."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit

from skgd import LogisticRegression
from skgd.solver import Momentum


def _reference(X, y, lr, alpha, l1_ratio, epochs):
    """Per-sample SGD with the kernel's semantics, written out slowly."""
    n, d = X.shape
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    p0 = y.mean()
    w, b = np.zeros(d), np.log(p0 / (1 - p0))

    def penalize(j, eta, u, q):
        w[j] /= 1 + eta * l2
        u[j] += eta * l1
        z = w[j]
        if z > 0:
            w[j] = max(0.0, z - (u[j] + q[j]))
        elif z < 0:
            w[j] = min(0.0, z + (u[j] - q[j]))
        q[j] += w[j] - z

    for _ in range(epochs):
        u, q, last = np.zeros(d), np.zeros(d), np.zeros(d, int)
        for k in range(n):
            x = X[k]
            touched = np.flatnonzero(x)
            for j in touched:
                penalize(j, lr * (k - last[j]), u, q)
            dl = expit(x @ w + b) - y[k]
            w[touched] -= lr * dl * x[touched]
            b -= lr * dl
            for j in touched:
                penalize(j, lr, u, q)
                last[j] = k + 1
        for j in range(d):
            penalize(j, lr * (n - last[j]), u, q)
    return w, b


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("sparse", [False, True])
def test_per_sample_kernel_matches_reference(l1_ratio, sparse):
    rng = np.random.RandomState(0)
    X = rng.randn(40, 6) * (rng.rand(40, 6) < 0.6)  # rows with and without zeros
    X[:5] = rng.randn(5, 6)  # full rows first and last
    X[-5:] = rng.randn(5, 6)
    y = (X @ rng.randn(6) + 0.3 * rng.randn(40) > 0).astype(float)
    w_ref, b_ref = _reference(X, y, lr=0.1, alpha=0.05, l1_ratio=l1_ratio, epochs=3)
    # momentum 0 is plain SGD through the generic kernel and its compiled rule
    model = LogisticRegression(solver=Momentum(momentum=0.0), batch_size=1,
                               learning_rate="constant", learning_rate_init=0.1,
                               penalty="elasticnet", alpha=0.05, l1_ratio=l1_ratio,
                               shuffle=False, max_iter=3, tol=None)
    model.fit(sp.csr_matrix(X) if sparse else X, y)
    np.testing.assert_allclose(model.coef_.ravel(), w_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_[0], b_ref, rtol=1e-10)
    if l1_ratio == 1.0:
        assert np.any(model.coef_ == 0)


def _reference_sgd_l2(X, y, lr, l2, epochs):
    """Plain SGD, every coefficient shrunk by 1/(1 + lr*l2) after every update."""
    p0 = y.mean()
    w, b = np.zeros(X.shape[1]), np.log(p0 / (1 - p0))
    for _ in range(epochs):
        for k in range(len(y)):
            dl = expit(X[k] @ w + b) - y[k]
            w -= lr * dl * X[k]
            b -= lr * dl
            w /= 1 + lr * l2
    return w, b


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.05])
def test_plain_sgd_kernel_matches_reference(sparse, alpha):
    rng = np.random.RandomState(1)
    X = rng.randn(40, 6) * (rng.rand(40, 6) < 0.6)
    y = (X @ rng.randn(6) + 0.3 * rng.randn(40) > 0).astype(float)
    w_ref, b_ref = _reference_sgd_l2(X, y, lr=0.1, l2=alpha, epochs=3)
    model = LogisticRegression(solver="sgd", batch_size=1, learning_rate="constant",
                               learning_rate_init=0.1, penalty="l2", alpha=alpha,
                               shuffle=False, max_iter=3, tol=None)
    model.fit(sp.csr_matrix(X) if sparse else X, y)
    np.testing.assert_allclose(model.coef_.ravel(), w_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_[0], b_ref, rtol=1e-10)


def test_plain_sgd_scale_is_folded_before_underflow():
    """8,000 shrinkage steps in one epoch (1.1**-8000 underflows): the stored scale is
    folded back into the coefficients instead of underflowing to zero."""
    rng = np.random.RandomState(0)
    X = rng.randn(8000, 3)
    y = (X[:, 0] > 0).astype(float)
    model = LogisticRegression(solver="sgd", batch_size=1, learning_rate="constant",
                               learning_rate_init=0.1, alpha=1.0, max_iter=1, tol=None,
                               shuffle=False).fit(X, y)
    w_ref, _ = _reference_sgd_l2(X, y, lr=0.1, l2=1.0, epochs=1)
    np.testing.assert_allclose(model.coef_.ravel(), w_ref, rtol=1e-8, atol=1e-12)
    assert np.all(model.coef_ != 0)


@pytest.mark.parametrize("sparse", [False, True])
def test_plain_sgd_reported_loss_matches_reference(sparse):
    """The epoch loss of the ``wscale`` kernel: summed as a product for unit weights
    (one log per run of 64 samples) and per sample for other weights, over logits
    from about -100 to 100 (losses from ~1e-44 to ~100)."""
    rng = np.random.RandomState(3)
    n = 300  # several runs of 64
    X = rng.randn(n, 4)
    X[:50] *= 30
    y = (X @ rng.randn(4) + rng.randn(n) > 0).astype(float)
    sw = np.ones(n)
    sw[::7], sw[3::7] = 0.5, 1.5  # mean exactly 1: the other weights stay 1.0
    lr, epochs = 0.01, 2
    p0 = sw @ y / sw.sum()
    w, b = np.zeros(4), np.log(p0 / (1 - p0))
    losses = []
    for _ in range(epochs):
        total = 0.0
        for k in range(n):
            z = X[k] @ w + b
            total += sw[k] * (np.logaddexp(0.0, z) - y[k] * z)
            dl = sw[k] * (expit(z) - y[k])
            w -= lr * dl * X[k]
            b -= lr * dl
        losses.append(total / n)
    model = LogisticRegression(solver="sgd", batch_size=1, learning_rate="constant",
                               learning_rate_init=lr, alpha=0.0, shuffle=False,
                               max_iter=epochs, tol=None)
    model.fit(sp.csr_matrix(X) if sparse else X, y, sample_weight=sw)
    np.testing.assert_allclose(model.loss_curve_, losses, rtol=1e-12)
    np.testing.assert_allclose(model.coef_.ravel(), w, rtol=1e-10)


def _reference_softmax_sgd(X, y, lr, l2, epochs, max_norm):
    """Multinomial plain SGD with clipping of the per-sample gradient norm."""
    K = int(y.max()) + 1
    prior = np.bincount(y, minlength=K) / len(y)
    W, b = np.zeros((X.shape[1], K)), np.log(prior) - np.log(prior).mean()
    for _ in range(epochs):
        for k in range(len(y)):
            z = X[k] @ W + b
            p = np.exp(z - z.max())
            p /= p.sum()
            dl = p - np.eye(K)[y[k]]
            norm = np.linalg.norm(dl) * np.sqrt(X[k] @ X[k] + 1.0)
            f = lr * min(1.0, max_norm / norm)
            W -= f * np.outer(X[k], dl)
            b -= f * dl
            W /= 1 + lr * l2
    return W, b


@pytest.mark.parametrize("sparse", [False, True])
def test_plain_sgd_kernel_multinomial_with_clipping(sparse):
    """The several-output path of the ``wscale`` kernels, with clipped updates."""
    rng = np.random.RandomState(2)
    X = 3 * rng.randn(60, 5) * (rng.rand(60, 5) < 0.7)
    y = np.argmax(X @ rng.randn(5, 3) + rng.randn(60, 3), axis=1)
    W_ref, b_ref = _reference_softmax_sgd(X, y, lr=0.2, l2=0.01, epochs=2, max_norm=1.0)
    model = LogisticRegression(solver="sgd", batch_size=1, learning_rate="constant",
                               learning_rate_init=0.2, alpha=0.01, max_grad_norm=1.0,
                               shuffle=False, max_iter=2, tol=None)
    model.fit(sp.csr_matrix(X) if sparse else X, y)
    np.testing.assert_allclose(model.coef_.T, W_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, b_ref, rtol=1e-10, atol=1e-12)
