"""Helpers shared by the benchmark scripts: timing, BLAS pinning, tables."""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable

from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits


def timed(fn: Callable, repeats: int = 3, threads: int = 1):
    """Run ``fn`` ``repeats`` times with BLAS pinned to ``threads``; return
    (median seconds, result of the last run)."""
    times, out = [], None
    for _ in range(repeats):
        with threadpool_limits(limits=threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            tic = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - tic)
    return statistics.median(times), out


def timed_pair(fn_a: Callable, fn_b: Callable, repeats: int = 3, threads: int = 1):
    """:func:`timed` for two functions run alternately (a b, b a, a b, ...), so that
    both see the same machine: on a shared VM the speed drifts by 20 % and more between
    minutes, which skews a ratio of two back-to-back series. Returns (median seconds of
    a, median seconds of b, median of the per-pair ratios a / b, last result of a,
    last result of b)."""
    times_a, times_b = [], []
    out_a = out_b = None
    for r in range(repeats):
        first_a = r % 2 == 0
        if first_a:
            t_a, out_a = timed(fn_a, 1, threads)
        t_b, out_b = timed(fn_b, 1, threads)
        if not first_a:
            t_a, out_a = timed(fn_a, 1, threads)
        times_a.append(t_a)
        times_b.append(t_b)
    ratio = statistics.median(a / b for a, b in zip(times_a, times_b, strict=True))
    return statistics.median(times_a), statistics.median(times_b), ratio, out_a, out_b


def table(rows: list[dict], columns: list[str]) -> str:
    """A markdown table of ``rows`` restricted to ``columns``."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)
