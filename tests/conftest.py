"""Shared fixtures: where the shared data sets live (tests skip when they are absent)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
