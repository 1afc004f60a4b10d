"""MatrixFactorization(n_jobs=...): threaded epochs (Hogwild and DSGD strata), the
solver's choice of them, thread safety and the thread budget."""

import multiprocessing
import os
import subprocess
import sys
import threading

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.utils._param_validation import InvalidParameterError

from skgd._lowlevel.threads import n_threads, thread_budget, threading_layer
from skgd.metrics import precision_at_k
from skgd.recommender import MatrixFactorization
from skgd.solver import SolverConfig
from skgd.solver._paths import fit_threads

from ._data import ratings

# the small synthetic fits stop early in their descent: not what is tested here
pytestmark = [pytest.mark.kernels,
              pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]

BPR = dict(loss="bpr", solver="adam", learning_rate_init=0.01, alpha=0.01)


def _rmse(mf, X, y):
    return float(np.sqrt(np.mean((mf.predict(X) - y) ** 2)))


def _big(seed=0):
    return ratings(n_users=300, n_items=200, n=20000, k=4, seed=seed, noise=0.3)


def _u1(shared_data):
    path = shared_data / "ml-100k"
    if not (path / "u1.base").exists():
        pytest.skip("ml-100k not found")
    tr = np.loadtxt(path / "u1.base", dtype=np.int64)
    te = np.loadtxt(path / "u1.test", dtype=np.int64)
    return tr[:, :2], tr[:, 2].astype(float), te[:, :2], te[:, 2].astype(float)


@pytest.mark.parametrize("extra", [{}, BPR])
def test_one_job_is_the_default(extra):
    X, y = _big()
    a = MatrixFactorization(n_components=8, max_iter=3, random_state=0, **extra)
    b = MatrixFactorization(n_components=8, max_iter=3, random_state=0, n_jobs=1,
                            **extra)
    if extra:
        y = None
    a.fit(X, y)
    b.fit(X, y)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)
    np.testing.assert_array_equal(a.item_factors_, b.item_factors_)
    assert a.loss_curve_ == b.loss_curve_


def test_solver_picks_the_threaded_paths():
    X, y = _big()
    mf = MatrixFactorization(max_iter=1, random_state=0).fit(X[:200], y[:200])
    obj = mf._objective(mf._codes(X[:200]), y[:200], np.ones(200), np.float64, seed=0)
    from skgd.solver._paths import penalty_capabilities, select_sample_kernel

    cfg = SolverConfig(batch_size=1)
    caps = penalty_capabilities(cfg)
    assert select_sample_kernel(obj, cfg.optimizer, caps, 1) == "pair_sgd"
    assert select_sample_kernel(obj, cfg.optimizer, caps, 1, threads=2) == \
        "pair_sgd_threads"
    from skgd.solver import OPTIMIZERS

    adam = OPTIMIZERS.resolve("adam", object)
    assert select_sample_kernel(obj, adam, caps, 1, threads=2) == "lazy_rule_threads"
    assert select_sample_kernel(obj, adam, caps, 1) == "lazy_rule"
    # mini-batches never take a per-sample kernel, threaded or not
    assert select_sample_kernel(obj, adam, caps, 32, threads=2) is None


def test_hogwild_rmse_matches_one_thread_on_movielens(shared_data):
    X, y, Xt, yt = _u1(shared_data)
    hp = dict(n_components=50, max_iter=20, random_state=0)
    one = _rmse(MatrixFactorization(**hp).fit(X, y), Xt, yt)
    two = _rmse(MatrixFactorization(**hp, n_jobs=2).fit(X, y), Xt, yt)
    det = _rmse(MatrixFactorization(**hp, n_jobs=2, deterministic=True).fit(X, y), Xt, yt)
    assert abs(two - one) <= 0.002
    assert abs(det - one) <= 0.002


