"""Integer sample weights equal repeated rows: exactly for full-batch solvers (also in
``test_common``), statistically for stochastic ones."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skgd import LogisticRegression


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(200, 5, n_informative=3, random_state=0)
    w = np.random.RandomState(0).randint(0, 4, size=len(y))
    return X, y, w


def test_full_batch_weights_equal_repetition(data):
    X, y, w = data
    kw = dict(solver="newton", tol=1e-12, alpha=1e-3)
    a = LogisticRegression(**kw).fit(X, y, sample_weight=w)
    b = LogisticRegression(**kw).fit(np.repeat(X, w, 0), np.repeat(y, w))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)


@pytest.mark.parametrize("cfg", [
    dict(solver="sgd", batch_size=1, learning_rate="invscaling", learning_rate_init=0.05),
    dict(solver="adam", batch_size=16, learning_rate="cosine", learning_rate_init=0.02),
])
def test_stochastic_weights_agree_with_repetition_statistically(cfg, data):
    """Over several seeds, the mean weighted fit and the mean repeated fit differ by less
    than the seed-to-seed spread allows, and both sit near the exact optimum."""
    X, y, w = data
    exact = LogisticRegression(solver="newton", tol=1e-12, alpha=1e-3).fit(
        X, y, sample_weight=w).coef_.ravel()
    kw = dict(alpha=1e-3, max_iter=40, tol=None, **cfg)
    weighted = np.array([LogisticRegression(random_state=s, **kw).fit(
        X, y, sample_weight=w).coef_.ravel() for s in range(6)])
    repeated = np.array([LogisticRegression(random_state=s, **kw).fit(
        np.repeat(X, w, 0), np.repeat(y, w)).coef_.ravel() for s in range(6)])
    spread = np.sqrt(weighted.var(0, ddof=1) / 6 + repeated.var(0, ddof=1) / 6)
    diff = np.abs(weighted.mean(0) - repeated.mean(0))
    assert np.all(diff <= 4 * spread + 0.02 * np.abs(exact).max())
    for fits in (weighted, repeated):
        assert np.abs(fits.mean(0) - exact).max() <= 0.1 * np.abs(exact).max()
