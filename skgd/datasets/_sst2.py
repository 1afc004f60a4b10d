"""SST-2 (GLUE binary sentiment) loader."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._home import get_data_home


def load_sst2(data_home=None) -> Bunch:
    """Read SST-2 from ``<data_home>/sst2/{train,dev}.tsv`` (columns ``label`` and
    ``sentence`` or ``content``).

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Folder holding ``sst2/`` (default: see :func:`get_data_home`).

    Returns
    -------
    Bunch
        ``text_train``, ``y_train`` (67,349 phrases), ``text_test``, ``y_test``
        (the 872 dev sentences, the usual test split).

    Raises
    ------
    FileNotFoundError
        With the folder that was searched and how to point the loader elsewhere.

    Examples
    --------
    >>> from skgd.datasets import load_sst2
    >>> sst2 = load_sst2()
    >>> len(sst2.text_train), len(sst2.text_test), sst2.y_train[:5]
    (67349, 872, array([0, 0, 1, 0, 0]))
    """
    folder = get_data_home(data_home) / "sst2"
    out = {}
    for split, name in (("train", "train.tsv"), ("test", "dev.tsv")):
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(
                f"SST-2 file {path} not found. Put the GLUE SST-2 train.tsv and dev.tsv "
                "there, pass data_home=..., or set the SKGD_DATA environment variable to the "
                "folder that contains sst2/."
            )
        text, label = _read_tsv(path)
        out[f"text_{split}"], out[f"y_{split}"] = text, label
    return Bunch(**out)


def _read_tsv(path: Path):
    # universal newlines: the GLUE files end lines with CRLF
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    # the text column is "sentence" in train.tsv and "content" in some dev.tsv copies
    col = "sentence" if rows and "sentence" in rows[0] else "content"
    text = [r[col].strip() for r in rows]
    return text, np.array([int(r["label"]) for r in rows], dtype=np.int64)
