"""Compile components written as plain numerical Python into the kernels' form.

A component's math is ordinary scalar Python (see :class:`~skgd.solver.Optimizer` and
:class:`~skgd.losses.Loss`). This module writes the pointer-level wrapper that the
compiled epochs call -- one small generated module per component -- and compiles it
with numba's on-disk cache, so the wrapper is built once per machine, also for
components defined outside skgd (in a script, a notebook or a joblib worker).

The generated files live in ``$SKGD_CACHE_DIR`` (default: ``skgd/generated`` under the
user's cache folder, or the temporary folder when that is not writable). Their names
carry a hash of the generated text and of the component's own source, so editing a
component's math compiles it afresh instead of loading a stale kernel.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

__all__ = ["cache_dir", "generated_module", "source_hash"]

_LOCK = threading.Lock()
_MODULES: dict[str, ModuleType] = {}


def cache_dir() -> Path:
    """Where generated component modules are written (created when missing)."""
    env = os.environ.get("SKGD_CACHE_DIR")
    if env:
        base = Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
        base = Path(xdg) / "skgd" / "generated"
    try:
        base.mkdir(parents=True, exist_ok=True)
        probe = base / ".writable"
        probe.touch()
    except OSError:
        base = Path(tempfile.gettempdir()) / f"skgd-generated-{os.getuid()}"
        base.mkdir(parents=True, exist_ok=True)
    return base


def source_hash(*functions) -> str:
    """A hash of the functions' source (or byte code when no source is available)."""
    h = hashlib.sha256()
    for fn in functions:
        if fn is None:
            h.update(b"-")
            continue
        fn = inspect.unwrap(getattr(fn, "py_func", fn))
        try:
            h.update(inspect.getsource(fn).encode())
        except (OSError, TypeError):
            code = fn.__code__
            h.update(code.co_code)
            h.update(repr(code.co_consts).encode())
    return h.hexdigest()[:16]


def generated_module(prefix: str, text: str, inject: dict, key: str = "") -> ModuleType:
    """Import the module with source ``text`` (written once to :func:`cache_dir`) and
    set the globals ``inject`` (the component's compiled functions) in it.

    ``key`` (e.g. :func:`source_hash` of the injected functions) becomes part of the
    file name, so a change of the injected code gives a new module and a fresh
    compile.
    """
    digest = hashlib.sha256((text + key).encode()).hexdigest()[:16]
    name = f"skgd_generated_{prefix}_{digest}"
    with _LOCK:
        mod = _MODULES.get(name)
        if mod is not None:
            return mod
        path = cache_dir() / f"{name}.py"
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            os.replace(tmp, path)  # atomic: concurrent workers never read half a file
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        for k, v in inject.items():
            setattr(mod, k, v)
        _MODULES[name] = mod
        return mod
