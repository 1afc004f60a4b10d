"""MovieLens loader (GroupLens ml-100k files)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._home import get_data_home

__all__ = ["load_movielens"]

URLS = {"100k": "https://files.grouplens.org/datasets/movielens/ml-100k.zip"}
#: md5 of the ratings file of each variant, checked after every download
CHECKSUMS = {"100k": ("u.data", "6e47046882bad158b0efbb84cd5cb987")}
FOLDS = ["u1", "u2", "u3", "u4", "u5"]


def load_movielens(variant: str = "100k", data_home=None,
                   download_if_missing: bool = False) -> Bunch:
    """Read MovieLens from ``<data_home>/ml-100k``.

    Parameters
    ----------
    variant : {"100k"}, default="100k"
        MovieLens-100K: 100,000 ratings (1-5) of 1,682 movies by 943 users.
    data_home : str, os.PathLike or None, default=None
        Folder holding ``ml-100k/`` (default: ``$SKGD_DATA``, else ``../shared/data``;
        see :func:`skgd.datasets.get_data_home`).
    download_if_missing : bool, default=False
        Download the GroupLens archive when the files are missing and verify the md5
        checksum of ``u.data``. Nothing is downloaded otherwise.

    Returns
    -------
    Bunch
        ``data`` (int64, shape (100000, 2): user id, item id), ``target`` (ratings,
        float64), ``timestamp``; ``folds``: the canonical five splits
        ``[(X_train, y_train, X_test, y_test), ...]`` from ``u1.base/u1.test`` ...
        ``u5``; ``splits``: the same by name, plus ``ua`` and ``ub``;
        ``user_info`` (``user_id``, ``age``, ``gender``, ``occupation``,
        ``zip_code``); ``item_info`` (not ``items``, the dict method of a Bunch)
        (``item_id``, ``title``, ``release_date``, ``genres`` of shape (n_items, 19),
        ``genre_names``).

    Raises
    ------
    FileNotFoundError
        When the files are missing and ``download_if_missing`` is False.
    ValueError
        For an unknown ``variant`` or a download whose checksum does not match.

    Examples
    --------
    >>> from skgd.datasets import load_movielens
    >>> ml = load_movielens()
    >>> ml.data.shape, ml.target[:3]
    ((100000, 2), array([3., 3., 1.]))
    >>> X_train, y_train, X_test, y_test = ml.folds[0]  # u1.base / u1.test
    >>> X_train.shape, X_test.shape
    ((80000, 2), (20000, 2))
    >>> ml.item_info.title[0]
    'Toy Story (1995)'
    """
    if variant not in URLS:
        raise ValueError(f"Unknown MovieLens variant {variant!r}; available: {sorted(URLS)}")
    home = get_data_home(data_home)
    folder = home / f"ml-{variant}"
    if not (folder / "u.data").is_file():
        if not download_if_missing:
            raise FileNotFoundError(
                f"MovieLens-{variant} not found in {folder}. Put the GroupLens ml-{variant} "
                "files there, pass data_home=... or set SKGD_DATA to the folder that "
                f"contains ml-{variant}/, or call load_movielens(download_if_missing=True)."
            )
        _download(variant, home)
    data = _read_ratings(folder / "u.data")
    splits = {}
    for name in [*FOLDS, "ua", "ub"]:
        base, test = folder / f"{name}.base", folder / f"{name}.test"
        if base.is_file() and test.is_file():
            tr, te = _read_ratings(base), _read_ratings(test)
            splits[name] = (tr[0], tr[1], te[0], te[1])
    return Bunch(data=data[0], target=data[1], timestamp=data[2],
                 folds=[splits[n] for n in FOLDS if n in splits], splits=splits,
                 user_info=_read_users(folder / "u.user"),
                 item_info=_read_items(folder / "u.item", folder / "u.genre"),
                 DESCR=f"MovieLens-{variant} (GroupLens), read from {folder}")


def _read_ratings(path: Path):
    raw = np.loadtxt(path, dtype=np.int64, ndmin=2)
    return raw[:, :2].copy(), raw[:, 2].astype(np.float64), raw[:, 3].copy()


def _read_users(path: Path) -> Bunch:
    rows = [line.rstrip("\n").split("|") for line in
            path.read_text(encoding="latin-1").splitlines() if line.strip()]
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    return Bunch(user_id=np.array(cols[0], dtype=np.int64),
                 age=np.array(cols[1], dtype=np.int64),
                 gender=np.array(cols[2], dtype=object),
                 occupation=np.array(cols[3], dtype=object),
                 zip_code=np.array(cols[4], dtype=object))


def _read_items(path: Path, genre_path: Path) -> Bunch:
    rows = [line.split("|") for line in path.read_text(encoding="latin-1").splitlines()
            if line.strip()]
    names = [line.split("|")[0] for line in genre_path.read_text(encoding="latin-1")
             .splitlines() if line.strip()] if genre_path.is_file() else []
    return Bunch(item_id=np.array([r[0] for r in rows], dtype=np.int64),
                 title=np.array([r[1] for r in rows], dtype=object),
                 release_date=np.array([r[2] for r in rows], dtype=object),
                 genres=np.array([[int(v) for v in r[5:]] for r in rows], dtype=np.int8),
                 genre_names=np.array(names, dtype=object))


def md5(path: Path) -> str:
    """Hex md5 digest of a file."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(variant: str, home: Path, url: str | None = None) -> Path:
    """Download and unpack ``ml-<variant>.zip`` into ``home``; verify the checksum
    before anything is moved into place."""
    url = url or URLS[variant]
    name, expected = CHECKSUMS[variant]
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home) as tmp:
        archive = Path(tmp) / "archive.zip"
        with urllib.request.urlopen(url, timeout=60) as r, open(archive, "wb") as f:
            shutil.copyfileobj(r, f)
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)
        src = Path(tmp) / f"ml-{variant}"
        got = md5(src / name) if (src / name).is_file() else "missing"
        if got != expected:
            raise ValueError(f"Checksum mismatch for {url}: md5 of {name} is {got}, "
                             f"expected {expected}. Nothing was installed.")
        dest = home / f"ml-{variant}"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(str(src), str(dest))
    return dest