def test_hogwild_rmse_matches_one_thread_synthetic():
    X, y = _big()
    Xt, yt = _big(seed=0)
    hp = dict(n_components=8, max_iter=15, random_state=0, learning_rate_init=0.02)
    one = _rmse(MatrixFactorization(**hp).fit(X[:15000], y[:15000]), X[15000:], y[15000:])
    two = _rmse(MatrixFactorization(**hp, n_jobs=2).fit(X[:15000], y[:15000]),
                X[15000:], y[15000:])
    assert abs(two - one) <= 0.01
    assert np.isfinite(two)


@pytest.mark.parametrize("extra", [{}, BPR])
def test_deterministic_mode_is_reproducible(extra):
    X, y = _big()
    y = None if extra else y
    hp = {"n_components": 8, "max_iter": 3, "random_state": 3, "learning_rate_init": 0.02,
          **extra}
    fits = [MatrixFactorization(n_jobs=2, deterministic=True, **hp).fit(X, y)
            for _ in range(3)]
    for mf in fits[1:]:
        np.testing.assert_array_equal(mf.user_factors_, fits[0].user_factors_)
        np.testing.assert_array_equal(mf.item_factors_, fits[0].item_factors_)
        np.testing.assert_array_equal(mf.item_biases_, fits[0].item_biases_)
    if n_threads(2) > 1:
        # a different schedule from the one-thread epoch
        one = MatrixFactorization(**hp).fit(X, y)
        assert not np.array_equal(one.item_factors_, fits[0].item_factors_)


def test_bpr_precision_comparable(shared_data):
    X, y, Xt, yt = _u1(shared_data)
    pos, pos_te = X[y >= 4], Xt[yt >= 4]
    truth: dict = {}
    for u, i in pos_te:
        truth.setdefault(u, set()).add(i)
    users = np.array(sorted(truth))
    rel = [truth[u] for u in users]
    hp = dict(BPR, n_components=64, max_iter=30, random_state=0)
    prec = {}
    for name, kw in {"one": {}, "hogwild": {"n_jobs": 2},
                     "strata": {"n_jobs": 2, "deterministic": True}}.items():
        items, _ = MatrixFactorization(**hp, **kw).fit(pos).recommend(users, n=10)
        prec[name] = precision_at_k(rel, items)
    assert prec["one"] > 0.2
    assert prec["hogwild"] >= prec["one"] - 0.02
    assert prec["strata"] >= prec["one"] - 0.02


@pytest.mark.parametrize("bad", [0, 1.5, "two", -0.5])
def test_bad_n_jobs_rejected(bad):
    X, y = _big()
    with pytest.raises(InvalidParameterError, match="n_jobs"):
        MatrixFactorization(n_jobs=bad).fit(X[:100], y[:100])
    with pytest.raises(InvalidParameterError, match="deterministic"):
        MatrixFactorization(n_jobs=2, deterministic="yes").fit(X[:100], y[:100])


@pytest.mark.parametrize("kw", [dict(global_bias="learn"), dict(loss="logistic")])
def test_deterministic_refuses_shared_parameters(kw):
    X, y = _big()
    y = None if kw.get("loss") else y
    mf = MatrixFactorization(n_components=4, max_iter=1, random_state=0, **kw).fit(X, y)
    before = (mf.item_factors_.copy(), mf.global_mean_)
    mf.set_params(n_jobs=2, deterministic=True)
    with pytest.raises(ValueError, match="global bias"):
        mf.fit(X, y)
    np.testing.assert_array_equal(mf.item_factors_, before[0])
    assert mf.global_mean_ == before[1] and mf.deterministic


def test_deterministic_refuses_extra_fields():
    X, y = _big()
    X3 = np.column_stack([X, X[:, 0] % 3])
    with pytest.raises(ValueError, match="3 fields"):
        MatrixFactorization(n_jobs=2, deterministic=True, max_iter=1).fit(X3, y)
    # Hogwild trains any model
    mf = MatrixFactorization(n_jobs=2, max_iter=3, n_components=4,
                             learning_rate_init=0.02).fit(X3, y)
    assert np.isfinite(mf.predict(X3)).all()


