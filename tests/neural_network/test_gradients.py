"""Backward pass of the MLP objective against central finite differences."""

import numpy as np
import pytest
import scipy.sparse as sp

from skgd.losses import LogLoss, Multinomial, SquaredError
from skgd.neural_network import ACTIVATIONS, MLPObjective, MLPSpec
from skgd.neural_network._activations import get_activation

N, P = 12, 4
HIDDEN = [5, 3]


def _targets(loss_name, rng):
    if loss_name == "multinomial":
        return Multinomial(), rng.randint(0, 3, N), 3
    if loss_name == "log_loss_binary":
        return LogLoss(), rng.randint(0, 2, (N, 1)).astype(float), 1
    if loss_name == "log_loss_multilabel":
        return LogLoss(), rng.randint(0, 2, (N, 3)).astype(float), 3
    return SquaredError(), rng.randn(N, 2), 2


def _objective(activation="tanh", loss="multinomial", batch_norm=False, sparse=False,
               sample_weight=None, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(N, P)
    if sparse:
        X[rng.rand(N, P) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    loss_obj, y, K = _targets(loss, rng)
    sw = np.ones(N) if sample_weight is None else sample_weight
    obj = MLPObjective(X, y, sw, MLPSpec([P, *HIDDEN, K], get_activation(activation),
                                         loss_obj, batch_norm=batch_norm,
                                         activation_name=activation))
    w = obj.init_params(np.random.RandomState(seed + 1))
    w += 0.1 * rng.randn(w.size)  # non-trivial intercepts, scales and shifts
    return obj, w


def _check_gradient(obj, w, idx=None, eps=1e-6, rtol=1e-5, atol=1e-8):
    _, g = obj.value_grad(w, idx)
    g = g.copy()
    num = np.empty_like(w)
    for j in range(w.size):
        wp, wm = w.copy(), w.copy()
        wp[j] += eps
        wm[j] -= eps
        num[j] = (obj.value_grad(wp, idx)[0] - obj.value_grad(wm, idx)[0]) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=rtol, atol=atol)


@pytest.mark.parametrize("activation", ACTIVATIONS.names())
def test_gradient_every_activation(activation):
    obj, w = _objective(activation=activation, seed=3)
    _check_gradient(obj, w)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss_binary", "log_loss_multilabel",
                                  "multinomial"])
def test_gradient_every_loss(loss):
    obj, w = _objective(loss=loss)
    _check_gradient(obj, w)


@pytest.mark.parametrize("loss", ["squared_error", "multinomial"])
def test_gradient_dropout_fixed_mask(loss):
    obj, w = _objective(activation="logistic", loss=loss)
    rng = np.random.RandomState(5)
    obj.fixed_dropout_masks = [(rng.rand(N, h) >= 0.3) / 0.7 for h in HIDDEN]
    _check_gradient(obj, w)
    # the mask changes the loss: it is really applied
    f_mask = obj.value_grad(w)[0]
    obj.fixed_dropout_masks = None
    assert f_mask != pytest.approx(obj.value_grad(w)[0])


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradient_batch_norm_weighted(activation):
    sw = np.random.RandomState(2).randint(0, 4, N).astype(float)
    obj, w = _objective(activation=activation, batch_norm=True, sample_weight=sw, seed=1)
    _check_gradient(obj, w)
    _check_gradient(obj, w, idx=np.arange(3, 11))


def test_gradient_sparse_input_matches_dense():
    obj_s, w = _objective(sparse=True, loss="squared_error")
    _check_gradient(obj_s, w)
    X = obj_s.X
    dense = sp.csr_matrix((X.data, X.indices, X.indptr), shape=X.shape).toarray()
    obj_d = MLPObjective(dense, obj_s.y, obj_s.sw,
                         MLPSpec(obj_s.layer_sizes, obj_s.activation, obj_s.loss))
    idx = np.array([4, 1, 7])
    fs, gs = obj_s.value_grad(w, idx)
    fd, gd = obj_d.value_grad(w, idx)
    assert fs == pytest.approx(fd)
    np.testing.assert_allclose(gs, gd, rtol=1e-10, atol=1e-12)


def test_integer_weights_equal_repeated_rows():
    sw = np.array([2, 1, 0, 3, 1, 1, 2, 1, 1, 1, 1, 2], dtype=float)
    obj, w = _objective(loss="squared_error", sample_weight=sw, batch_norm=True)
    rep = np.repeat(np.arange(N), sw.astype(int))
    X = obj.X[rep]
    obj_r = MLPObjective(X, obj.y[rep], np.ones(rep.size),
                         MLPSpec(obj.layer_sizes, obj.activation, obj.loss, batch_norm=True))
    f, g = obj.value_grad(w)
    fr, gr = obj_r.value_grad(w)
    assert f == pytest.approx(fr, rel=1e-12)
    np.testing.assert_allclose(g, gr, rtol=1e-10, atol=1e-12)


def test_eval_mode_without_stochastic_layers_equals_training_loss():
    obj, w = _objective(loss="log_loss_multilabel")
    assert obj.value(w) == pytest.approx(obj.value_grad(w)[0], rel=1e-12)


