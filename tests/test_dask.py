"""Full-batch fits on dask collections and dask-ml's wrappers, on a real cluster.

The module starts its own ``distributed.LocalCluster`` (2 worker processes, one thread
each, on 127.0.0.1, no dashboard). The training data is persisted on the workers;
every dask fit is compared with the in-memory fit of the same data, and the workers'
own log of outgoing transfers shows that no chunk of the data ever left them.
"""

import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import pandas as pd  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skgd.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from skgd.neural_network import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.distributed

N, P, CHUNK = 2000, 6, 500
ATOL = 1e-6


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _make_data():
    rng = np.random.RandomState(0)
    X = rng.randn(N, P) * np.linspace(0.5, 2.0, P) + 0.3
    y_reg = X @ rng.randn(P) + 2.0 + 0.3 * rng.randn(N)
    y_bin = (X[:, 0] - X[:, 1] + 0.5 * rng.randn(N) > 0).astype(int)
    y_multi = np.digitize(X[:, 2] + X[:, 3] + 0.5 * rng.randn(N), [-0.5, 1.0])
    sw = rng.uniform(0.2, 3.0, N)
    return X, {"reg": y_reg, "bin": y_bin, "multi": y_multi}, sw


@pytest.fixture(scope="module")
def data(client):
    X, ys, sw = _make_data()
    dX = client.persist(da.from_array(X, chunks=(CHUNK, P)))
    dys = {k: client.persist(da.from_array(v, chunks=CHUNK)) for k, v in ys.items()}
    dsw = client.persist(da.from_array(sw, chunks=CHUNK))
    distributed.wait([dX, dsw, *dys.values()])
    return X, ys, sw, dX, dys, dsw


def _params(est):
    if hasattr(est, "coefs_"):
        return [*est.coefs_, *est.intercepts_]
    return [est.coef_, est.intercept_]


def _assert_same_fit(a, b, atol=ATOL):
    for pa, pb in zip(_params(a), _params(b), strict=True):
        assert isinstance(pa, np.ndarray) and pa.dtype == pb.dtype
        np.testing.assert_allclose(pa, pb, rtol=0, atol=atol)
    assert a.n_iter_ == b.n_iter_


def _fit_both(est, X, y, dX, dy, sw=None, dsw=None):
    from sklearn.base import clone

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mem = clone(est).fit(X, y, sample_weight=sw)
        dsk = clone(est).fit(dX, dy, sample_weight=dsw)
    return mem, dsk


LINEAR_CASES = [
    ("reg", LinearRegression(solver="lbfgs", tol=1e-8)),
    ("reg", LinearRegression(solver="newton", alpha=1e-2)),
    ("reg", LinearRegression(loss="huber", solver="lbfgs", epsilon=1.0)),
    ("reg", LinearRegression(solver="sgd", batch_size="full", learning_rate_init=0.05,
                             max_iter=25, tol=None)),
    ("reg", LinearRegression(solver="adam", batch_size="full", penalty="l1", alpha=1e-2,
                             max_iter=20, tol=None)),
    ("bin", LogisticRegression()),
    ("multi", LogisticRegression(solver="newton")),
    ("multi", LogisticRegression(class_weight="balanced", alpha=1e-3)),
]


@pytest.mark.parametrize("target, est", LINEAR_CASES,
                         ids=[f"{t}-{type(e).__name__}-{e.solver}" for t, e in LINEAR_CASES])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_linear_fit_equals_in_memory(data, target, est, weighted):
    X, ys, sw, dX, dys, dsw = data
    mem, dsk = _fit_both(est, X, ys[target], dX, dys[target],
                         sw if weighted else None, dsw if weighted else None)
    _assert_same_fit(dsk, mem)
    assert dsk.n_features_in_ == P
    if hasattr(mem, "classes_"):
        np.testing.assert_array_equal(dsk.classes_, mem.classes_)


@pytest.mark.parametrize("est, target", [
    (MLPClassifier((7,), solver="lbfgs", max_iter=30, random_state=0), "multi"),
    (MLPRegressor(hidden_layer_sizes=(5,), activation="tanh", solver="lbfgs", max_iter=30,
                  random_state=0), "reg"),
])
def test_mlp_lbfgs_equals_in_memory(data, est, target):
    X, ys, sw, dX, dys, dsw = data
    mem, dsk = _fit_both(est, X, ys[target], dX, dys[target], sw, dsw)
    _assert_same_fit(dsk, mem)


