"""Every registered optimizer, found through the registry."""

import numpy as np
import pytest
from sklearn.base import clone

from skgd.solver import L2, OPTIMIZERS, Adam, AdamW, Constant, Cosine, SolverConfig, minimize
from skgd.solver._prox import prox_ranges
from skgd.solver._rules import apply_dense, apply_dense_split, apply_sparse

from ._problems import quadratic

FIRST_ORDER = [n for n in OPTIMIZERS.names() if not OPTIMIZERS.get(n).full_batch]
FULL_BATCH = [n for n in OPTIMIZERS.names() if OPTIMIZERS.get(n).full_batch]
# step sizes that suit each family on a unit-scale quadratic
LR = {"sgd": 1.0, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.5, "adadelta": 0.3,
      "rmsprop": 0.01, "adam": 0.05, "adamw": 0.05, "nadam": 0.05, "amsgrad": 0.05,
      "lion": 0.01}


def test_registry_has_the_contract_names():
    expected = {"sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam",
                "adamw", "nadam", "amsgrad", "lbfgs", "newton"}
    assert expected <= set(OPTIMIZERS.names())


@pytest.mark.parametrize("name", FIRST_ORDER)
@pytest.mark.parametrize("cond", [1.0, 100.0])
def test_first_order_reaches_least_squares_optimum(name, cond):
    """Full-batch runs on a well- and an ill-conditioned least-squares problem."""
    prob = quadratic(cond=cond)
    lam_max = np.linalg.eigvalsh(prob.A.T @ prob.A / prob.n_samples).max()
    gd_family = name in ("sgd", "momentum", "nesterov")
    lr = LR[name] / lam_max if gd_family else LR[name]
    # adaptive methods hover at a distance ~lr from the optimum: anneal their step
    schedule = Constant() if gd_family or name in ("adagrad", "adadelta") else Cosine()
    cfg = SolverConfig(optimizer=OPTIMIZERS.get(name)(), learning_rate_init=lr,
                       schedule=schedule, batch_size="full", max_iter=4000, tol=None)
    res = minimize(prob, cfg)
    f_star = prob.value(prob.solution())
    if name == "adadelta" and cond > 1:
        # Adadelta's step grows from sqrt(epsilon) and it is known to crawl on
        # ill-conditioned problems: require 99.9% of the initial gap closed instead
        f0 = prob.value(np.zeros_like(res.w))
        assert prob.value(res.w) - f_star <= 1e-3 * (f0 - f_star)
    else:
        assert prob.value(res.w) - f_star <= 1e-3 * f_star


