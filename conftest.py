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



def _missing(name: str) -> bool:
    try:
        return find_spec(name) is None
    except (ImportError, ValueError):
        return True


collect_ignore = [
    path for path, packages in OPTIONAL_DEPENDENCIES.items()
    if any(_missing(name) for name in packages)
]
# a script, not an API module: nothing of it runs under pytest
collect_ignore.append("skgd/demo.py")


#: loader module -> the folder of the shared data it reads
DATA_FOLDERS = {"_sst2.py": "sst2", "_mnist.py": "mnist-t10k", "_movielens.py": "ml-100k"}


def pytest_collection_modifyitems(config, items):
    from skgd.datasets import get_data_home

    home = Path(get_data_home())
    for item in items:
        path = Path(item.path)
        folder = DATA_FOLDERS.get(path.name)
        if (folder is not None and path.parent == ROOT / "skgd" / "datasets"
                and not (home / folder).is_dir()):
            item.add_marker(pytest.mark.skip(
                reason=f"shared data {home / folder} not found (set SKGD_DATA)"))