def test_float32_and_dataframe(client, data):
    X, ys, sw, dX, dys, dsw = data
    X32 = X.astype(np.float32)
    mem, dsk = _fit_both(LogisticRegression(), X32, ys["bin"], dX.astype(np.float32),
                         dys["bin"])
    assert dsk.coef_.dtype == np.float32
    _assert_same_fit(dsk, mem, atol=1e-4)
    cols = [f"f{j}" for j in range(P)]
    frame = pd.DataFrame(X, columns=cols)
    ddf = client.persist(dd.from_pandas(frame, npartitions=3))
    dser = client.persist(dd.from_pandas(pd.Series(ys["reg"]), npartitions=3))
    mem, dsk = _fit_both(LinearRegression(solver="lbfgs", tol=1e-8), frame, ys["reg"], ddf,
                         dser)
    _assert_same_fit(dsk, mem)
    np.testing.assert_array_equal(dsk.feature_names_in_, cols)


def _clear_transfer_logs(dask_worker):
    dask_worker.transfer_outgoing_log.clear()


def _transfer_logs(dask_worker):
    return [(entry["who"], dict(entry["keys"])) for entry in dask_worker.transfer_outgoing_log]


def test_data_never_gathered(client, data):
    """The workers log every transfer of a result out of their memory (to the client,
    the scheduler or a peer): during a fit no data chunk and no chunk objective moves,
    and nothing larger than a gradient is sent."""
    X, ys, sw, dX, dys, dsw = data
    client.run(_clear_transfer_logs)
    MLPClassifier((7,), solver="lbfgs", max_iter=5, random_state=0).fit(
        dX, dys["multi"], sample_weight=dsw)
    LogisticRegression(solver="newton").fit(dX, dys["multi"], sample_weight=dsw)
    workers = set(client.scheduler_info()["workers"])
    sent, to_client = {}, {}
    for logs in client.run(_transfer_logs).values():
        for who, keys in logs:
            sent.update(keys)
            if who not in workers:
                to_client.update(keys)
    assert to_client, "the fits returned nothing through the workers"
    x_keys = {str(k) for k in np.ravel(np.asarray(dX.__dask_keys__(), dtype=object))}
    names = {str(k) for k in sent}
    # the feature chunks never move, nor do the chunk objectives built from them (a
    # target or weight chunk may travel once to the worker holding its rows)
    assert not names & x_keys
    assert not any(name.startswith("_build") for name in names)
    # what reaches the client is never larger than a gradient (plus pickling overhead)
    n_params = P * 7 + 7 + 7 * 3 + 3
    assert max(to_client.values()) <= 16 * n_params + 1024
    assert dX.nbytes / 4 > 10 * (16 * n_params + 1024)  # a chunk would have been seen


