"""Shared fixtures: where the shared data sets live (tests skip when they are absent)."""

import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_custom_components():
    """Register the example's user components for the whole session, so the
    registry-parametrised tests discover them as they would any component."""
    path = ROOT / "examples" / "plot_custom_components.py"
    spec = importlib.util.spec_from_file_location("custom_components", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


custom_components = _load_custom_components()


def data_home() -> Path:
    env = os.environ.get("SKGD_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder with ml-100k/, sst2/ and mnist-t10k/; skips the test when missing."""
    home = data_home()
    if not home.is_dir():
        pytest.skip(f"shared data folder {home} not found (set SKGD_DATA)")
    return home


#: test modules of the compiled kernels, rerun by CI with an empty numba cache
KERNEL_TEST_MODULES = {
    "test_intrinsics.py", "test_losses.py", "test_kernels.py", "test_optimizers.py",
    "test_gradients.py", "test_svdpp.py", "test_fast_paths.py", "test_components.py",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in KERNEL_TEST_MODULES:
            item.add_marker(pytest.mark.kernels)
