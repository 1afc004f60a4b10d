"""Every schedule at fixed steps against its closed form."""

import numpy as np
import pytest
from sklearn.base import clone

from skgd.solver import SCHEDULES, ScheduleContext

CTX = ScheduleContext(lr0=0.1, steps_per_epoch=10, max_iter=10, alpha=1e-2)
T = np.array([0.0, 1.0, 9.0, 10.0, 50.0, 99.0])
E = T / 10  # fractional epochs


#: skgd's own components (user components have no closed form here)
BUILTIN = [n for n in SCHEDULES.names() if SCHEDULES.get(n).__module__.startswith("skgd.")]


def _expected(name):
    lr0, total = 0.1, 100
    cos = 0.5 * (1 + np.cos(np.pi * np.clip(T / total, 0, 1)))
    if name == "constant" or name == "plateau":
        return np.full_like(T, lr0)
    if name == "invscaling":
        return lr0 / (T + 1) ** 0.25
    if name == "optimal":
        typw = np.sqrt(1 / np.sqrt(1e-2))
        t0 = 1 / (typw * 1e-2)  # dloss of the default context is 1
        return 1 / (1e-2 * (t0 + T))
    if name == "step":
        return lr0 * 0.5 ** (np.floor(E) // 10)
    if name == "exponential":
        return lr0 * 0.95**E
    if name == "cosine":
        return lr0 * cos
    if name == "warmup_cosine":
        warm = 5.0
        down = lr0 * 0.5 * (1 + np.cos(np.pi * np.clip((T - warm) / (total - warm), 0, 1)))
        return np.where(T < warm, lr0 * (T + 1) / warm, down)
    if name == "onecycle":
        peak, start = 30.0, lr0 / 25
        rise = start + 0.5 * (lr0 - start) * (1 + np.cos(np.pi * (1 - T / peak)))
        end = start / 1e4
        fall = end + 0.5 * (lr0 - end) * (1 + np.cos(np.pi * (T - peak) / (total - peak)))
        return np.where(T < peak, rise, fall)
    raise AssertionError(f"no closed form written for schedule {name!r}")


@pytest.mark.parametrize("name", BUILTIN)
def test_schedule_closed_form(name):
    sched = SCHEDULES.get(name)()
    np.testing.assert_allclose(sched.rates(T, CTX), _expected(name), rtol=1e-12)
    assert clone(sched).get_params() == sched.get_params()


def test_plateau_lowers_the_rate_then_stops():
    sched = SCHEDULES.get("plateau")(factor=0.1, min_lr=1e-3)
    assert sched.on_plateau(1.0, CTX) == pytest.approx(0.1)
    assert sched.on_plateau(0.1, CTX) == pytest.approx(0.01)
    assert sched.on_plateau(0.01, CTX) is None  # 0.1 * 0.001 < min_lr


def test_other_schedules_let_the_monitor_stop():
    for name in SCHEDULES.names():
        if name != "plateau":
            assert SCHEDULES.get(name)().on_plateau(1.0, CTX) is None


def test_optimal_needs_alpha():
    ctx = ScheduleContext(lr0=0.1, steps_per_epoch=1, max_iter=1, alpha=0.0)
    with pytest.raises(ValueError, match="alpha > 0"):
        SCHEDULES.get("optimal")().rates(T, ctx)


@pytest.mark.parametrize("power_t", [0.25, 0.5, 1.0, 0.3, 0.0])
def test_invscaling_exponents(power_t):
    """The square-root shortcuts agree with the general power."""
    sched = SCHEDULES.get("invscaling")(power_t=power_t)
    np.testing.assert_allclose(sched.rates(T, CTX), 0.1 / (T + 1) ** power_t, rtol=1e-15)