@pytest.mark.skipif("NUMBA_THREADING_LAYER" in os.environ, reason="layer chosen by the user")
def test_thread_safe_layer():
    assert threading_layer() in ("tbb", "omp")


@pytest.mark.parametrize("extra", [{}, BPR])
def test_concurrent_python_threads(extra):
    X, y = _big()
    y = None if extra else y
    out, errors = {}, []

    def fit(seed):
        try:
            out[seed] = MatrixFactorization(n_components=8, max_iter=5, n_jobs=2,
                                            random_state=seed, **extra).fit(X, y)
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=fit, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for mf in out.values():
        assert np.isfinite(mf.user_factors_).all()
        if not extra:
            assert _rmse(mf, X, y) < np.std(y)


def test_joblib_threading_backend():
    X, y = _big()
    with joblib.parallel_config(backend="threading", n_jobs=2):
        gs = GridSearchCV(MatrixFactorization(n_components=4, max_iter=3, n_jobs=2,
                                              random_state=0),
                          {"alpha": [0.05, 0.1]}, cv=2).fit(X, y)
    assert np.isfinite(gs.best_score_)


def _worker_threads():
    return (n_threads(-1), thread_budget(), fit_threads(SolverConfig(n_jobs=8)).workers,
            fit_threads(SolverConfig(n_jobs=8, deterministic_threads=True)))


def test_loky_workers_keep_their_budget():
    cpus = joblib.cpu_count()
    got = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(_worker_threads)() for _ in range(2))
    share = max(cpus // 2, 1)
    for all_, budget, eight, strata in got:
        assert all_ == budget == eight == share
        # the deterministic schedule keeps its 8 blocks, run by the worker's share
        assert (strata.blocks, strata.workers, strata.deterministic) == (8, share, True)


def test_grid_search_loky_with_all_threads():
    X, y = _big()
    gs = GridSearchCV(MatrixFactorization(n_components=4, max_iter=3, n_jobs=-1,
                                          random_state=0),
                      {"alpha": [0.05, 0.1]}, cv=2, n_jobs=2).fit(X, y)
    assert np.isfinite(gs.best_score_)


def test_threadpoolctl_limit_is_the_budget():
    from threadpoolctl import threadpool_limits

    threading_layer()  # the OpenMP runtime is loaded from here on
    with threadpool_limits(1):
        assert n_threads(-1) == 1
        assert n_threads(4) == 1


def _child(queue):
    queue.put(n_threads(2))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_forked_child_of_openmp_process_gets_one_thread():
    if threading_layer() != "omp":
        pytest.skip("not the OpenMP layer")
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    p = ctx.Process(target=_child, args=(queue,))
    p.start()
    p.join(60)
    assert queue.get(timeout=5) == 1


def test_workqueue_layer_runs_one_thread_off_the_main_thread():
    """numba's workqueue layer aborts when two threads launch at once: on it, only the
    main thread launches; fits from other threads run their blocks in sequence."""
    code = ("import threading\n"
            "import numpy as np\n"
            "from skgd._lowlevel.threads import n_threads, threading_layer\n"
            "from skgd.recommender import MatrixFactorization\n"
            "rng = np.random.RandomState(0)\n"
            "X = np.column_stack([rng.randint(300, size=20000), "
            "rng.randint(200, size=20000)])\n"
            "y = rng.uniform(1, 5, 20000)\n"
            "out = []\n"
            "def fit():\n"
            "    out.append(n_threads(2))\n"
            "    for _ in range(3):\n"
            "        MatrixFactorization(8, max_iter=3, n_jobs=2).fit(X, y)\n"
            "ts = [threading.Thread(target=fit) for _ in range(2)]\n"
            "[t.start() for t in ts]\n"
            "for _ in range(3):\n"
            "    MatrixFactorization(8, max_iter=3, n_jobs=2).fit(X, y)\n"
            "[t.join() for t in ts]\n"
            "print(threading_layer(), n_threads(2), *out)\n")
    # OMP_NUM_THREADS too: distributed's LocalCluster (tests/test_dask.py) leaves
    # OMP_NUM_THREADS=1 in this process's environment, an OpenMP budget of 1
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue", NUMBA_NUM_THREADS="2",
               OMP_NUM_THREADS="2")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["workqueue", "2", "1", "1"]


