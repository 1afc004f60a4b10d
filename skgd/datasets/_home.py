"""Where the data sets live."""

from __future__ import annotations

import os
from pathlib import Path


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The data folder: ``data_home``, else ``$SKGD_DATA``, else ``../shared/data``.

    The folder is not created and need not exist; loaders say what is missing.

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        An explicit folder (``~`` is expanded); None = ``$SKGD_DATA`` when set, else
        ``../shared/data`` relative to the working directory.

    Returns
    -------
    path : pathlib.Path
        The folder the loaders read from.

    Examples
    --------
    >>> from skgd.datasets import get_data_home
    >>> get_data_home("/tmp/skgd-data").as_posix()
    '/tmp/skgd-data'
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get("SKGD_DATA")
    if env:
        return Path(env).expanduser()
    return (Path.cwd() / ".." / "shared" / "data").resolve()