def test_full_batch_sets_running_statistics():
    obj, w = _objective(batch_norm=True)
    obj.value_grad(w)  # full batch: running statistics = data statistics
    # evaluation mode with those statistics equals training mode on the full batch
    assert obj.value(w) == pytest.approx(obj.value_grad(w)[0], rel=1e-10)


def test_float32_objective_keeps_dtype():
    obj, w = _objective()
    X32 = np.asarray(obj.X, dtype=np.float32)
    obj32 = MLPObjective(X32, obj.y, obj.sw,
                         MLPSpec(obj.layer_sizes, obj.activation, obj.loss))
    w32 = obj32.init_params(np.random.RandomState(0))
    assert w32.dtype == np.float32
    f, g = obj32.value_grad(w32, np.arange(5))
    assert g.dtype == np.float32 and np.isfinite(f)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_to_csr_matches_scipy(dtype):
    from skgd.neural_network._kernels import dense_to_csr

    rng = np.random.RandomState(0)
    X = rng.randn(9, 7).astype(dtype)
    X[rng.rand(9, 7) < 0.7] = 0
    X[3] = 0  # an empty row
    X[-1, -1] = 0  # a trailing zero
    data, indices, indptr = dense_to_csr(X, np.ones(X.shape[1], bool))
    ref = sp.csr_matrix(X)
    assert data.dtype == dtype
    np.testing.assert_array_equal(data, ref.data)
    np.testing.assert_array_equal(indices, ref.indices)
    np.testing.assert_array_equal(indptr, ref.indptr)
    keep = np.ones(X.shape[1], bool)
    keep[[0, 6]] = False  # columns left out (they go to the dense copy)
    data, indices, indptr = dense_to_csr(X, keep)
    ref = sp.csr_matrix(np.where(keep, X, 0))
    np.testing.assert_array_equal(data, ref.data)
    np.testing.assert_array_equal(indices, ref.indices)
    np.testing.assert_array_equal(indptr, ref.indptr)


@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_input_with_few_nonzeros_runs_csr_first_layer(batch_norm, dtype, monkeypatch):
    """Dense X with mostly zeros takes the CSR first layer; same loss, gradient and
    outputs as BLAS on the dense rows."""
    import skgd.neural_network._objective as mod

    rng = np.random.RandomState(3)
    X = rng.rand(40, 30)
    X[X < 0.85] = 0.0
    X = X.astype(dtype)
    y = rng.randint(0, 3, 40)
    args = (X, y, np.ones(40),
            MLPSpec([30, 8, 3], get_activation("relu"), Multinomial(), batch_norm=batch_norm))
    obj_s = MLPObjective(*args)
    assert obj_s.sparse and obj_s.X is X  # dense rows kept for the caller
    monkeypatch.setattr(mod, "SPARSE_FIRST_LAYER_DENSITY", 0.0)
    obj_d = MLPObjective(*args)
    assert not obj_d.sparse
    w = obj_s.init_params(np.random.RandomState(0))
    w += dtype(0.1) * rng.randn(w.size).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for idx in (np.array([5, 1, 33, 7]), None):
        fs, gs = obj_s.value_grad(w, idx)
        gs = gs.copy()
        fd, gd = obj_d.value_grad(w, idx)
        assert fs == pytest.approx(fd, rel=tol["rtol"])
        np.testing.assert_allclose(gs, gd, **tol)
    np.testing.assert_allclose(obj_s.raw(w), obj_d.raw(w), **tol)


def test_dense_input_with_many_nonzeros_uses_blas():
    rng = np.random.RandomState(0)
    X = rng.randn(20, 6)
    obj = MLPObjective(X, rng.randint(0, 2, 20), np.ones(20),
                       MLPSpec([6, 4, 2], get_activation("relu"), Multinomial()))
    assert not obj.sparse and obj.csr is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_first_layer_kernels_match_dense_products(dtype, monkeypatch):
    """The recorded forward product and the weight gradient from its column filing
    (several blocks of rows, a partial last one, repeated and empty rows) equal the
    dense products, and so does the per-value scatter used without a recording."""
    import skgd.neural_network._kernels as mod
    from skgd.neural_network._kernels import SLOT_BLOCK, CSRRows

    monkeypatch.setattr(mod, "SLOT_DTYPES", (np.dtype(dtype),))

    rng = np.random.RandomState(0)
    X = rng.rand(150, 23)
    X[X < 0.7] = 0.0
    X[4] = 0.0
    X = X.astype(dtype)
    csr = CSRRows(X)
    rows = rng.randint(0, 150, 2 * SLOT_BLOCK + 7)
    rows[:3] = 4
    W = rng.randn(23, 9).astype(dtype)
    b = rng.randn(9).astype(dtype)
    D = rng.randn(rows.size, 9).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    Z = csr.matmul(rows, W, b, record=True)
    np.testing.assert_allclose(Z, X[rows] @ W + b, **tol)
    assert csr._slots is not None
    G, gb = np.empty_like(W), np.empty_like(b)
    csr.t_matmul(rows, D, G, gb)  # from the filing
    np.testing.assert_allclose(G, X[rows].T @ D, **tol)
    np.testing.assert_allclose(gb, D.sum(axis=0), **tol)
    G2 = np.empty_like(W)
    csr.t_matmul(rows, D, G2)  # the filing is used once: per-value scatter
    np.testing.assert_allclose(G2, G, **tol)
    assert Z.dtype == G.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("width", [1, 3, 4, 5, 8, 9, 16, 31, 33, 47, 48, 49, 64, 65, 96,
                                   97, 100, 104, 105, 128, 200])