def _objective(loss="squared_error"):
    X, y = _big()
    mf = MatrixFactorization(n_components=8, max_iter=1, random_state=0, loss=loss)
    mf.fit(X, None if loss == "bpr" else y)
    obj = mf._objective(mf._codes(X), y, np.ones(len(y)), np.float64, seed=0)
    obj._factor_views(obj.init_params(np.random.RandomState(0)))
    return obj


def _strata(obj, T=2, seed=5):
    from skgd.recommender import _threads as TH

    order = np.random.RandomState(seed).permutation(obj.n_samples).astype(np.int64)
    gi = TH.deal(obj.n_ids[1], T, seed + 1)
    order, bounds = TH.strata_order(obj._users, obj._items, order,
                                    TH.deal(obj.n_ids[0], T, seed), gi, T)
    return order, bounds, TH.group_members(gi, T)


def test_strata_blocks_share_no_parameter_pair_kernel():
    """The threaded strata epoch equals its blocks run one after the other (so the
    blocks of a round touch disjoint rows), to rounding: the threaded and the serial
    kernel are compiled separately, and LLVM may contract their floating-point
    operations differently (a 1-ulp difference was seen in a fresh environment); a
    shared row would differ at the scale of a step, 1e-3."""
    from skgd.recommender import _epochs as E
    from skgd.recommender import _threads as TH

    obj = _objective()
    order, bounds, _ = _strata(obj)
    assert (bounds[:, :, 1] > bounds[:, :, 0]).all()
    w0 = obj.init_params(np.random.RandomState(1))
    lrs = np.full(order.size, 0.02)
    data = E.Ratings(obj._users, obj._items, obj.y, obj.sw)
    w1, w2 = w0.copy(), w0.copy()
    TH.pair_epoch_threads(data, order, bounds, obj._biased(), *obj._factor_views(w1), w1,
                          E.Step(lrs, 100.0))
    for r in range(bounds.shape[0]):
        for lo, hi in bounds[r]:
            E.sgd_pair_epoch(data, order[lo:hi], obj._biased(), *obj._factor_views(w2), w2,
                             E.Step(lrs[lo:hi], 100.0))
    assert not np.array_equal(w1, w0)
    np.testing.assert_allclose(w1, w2, rtol=1e-12, atol=1e-15)


