"""Where the data sets live."""

from __future__ import annotations

import os
from pathlib import Path


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The data folder: ``data_home``, else ``$SKGD_DATA``, else ``../shared/data``.

    The folder is not created and need not exist; loaders say what is missing.
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get("SKGD_DATA")
    if env:
        return Path(env).expanduser()
    return (Path.cwd() / ".." / "shared" / "data").resolve()