def test_predictions_are_lazy_dask_arrays(data):
    X, ys, sw, dX, dys, dsw = data
    clf = LogisticRegression().fit(dX, dys["multi"])
    mlp = MLPClassifier((4,), solver="lbfgs", max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(dX, dys["bin"])
    reg = LinearRegression(solver="lbfgs").fit(dX, dys["reg"])
    for est, method in [(clf, "predict"), (clf, "predict_proba"),
                        (clf, "decision_function"), (mlp, "predict_proba"),
                        (mlp, "predict"), (reg, "predict")]:
        lazy = getattr(est, method)(dX)
        assert isinstance(lazy, da.Array)
        assert lazy.chunks[0] == dX.chunks[0]
        np.testing.assert_allclose(lazy.compute(), getattr(est, method)(X), rtol=1e-12)


def test_bad_dask_input_gets_clear_errors(data):
    X, ys, sw, dX, dys, dsw = data
    unknown = dX[dX[:, 0] > 0]  # a boolean mask: unknown chunk sizes
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        LinearRegression(solver="lbfgs").fit(unknown, dys["reg"][:10])
    est = LinearRegression(solver="lbfgs").fit(dX, dys["reg"])
    before = est.coef_.copy()
    est.set_params(warm_start=True, solver="adam", batch_size=32)
    with pytest.raises(ValueError, match="full batches only.*batch_size='full'"):
        est.fit(dX, dys["reg"])
    np.testing.assert_array_equal(est.coef_, before)  # untouched by the failed fit
    with pytest.raises(ValueError, match="Incremental"):
        LogisticRegression().partial_fit(dX, dys["bin"], classes=[0, 1])
    with pytest.raises(ValueError, match="X_val"):
        LogisticRegression(early_stopping=True).fit(dX, dys["bin"])
    with pytest.raises(ValueError, match="batch_norm"):
        MLPClassifier((3,), solver="lbfgs", batch_norm=True).fit(dX, dys["bin"])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LinearRegression(solver="lbfgs").fit(dX, dys["reg"][:-1])
    with pytest.raises(ValueError, match="positive sum"):
        LinearRegression(solver="lbfgs").fit(dX, dys["reg"], sample_weight=dsw * 0)
    bad = dX.map_blocks(lambda b: np.where(b > 3, np.nan, b))
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression(solver="lbfgs").fit(bad, dys["reg"])


def test_early_stopping_with_in_memory_validation(data):
    X, ys, sw, dX, dys, dsw = data
    est = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", early_stopping=True,
                       n_iter_no_change=2, tol=0.0, max_iter=40, random_state=0)
    X_val, y_val = X[:200] + 0.1, ys["reg"][:200]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mem = est.fit(X, ys["reg"], X_val=X_val, y_val=y_val)
        mem_params = [p.copy() for p in _params(mem)]
        dsk = est.fit(dX, dys["reg"], X_val=X_val, y_val=y_val)
    for a, b in zip(_params(dsk), mem_params, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)


# --- dask-ml -----------------------------------------------------------------------------
def test_dask_ml_incremental(data):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    X, ys, sw, dX, dys, dsw = data
    base = LogisticRegression(solver="sgd", batch_size=16, random_state=0)
    inc = wrappers.Incremental(base, shuffle_blocks=False).fit(dX, dys["bin"],
                                                               classes=[0, 1])
    ref = LogisticRegression(solver="sgd", batch_size=16, random_state=0)
    for start in range(0, N, CHUNK):
        ref.partial_fit(X[start:start + CHUNK], ys["bin"][start:start + CHUNK],
                        classes=[0, 1])
    np.testing.assert_array_equal(inc.estimator_.coef_, ref.coef_)
    pred = inc.predict(dX)
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), ref.predict(X))
    assert inc.score(dX, dys["bin"]) == pytest.approx(ref.score(X, ys["bin"]))


def test_gridsearchcv_on_the_dask_joblib_backend(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, ys, _ = _make_data()
    grid = {"alpha": [1e-4, 1e-2, 1.0]}
    est = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        local = GridSearchCV(est, grid, cv=3).fit(X, ys["reg"])
        with joblib.parallel_config(backend="dask"):
            remote = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, ys["reg"])
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-12)
    assert remote.best_params_ == local.best_params_


UPSTREAM = "asynchronous Client in a synchronous context"


def test_dask_ml_hyperband(data):
    """dask-ml's HyperbandSearchCV fails on the installed dask/dask-ml with
    scikit-learn's own SGDClassifier ("Attempting to use an asynchronous Client in a
    synchronous context of `dask.compute`"). The test tries that first and skips only
    on that failure, so it runs by itself once upstream is fixed."""
    model_selection = pytest.importorskip("dask_ml.model_selection")
    from sklearn.linear_model import SGDClassifier

    X, ys, sw, dX, dys, dsw = data
    params = {"alpha": [1e-4, 1e-2]}
    try:
        model_selection.HyperbandSearchCV(SGDClassifier(), params, max_iter=3,
                                          random_state=0).fit(dX, dys["bin"],
                                                              classes=[0, 1])
    except RuntimeError as exc:
        if UPSTREAM not in str(exc):
            raise
        pytest.skip(f"upstream dask-ml/distributed failure with sklearn's SGDClassifier: "
                    f"{exc}")
    est = LogisticRegression(solver="sgd", batch_size=32, random_state=0)
    search = model_selection.HyperbandSearchCV(est, params, max_iter=3, random_state=0)
    search.fit(dX, dys["bin"], classes=[0, 1])
    assert search.best_params_["alpha"] in params["alpha"]
    assert search.best_score_ > 0.7