def test_strata_blocks_share_no_parameter_rule_kernel():
    from skgd.recommender import _epochs as E
    from skgd.recommender import _threads as TH
    from skgd.solver import OPTIMIZERS

    obj = _objective("bpr")
    order, bounds, (items, starts) = _strata(obj)
    adam = OPTIMIZERS.resolve("adam", object)
    rule, hp = adam.rule(np.float64), adam.hyperparameters()
    data, spec = obj._bundles()
    w0 = obj.init_params(np.random.RandomState(1))
    lrs = np.full(order.size, 0.01)
    w1, w2 = w0.copy(), w0.copy()
    s1, s2 = adam.init_state(w0.size, w0.dtype), adam.init_state(w0.size, w0.dtype)
    step = np.zeros(w0.size)
    TH.sample_epoch_threads(data, spec, order, bounds, 7, w1, rule,
                            E.RuleStep(hp, s1, lrs, 0, step, 0.0), (items, starts))
    T = bounds.shape[1]
    for r in range(T):
        for t, (lo, hi) in enumerate(bounds[r]):
            g = (t + r) % T
            block = data._replace(cand=items[starts[g]:starts[g + 1]])
            E.sample_epoch(block, spec, order[lo:hi], 7 + r * T + t, w2, rule,
                           E.RuleStep(hp, s2, lrs[lo:hi], lo, step, 0.0))
    assert not np.array_equal(w1, w0)
    np.testing.assert_allclose(w1, w2, rtol=1e-12, atol=1e-15)  # as in the pair test
    np.testing.assert_allclose(s1, s2, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("extra", [{}, BPR])
def test_deterministic_result_does_not_depend_on_the_threads_granted(extra):
    """With one thread granted (here by threadpoolctl) the strata run one after the
    other: the same model as on two threads, and as with n_jobs=2 anywhere, up to
    rounding (the one-thread and the threaded launch are compiled separately; a fresh
    environment showed 1-ulp differences)."""
    from threadpoolctl import threadpool_limits

    X, y = _big()
    y = None if extra else y
    hp = {"n_components": 8, "max_iter": 2, "random_state": 1, "n_jobs": 2,
          "deterministic": True, "learning_rate_init": 0.02, **extra}
    threading_layer()
    two = MatrixFactorization(**hp).fit(X, y)
    with threadpool_limits(1):
        assert n_threads(2) == 1
        one = MatrixFactorization(**hp).fit(X, y)
    np.testing.assert_allclose(one.item_factors_, two.item_factors_, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(one.user_factors_, two.user_factors_, rtol=1e-9, atol=1e-14)
    assert one.loss_curve_ == pytest.approx(two.loss_curve_, rel=1e-12)


def test_federated_clients_on_threads():
    """FedAvg clients fitting concurrently on joblib's threading backend, each with
    two kernel threads: valid, and with the deterministic schedule the same model as
    the clients run one at a time."""
    from skgd.federated import FederatedAveraging

    X, y = _big()
    groups = X[:, 0] % 4
    mf = MatrixFactorization(8, learning_rate_init=0.02, random_state=0, n_jobs=2,
                             deterministic=True)
    fits = []
    for backend, n_jobs in (("threading", 4), ("sequential", 1)):
        with joblib.parallel_config(backend=backend, n_jobs=n_jobs):
            fits.append(FederatedAveraging(mf, n_rounds=2, random_state=0).fit(
                X, y, groups=groups))
    assert np.isfinite(fits[0].predict(X)).all()
    np.testing.assert_array_equal(fits[0].estimator_.item_factors_,
                                  fits[1].estimator_.item_factors_)


@pytest.mark.parametrize("deterministic", [False, True])
def test_float32_on_threads(deterministic):
    X, y = _big()
    mf = MatrixFactorization(8, max_iter=3, random_state=0, n_jobs=2,
                             deterministic=deterministic).fit(X, y.astype(np.float32))
    assert mf.item_factors_.dtype == np.float32
    assert _rmse(mf, X, y) < np.std(y)


@pytest.mark.parametrize("T", [2, 3, 5])
def test_strata_order_threads_is_the_serial_order(T):
    from skgd.recommender import _threads as TH

    obj = _objective()
    order = np.random.RandomState(T).permutation(obj.n_samples).astype(np.int64)
    gu, gi = TH.deal(obj.n_ids[0], T, 1), TH.deal(obj.n_ids[1], T, 2)
    one = TH.strata_order(obj._users, obj._items, order, gu, gi, T)
    for P in (2, 3):
        two = TH.strata_order_threads(obj._users, obj._items, order, gu, gi, T, P)
        np.testing.assert_array_equal(one[0], two[0])
        np.testing.assert_array_equal(one[1], two[1])
    # every row once, and block (r, t) holds user group t and item group (t + r) % T
    np.testing.assert_array_equal(np.sort(one[0]), np.arange(obj.n_samples))
    for r in range(T):
        for t in range(T):
            rows = one[0][one[1][r, t, 0]:one[1][r, t, 1]]
            assert (gu[obj._users[rows]] == t).all()
            assert (gi[obj._items[rows]] == (t + r) % T).all()
