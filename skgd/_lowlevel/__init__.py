"""skgd's low-level toolkit for compiled kernels: the only place for pointer, SIMD,
prefetch and fastmath tricks (one definition each, each explained where it is defined).

- :func:`ptr` -- an array's data pointer (why: numba reference-counts array arguments);
- :func:`prefetch` -- a cache-line prefetch hint;
- :mod:`.simd` -- explicit LLVM vector values (``vload``, ``vfma``, ...);
- :mod:`.flags` -- the fastmath flag sets;
- :mod:`.threads` -- the thread-safe numba threading layer and a call's thread budget.

Components written by users never need this package: optimizers, losses, penalties and
schedules are plain numerical Python that skgd compiles (see :mod:`skgd.solver`).
"""

from .flags import FAST, FAST_ARCP, FAST_ORDERED
from .pointers import ptr
from .prefetch import prefetch

__all__ = ["ptr", "prefetch", "FAST", "FAST_ARCP", "FAST_ORDERED"]
