"""Loaders of the public data sets used by the examples, tests and benchmarks.

Data are read from ``data_home``, else the ``SKGD_DATA`` environment variable, else
``../shared/data`` relative to the working directory. Nothing is downloaded unless a
loader is asked to (``download_if_missing=True``).
"""

from importlib import import_module

from ._home import get_data_home

_LOADERS = {
    "load_sst2": "skgd.datasets._sst2",
    "load_movielens": "skgd.datasets._movielens",
    "load_mnist": "skgd.datasets._mnist",
}

__all__ = ["get_data_home", *sorted(_LOADERS)]


def __getattr__(name):
    if name in _LOADERS:
        return getattr(import_module(_LOADERS[name]), name)
    raise AttributeError(f"module 'skgd.datasets' has no attribute {name!r}")
