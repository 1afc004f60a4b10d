"""Threads of the parallel kernels: a thread-safe numba threading layer and the thread
budget of a call.

Why a layer choice: numba's default ``workqueue`` layer is not thread-safe -- two
Python threads launching parallel kernels at once (joblib's ``threading`` backend,
federated clients) abort the process. Before skgd's first parallel launch,
:func:`n_threads` asks numba for its ``"threadsafe"`` layer (``tbb`` when installed,
else ``omp``), unless the user chose a layer (``NUMBA_THREADING_LAYER``) or a parallel
kernel already ran. If the layer in use is still ``workqueue`` (chosen by the user,
or no other is available), only the main thread gets more than one thread.

GNU OpenMP (numba's ``omp`` layer on Linux) is not fork-safe: a forked child that
launches a parallel region may hang, so in a process forked after the layer started
every call gets one thread (loky, dask and ``spawn`` workers are fresh processes
and are not affected).

Why a passive wait policy: an OpenMP thread that finishes its block spins at the
barrier by default, burning the core the other threads need when the machine is
busy; on a loaded 2-core machine (load average 5) a 2-thread MF epoch took 2.9x the
one-thread time spinning, 0.87x with ``OMP_WAIT_POLICY=PASSIVE``. The kernels launch
one parallel region per epoch (or per round of strata), so the wake-up latency
(microseconds) is negligible. skgd sets the policy only for the runtime numba loads,
only when the user has not set ``OMP_WAIT_POLICY``, and restores the environment.

Why a budget: a call never uses more threads than ``numba.get_num_threads()`` (which
joblib's loky workers set from their share of the cores through
``NUMBA_NUM_THREADS``, and which ``numba.set_num_threads`` changes per thread), nor
than the OpenMP limit of :func:`threadpoolctl.threadpool_limits` when an OpenMP
runtime is loaded: no oversubscription inside a ``GridSearchCV(n_jobs=k)`` worker.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import numba
from numba.np.ufunc import parallel as _parallel

__all__ = ["n_threads", "requested_threads", "threading_layer", "thread_budget",
           "limited_threads"]

_LOCK = threading.Lock()
#: the pid of the process that started the layer (None: not started by skgd)
_STARTED_IN: list[int | None] = [None]


def _ensure_layer() -> None:
    """Ask numba for a thread-safe layer, before any parallel launch."""
    with _LOCK:
        if _STARTED_IN[0] is not None:
            return
        if not _parallel._is_initialized and numba.config.THREADING_LAYER == "default" \
                and "NUMBA_THREADING_LAYER" not in os.environ:
            numba.config.THREADING_LAYER = "threadsafe"
        # OpenMP reads its wait policy once, when its runtime loads (here): passive
        # unless the user set one (see the module docstring)
        passive = "OMP_WAIT_POLICY" not in os.environ
        if passive:
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        try:
            _parallel._launch_threads()
        except ValueError:
            # no thread-safe layer could load: fall back to numba's default
            numba.config.THREADING_LAYER = "default"
            _parallel._launch_threads()
        finally:
            if passive:
                del os.environ["OMP_WAIT_POLICY"]
        _STARTED_IN[0] = os.getpid()


def threading_layer() -> str:
    """The numba threading layer the parallel kernels run on (starting it)."""
    _ensure_layer()
    return numba.threading_layer()


def _openmp_limit() -> int | None:
    """The OpenMP thread limit of the calling thread (threadpoolctl), if loaded."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    limits = [d["num_threads"] for d in threadpool_info() if d["user_api"] == "openmp"]
    return min(limits) if limits else None


def thread_budget() -> int:
    """Threads available to a call from this thread: ``numba.get_num_threads()``,
    capped by the OpenMP limit of ``threadpoolctl`` (at least 1)."""
    budget = numba.get_num_threads()
    limit = _openmp_limit()
    if limit is not None:
        budget = min(budget, limit)
    return max(int(budget), 1)


def requested_threads(n_jobs: int | None) -> int:
    """``n_jobs`` as a count (scikit-learn's convention: None 1, -1 the whole
    :func:`thread_budget`, -2 all but one, ...), not capped by the budget."""
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(thread_budget() + 1 + n_jobs, 1)
    return int(n_jobs)


@contextmanager
def limited_threads(n: int):
    """Run the enclosed parallel kernels on ``n`` threads (numba's per-thread
    setting, restored on exit)."""
    old = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def n_threads(n_jobs: int | None) -> int:
    """The threads a kernel call gets for ``n_jobs`` (scikit-learn's convention:
    None or 1 one thread, -1 all of the budget, -2 all but one, ...), within
    :func:`thread_budget`; 1 where parallel launches would be unsafe (a forked
    child of an OpenMP process, or a non-main thread on the ``workqueue`` layer).

    Examples
    --------
    >>> from skgd._lowlevel.threads import n_threads, thread_budget
    >>> n_threads(None), n_threads(1)
    (1, 1)
    >>> 1 <= n_threads(-1) <= thread_budget()
    True
    """
    if n_jobs is None or n_jobs == 1:
        return 1
    _ensure_layer()
    layer = numba.threading_layer()
    if layer == "omp" and os.getpid() != _STARTED_IN[0]:
        return 1
    if layer == "workqueue" and threading.current_thread() is not threading.main_thread():
        return 1
    return int(min(requested_threads(n_jobs), thread_budget()))
