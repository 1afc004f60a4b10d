"""Every compiled per-sample kernel computes what the generic loop computes.

For each entry of :data:`~skgd.solver._paths.SAMPLE_KERNELS` a fit that selects it is
compared with the same fit on the next path down (the solver is told to skip the
kernel): 1e-12 relative in float64, 1e-5 in float32. The table is discovered, so a new
kernel without a case here fails ``test_every_kernel_has_a_case``.

The second path has the same lazy semantics: on CSR rows the mini-batch path's sparse
gradient moves only the touched coordinates and their optimizer state, as the kernels
do. The cumulative L1 penalty of the lazy kernel (Tsuruoka et al. 2009), which no
other path has, is checked against a plain-Python statement of it in
``tests/linear_model/test_kernels.py``.
"""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

import skgd.solver._loop as loop
from skgd import LinearRegression, LogisticRegression, MatrixFactorization
from skgd.solver._paths import SAMPLE_KERNELS

TOL = {np.float64: 1e-12, np.float32: 1e-5}


def _linear_data(dtype, sparse):
    X, y = make_classification(200, 8, random_state=0)
    X = X.astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), y


def _ratings(dtype):
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(30, size=1500), rng.randint(40, size=1500)])
    return X, np.clip(3 + rng.randn(1500), 1, 5).astype(dtype)


#: kernel -> cases (estimator, its parameters, data maker); the second path for
#: wscale_sgd and pair_sgd is lazy_rule (the compiled rule), for lazy_rule the generic
#: mini-batch loop with batches of one row
CASES = {
    "wscale_sgd": [
        (est, dict(solver="sgd", penalty=pen, alpha=1e-3), _linear_data, sparse)
        for est in (LinearRegression, LogisticRegression) for pen in (None, "l2")
        for sparse in (False, True)],
    "lazy_rule": [
        (est, dict(solver=solver, penalty="l2", alpha=1e-3), _linear_data, sparse)
        for est in (LinearRegression, LogisticRegression)
        for solver in ("momentum", "nesterov", "adagrad", "rmsprop", "adam", "lion")
        for sparse in (False, True)],
    "pair_sgd": [(MatrixFactorization, dict(n_components=4, learning_rate_init=0.01),
                  _ratings, None)],
}
#: kernels with no second path to compare with, and where they are checked instead
ELSEWHERE = {"svdpp_sgd": "tests/recommender/test_svdpp.py (against Surprise's SVD++)",
             # a threaded epoch changes the visiting order: it is checked against its
             # blocks run one after the other, and in accuracy against one thread
             "pair_sgd_threads": "tests/recommender/test_threads.py",
             "lazy_rule_threads": "tests/recommender/test_threads.py"}


def test_every_kernel_has_a_case():
    names = {k.name for k in SAMPLE_KERNELS}
    assert names == set(CASES) | set(ELSEWHERE)


def _fit(Est, params, make, sparse, dtype, skip=()):
    """Fit with ``batch_size=1``; ``skip`` names kernels the solver may not choose.
    Returns the fitted parameters and the kernel that ran."""
    X, y = make(dtype, sparse) if sparse is not None else make(dtype)
    ran = []
    choose = loop.select_sample_kernel

    def restricted(objective, *args, **kw):
        view = SimpleNamespace(
            sample_kernels=objective.sample_kernels - set(skip),
            requires_sample_kernel=objective.requires_sample_kernel,
            kernel_only_reason=getattr(objective, "kernel_only_reason", ""))
        name = choose(view, *args, **kw)
        ran.append(name)
        return name

    loop.select_sample_kernel = restricted
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = Est(batch_size=1, max_iter=3, tol=None, random_state=0,
                      **{"learning_rate_init": 0.01, **params}).fit(X, y)
    finally:
        loop.select_sample_kernel = choose
    return np.asarray(est._solver_state.w, dtype=np.float64), ran[-1]


def _cases():
    for kernel, cases in CASES.items():
        for i, case in enumerate(cases):
            for dtype in (np.float64, np.float32):
                yield pytest.param(kernel, case, dtype,
                                   id=f"{kernel}-{i}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("kernel, case, dtype", list(_cases()))
def test_kernel_matches_the_next_path(kernel, case, dtype):
    Est, params, make, sparse = case
    fast, ran = _fit(Est, params, make, sparse, dtype)
    assert ran == kernel
    slow, ran_slow = _fit(Est, params, make, sparse, dtype, skip={kernel})
    assert ran_slow != kernel
    scale = np.abs(slow).max()
    np.testing.assert_allclose(fast, slow, rtol=0, atol=TOL[dtype] * scale)
