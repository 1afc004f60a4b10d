"""The one-output losses the kernels inline agree with the losses' compiled kernels."""

import numpy as np
import pytest
from numba import njit

from skgd._lowlevel import ptr
from skgd.losses import LOSS_CALL, LOSSES, LogLoss, SquaredError, one_output_loss


@njit
def _losses(code, loss_fn, lp, y, z):
    raw, dl = np.empty(1), np.empty(1)
    out = np.empty((z.size, 2))
    for i in range(z.size):
        out[i, 0], out[i, 1] = one_output_loss(code, y, z[i], loss_fn, ptr(lp), ptr(raw),
                                               ptr(dl))
    return out


Z = np.array([-800.0, -700.0, -36.0, -1.5, -1e-300, 0.0, 1e-300, 0.7, 36.0, 700.0, 800.0,
              np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("loss", [LogLoss(), SquaredError()])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_inlined_loss_equals_the_compiled_kernel(loss, y):
    code = loss.kernel_code()
    assert code != LOSS_CALL
    inlined = _losses(code, loss.kernel, loss.params(), y, Z)
    called = _losses(LOSS_CALL, loss.kernel, loss.params(), y, Z)
    np.testing.assert_array_equal(inlined, called)  # NaN where both are NaN
    finite = np.isfinite(Z)
    vectorised, grad = loss.loss_gradient(np.full((finite.sum(), 1), y), Z[finite, None])
    np.testing.assert_allclose(inlined[finite, 0], vectorised, rtol=1e-15)
    np.testing.assert_allclose(inlined[finite, 1], grad[:, 0], rtol=1e-15)


def test_other_kernels_are_called():
    class Custom(LogLoss):
        kernel = LOSSES.get("huber").kernel  # any other compiled kernel

    assert Custom().kernel_code() == LOSS_CALL
    assert LOSSES.get("huber")().kernel_code() == LOSS_CALL
    assert LOSSES.get("multinomial")().kernel_code() == LOSS_CALL


def test_bpr_is_a_registered_loss_with_its_gradient():
    from skgd.losses import BPR

    d = np.array([[-40.0], [-1.5], [0.0], [0.7], [40.0]])
    loss, grad = BPR().loss_gradient(np.ones_like(d), d)
    np.testing.assert_allclose(loss, np.logaddexp(0.0, -d[:, 0]), rtol=1e-12)
    h = 1e-6
    num = (BPR().loss(np.ones_like(d), d + h) - BPR().loss(np.ones_like(d), d - h)) / (2 * h)
    np.testing.assert_allclose(grad[:, 0], num, rtol=1e-6, atol=1e-12)
    assert LOSSES.get("bpr") is BPR and LOSSES.get("logistic") is LogLoss


def test_the_recommenders_losses_come_from_the_registry():
    from skgd.losses import MF_BPR, MF_LOGISTIC, MF_SQUARED

    codes = {n: LOSSES.get(n).recommender_code for n in LOSSES.names(aliases=True)
             if LOSSES.get(n).recommender_code is not None}
    assert codes == {"squared_error": MF_SQUARED, "log_loss": MF_LOGISTIC,
                     "logistic": MF_LOGISTIC, "bpr": MF_BPR}


def test_matrix_factorization_takes_its_losses_from_the_registry():
    from skgd import MatrixFactorization

    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randint(20, size=300), rng.randint(25, size=300)])
    a, b = (MatrixFactorization(n_components=4, loss=name, max_iter=3, random_state=0)
            .fit(X).item_factors_ for name in ("logistic", "log_loss"))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="loss"):
        MatrixFactorization(loss="huber").fit(X)
