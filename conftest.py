"""Doctest collection over ``skgd/`` (``--doctest-modules`` in pyproject.toml).

Modules whose examples need an optional dependency are not collected when it is
missing, and the examples of the data-set loaders are skipped when the shared data
folder is absent (tests never download).
"""

from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

#: module (relative to this folder) -> the optional packages its examples import
OPTIONAL_DEPENDENCIES = {
    "skgd/_dask.py": ("dask", "distributed"),
    "skgd/solver/_chunked.py": ("dask",),
    "skgd/plot.py": ("matplotlib",),
    "skgd/model_selection.py": ("matplotlib",),
}

collect_ignore = [
    path for path, packages in OPTIONAL_DEPENDENCIES.items()
    if any(find_spec(name) is None for name in packages)
]
# a script, not an API module: nothing of it runs under pytest
collect_ignore.append("skgd/demo.py")


def _data_available() -> bool:
    from skgd.datasets import get_data_home

    return Path(get_data_home()).is_dir()


def pytest_collection_modifyitems(config, items):
    needs_data = [item for item in items
                  if Path(item.path).parent == ROOT / "skgd" / "datasets"]
    if needs_data and not _data_available():
        skip = pytest.mark.skip(reason="shared data folder not found (set SKGD_DATA)")
        for item in needs_data:
            item.add_marker(skip)