def test_simd_first_layer_kernels_every_width(dtype, width):
    """The register-segment kernels (every segment and tail case: widths below, at and
    above multiples of the 4/8-lane registers), with and without the column filing,
    equal the dense products."""
    from skgd.neural_network._kernels import dense_to_csr
    from skgd.neural_network._sparse import (
        Filing,
        csr_rows_matmul,
        csr_rows_matmul_file,
        csr_rows_t_matmul,
        filed_t_matmul,
    )

    rng = np.random.RandomState(width)
    X = rng.rand(40, 17)
    X[X < 0.6] = 0.0
    X[3] = 0.0
    X = X.astype(dtype)
    data, indices, indptr = dense_to_csr(X, np.ones(X.shape[1], bool))
    rows = rng.randint(0, 40, 25)
    rows[:2] = 3
    W = rng.randn(17, width).astype(dtype)
    b = rng.randn(width).astype(dtype)
    D = rng.randn(rows.size, width).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    Z = np.full((rows.size, width), np.nan, dtype)
    csr_rows_matmul(data, indices, indptr, rows, W, b, Z)
    np.testing.assert_allclose(Z, X[rows] @ W + b, **tol)
    G, gb = np.full_like(W, np.nan), np.full_like(b, np.nan)
    csr_rows_t_matmul(data, indices, indptr, rows, D, G, gb)
    np.testing.assert_allclose(G, X[rows].T @ D, **tol)
    np.testing.assert_allclose(gb, D.sum(axis=0), **tol)
    # the recorded forward product and the gradient from its column filing, in blocks
    # of 4 rows (a partial last block); row 3 (twice) is empty
    block = 4
    cnt = np.full((-(-rows.size // block), X.shape[1]), -1, np.int32)
    srow = np.full(data.size * 2, -1, np.int16)
    sval = np.full(data.size * 2, np.nan, dtype)
    Z = np.full((rows.size, width), np.nan, dtype)
    csr_rows_matmul_file(data, indices, indptr, rows, W, b, Z, Filing(block, cnt, srow, sval))
    np.testing.assert_allclose(Z, X[rows] @ W + b, **tol)
    G, gb = np.full_like(W, np.nan), np.full_like(b, np.nan)
    filed_t_matmul(cnt, srow, sval, D, G, gb)
    np.testing.assert_allclose(G, X[rows].T @ D, **tol)
    np.testing.assert_allclose(gb, D.sum(axis=0), **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("filing", [False, True])
def test_first_layer_dense_column_split_matches_dense_products(dtype, sparse, filing,
                                                               monkeypatch):
    """Columns stored in most rows go to BLAS on a dense copy, the others to the CSR
    kernels; forward product and gradient (recorded or not) equal the dense ones."""
    import scipy.sparse as sp

    import skgd.neural_network._kernels as mod
    from skgd.neural_network._kernels import CSRRows

    monkeypatch.setattr(mod, "MIN_DENSE_COLUMNS", 2)
    monkeypatch.setattr(mod, "SLOT_DTYPES", (np.dtype(dtype),) if filing else ())
    rng = np.random.RandomState(1)
    X = rng.rand(90, 30)
    X[X < 0.8] = 0.0
    X[:, [3, 4, 17]] = rng.rand(90, 3) + 0.1  # dense columns
    X[5] = 0.0
    X = X.astype(dtype)
    csr = CSRRows(sp.csr_matrix(X) if sparse else X)
    np.testing.assert_array_equal(csr.dense_cols, [3, 4, 17])
    rows = rng.randint(0, 90, 70)
    rows[:2] = 5
    W, b = rng.randn(30, 11).astype(dtype), rng.randn(11).astype(dtype)
    D = rng.randn(rows.size, 11).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    Z = csr.matmul(rows, W, b, record=True)
    np.testing.assert_allclose(Z, X[rows] @ W + b, **tol)
    G, gb = np.full_like(W, np.nan), np.full_like(b, np.nan)
    csr.t_matmul(rows, D, G, gb)
    np.testing.assert_allclose(G, X[rows].T @ D, **tol)
    np.testing.assert_allclose(gb, D.sum(axis=0), **tol)
    G2 = np.full_like(W, np.nan)
    csr.t_matmul(rows, D, G2)  # nothing recorded now
    np.testing.assert_allclose(G2, G, **tol)
    np.testing.assert_allclose(csr.matmul(rows, W), X[rows] @ W, **tol)
    assert Z.dtype == G.dtype == dtype