@pytest.mark.parametrize("name", FULL_BATCH)
def test_full_batch_solvers_reach_optimum(name):
    prob = quadratic(cond=1e4)
    # a first-order method (FISTA) needs about sqrt(condition number) iterations per
    # digit where second-order ones need a few
    first_order = "prox_gradient" in OPTIMIZERS.get(name).capabilities
    res = minimize(prob, SolverConfig(optimizer=OPTIMIZERS.get(name)(), batch_size="full",
                                      max_iter=3000 if first_order else 500, tol=1e-10))
    np.testing.assert_allclose(res.w, prob.solution(), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", FIRST_ORDER)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rule_is_the_same_dense_and_sparse(name, dtype):
    """One compiled rule serves the mini-batch (dense) and row-wise (sparse) paths."""
    opt = OPTIMIZERS.get(name)()
    rng = np.random.RandomState(0)
    n = 7
    w1 = rng.randn(n).astype(dtype)
    w2 = w1.copy()
    s1 = opt.init_state(n, dtype)
    s2 = s1.copy()
    st1, st2 = np.zeros(n, dtype), np.zeros(n, dtype)
    hp = opt.hyperparameters()
    for t in range(1, 4):
        g = rng.randn(n).astype(dtype)
        apply_dense(opt.rule(dtype), w1, g, s1, hp, 0.1, float(t), st1)
        apply_sparse(opt.rule(dtype), w2, g, np.arange(n, dtype=np.int64), s2, hp, 0.1,
                     float(t), st2)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(st1, st2)
    assert w1.dtype == dtype and s1.dtype == dtype
    assert np.all(st1 > 0)


@pytest.mark.parametrize("name", FIRST_ORDER)
def test_sparse_rule_touches_only_given_coordinates(name):
    opt = OPTIMIZERS.get(name)()
    w = np.ones(6)
    state = opt.init_state(6, np.float64)
    step = np.zeros(6)
    idx = np.array([1, 4], dtype=np.int64)
    apply_sparse(opt.rule(np.float64), w, np.array([1.0, -2.0]), idx, state, opt.hyperparameters(),
                 0.1, 1.0, step)
    untouched = np.setdiff1d(np.arange(6), idx)
    np.testing.assert_array_equal(w[untouched], 1.0)
    assert w[1] < 1.0 and w[4] > 1.0


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_optimizers_are_sklearn_components(name):
    opt = OPTIMIZERS.get(name)()
    params = opt.get_params()
    assert clone(opt).get_params() == params
    for k, v in params.items():
        assert isinstance(v, (int, float))
        opt.set_params(**{k: v})


FUSING = [n for n in FIRST_ORDER
          if OPTIMIZERS.get(n)().fused_l2_hyperparameters(1.0) is not None]


def test_adam_fuses_l2():
    assert {"adam", "adamw"} <= set(FUSING)


@pytest.mark.parametrize("name", FUSING)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_l2_equals_rule_then_prox(name, dtype):
    """A rule with the L2 step fused in, on the penalised blocks only, gives the update
    followed by the proximal step w / (1 + step * l2) (up to rounding)."""
    opt = OPTIMIZERS.get(name)()
    rng = np.random.RandomState(0)
    n, l2 = 50, 0.3
    ranges = np.array([[0, 20], [25, 45]], dtype=np.int64)
    w1 = rng.randn(n).astype(dtype)
    w2 = w1.copy()
    s1 = opt.init_state(n, dtype)
    s2 = s1.copy()
    step = np.zeros(n, dtype)
    hp, hp_l2 = opt.hyperparameters(), opt.fused_l2_hyperparameters(l2)
    for t in range(1, 6):
        g = rng.randn(n).astype(dtype)
        apply_dense(opt.rule(dtype), w1, g, s1, hp, 0.1, float(t), step)
        prox_ranges(w1, step, ranges, 0.0, l2)
        apply_dense_split(opt.rule(dtype), w2, g, s2, hp, hp_l2, 0.1, float(t),
                          np.zeros(n, dtype), ranges)
    rtol = 1e-5 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(w2, w1, rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(s2, s1)
    assert w2.dtype == dtype


class _AdamNoFusion(Adam):
    def fused_l2_hyperparameters(self, l2):
        return None


class _AdamWNoFusion(AdamW):
    def fused_l2_hyperparameters(self, l2):
        return None


@pytest.mark.parametrize("fused, separate", [(Adam, _AdamNoFusion), (AdamW, _AdamWNoFusion)])
def test_minibatch_fit_is_the_same_with_fused_l2(fused, separate):
    prob = quadratic(d=5, cond=10.0)
    res = [minimize(prob, SolverConfig(optimizer=opt(), penalty=L2(), alpha=0.5,
                                       learning_rate_init=0.05, batch_size=20, max_iter=20,
                                       tol=None), random_state=0).w
           for opt in (fused, separate)]
    np.testing.assert_allclose(res[0], res[1], rtol=1e-10, atol=1e-12)


def test_rules_compile_once_per_dtype_on_first_use():
    """The lazily compiled rules: one object per dtype (the solver recognises rules by
    identity), also when threads ask at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    from skgd.solver import SGD
    from skgd.solver._rules import Rules

    rules = Rules(SGD)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda dt: rules[dt], [np.float64, np.float32] * 4))
    assert len({id(r) for r in got}) == 2
    assert rules[np.dtype(np.float64)] is got[0]
    assert set(rules) == {np.dtype(np.float64), np.dtype(np.float32)}
    with pytest.raises(KeyError):
        rules[np.int32]
