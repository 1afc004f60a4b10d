"""What ``verbose`` shows during a fit: one live progress line, or one line per epoch.

``verbose=1`` keeps one line up to date (epoch k/N, time left, the training loss and
validation score), drawn by ``rich`` when it is installed (terminal and notebook) and
as a plain carriage-return line on standard error otherwise; ``verbose>=2`` prints one
line per epoch. Both say how much of the time went into compiling kernels: the first
fit in a fresh environment compiles them, later fits load them from the on-disk cache.
A fit with ``verbose=0`` builds none of this.
"""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack, contextmanager
from typing import Any

__all__ = ["Progress", "compile_clock"]


class _CompileClock:
    """Seconds numba spends compiling while it is installed (nested compilations,
    a kernel compiling the helpers it calls, are counted once)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._start = 0.0

    def install(self, stack: ExitStack) -> None:
        try:
            from numba.core import event
        except ImportError:  # pragma: no cover - numba is a core dependency
            return

        clock = self

        class _Listener(event.Listener):
            def on_start(self, ev) -> None:
                if clock._depth == 0:
                    clock._start = time.perf_counter()
                clock._depth += 1

            def on_end(self, ev) -> None:
                clock._depth -= 1
                if clock._depth == 0:
                    clock.seconds += time.perf_counter() - clock._start

        stack.enter_context(event.install_listener("numba:compile", _Listener()))


@contextmanager
def compile_clock():
    """Count the seconds numba spends compiling inside the block.

    Examples
    --------
    >>> from skgd.solver._progress import compile_clock
    >>> with compile_clock() as clock:
    ...     pass
    >>> clock.seconds
    0.0
    """
    clock = _CompileClock()
    with ExitStack() as stack:
        clock.install(stack)
        yield clock


def _status(rec: dict[str, Any]) -> str:
    out = f"loss {rec['train_loss']:.6g}"
    if rec.get("val_score") is not None:
        out += f", validation score {rec['val_score']:.4f}"
    return out


class Progress:
    """The verbose output of one fit.

    Parameters
    ----------
    verbose : int
        1: one live line; 2 or more: one line per epoch.
    total : int
        Epochs (or L-BFGS/Newton iterations) planned.
    name : str
        What is being fitted (the optimizer's name), shown on the line.
    unit : str, default="epoch"
        What one step of the fit is called ("iteration" for L-BFGS/Newton).

    Examples
    --------
    >>> from skgd.solver._progress import Progress
    >>> with Progress(2, total=1, name="sgd") as p:
    ...     p.epoch({"epoch": 1, "train_loss": 0.5, "val_score": None,
    ...              "learning_rate": 0.1, "seconds": 0.01})  # doctest: +ELLIPSIS
    -- Epoch 1: loss 0.500000, lr 0.1, 0.010s
    fit (sgd): 1 epoch in ...s
    """

    def __init__(self, verbose: int, total: int, name: str, unit: str = "epoch") -> None:
        self.verbose, self.total, self.name = int(verbose), max(int(total), 1), name
        self.unit = unit
        self.clock = _CompileClock()
        self._stack = ExitStack()
        self._live = None
        self._task = None
        self._start = 0.0
        self._epochs = 0

    def __enter__(self) -> Progress:
        self._start = time.perf_counter()
        self.clock.install(self._stack)
        if self.verbose == 1:
            self._open_live()
        return self

    def _open_live(self) -> None:
        try:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )
        except ImportError:
            return
        self._live = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                  MofNCompleteColumn(), TimeRemainingColumn(),
                                  TextColumn("{task.fields[status]}"))
        self._stack.enter_context(self._live)
        self._task = self._live.add_task(f"fit ({self.name})", total=self.total,
                                         status="")

    def epoch(self, rec: dict[str, Any]) -> None:
        """Show one epoch's record."""
        self._epochs = rec["epoch"]
        if self.verbose >= 2:
            extra = "" if rec.get("val_score") is None else \
                f", validation score {rec['val_score']:.6f}"
            rate = "" if rec.get("learning_rate") is None else f", lr {rec['learning_rate']:.3g}"
            print(f"-- Epoch {rec['epoch']}: loss {rec['train_loss']:.6f}{extra}{rate}, "
                  f"{rec['seconds']:.3f}s")
        elif self._live is not None:
            self._live.update(self._task, completed=rec["epoch"], status=_status(rec))
        else:
            done = rec["epoch"] / self.total
            elapsed = time.perf_counter() - self._start
            left = elapsed / done - elapsed if done else 0.0
            sys.stderr.write(f"\rfit ({self.name}): {self.unit} {rec['epoch']}/{self.total}, "
                             f"{left:.1f}s left, {_status(rec)}   ")
            sys.stderr.flush()

    def note(self, message: str) -> None:
        """Show an event (a roll-back, a restore) on its own line."""
        if self._live is not None:
            self._live.console.print(message)
        else:
            if self.verbose == 1:
                sys.stderr.write("\n")
            print(message)

    def __exit__(self, *exc) -> None:
        self._stack.close()
        if self.verbose == 1 and self._live is None:
            sys.stderr.write("\n")
        seconds = time.perf_counter() - self._start
        compiled = self.clock.seconds
        plural = "" if self._epochs == 1 else "s"
        line = f"fit ({self.name}): {self._epochs} {self.unit}{plural} in {seconds:.2f}s"
        if compiled >= 0.01:
            line += (f", of which {compiled:.2f}s compiling kernels (a first fit in a "
                     "fresh environment; later fits load them from the on-disk cache)")
        print(line)
