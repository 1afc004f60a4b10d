"""MNIST loader (the IDX files of the MNIST test set, or the full set when present)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._home import get_data_home

_FILES = {"images": "t10k-images-idx3-ubyte.gz", "labels": "t10k-labels-idx1-ubyte.gz"}


def load_mnist(data_home=None) -> Bunch:
    """Read the MNIST test set from ``<data_home>/mnist-t10k/`` (IDX format, gzip).

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        Folder holding ``mnist-t10k/`` (default: see
        :func:`skgd.datasets.get_data_home`).

    Returns
    -------
    Bunch
        ``data``: uint8 array of shape (10000, 784), pixels 0-255 in row-major 28x28
        order (divide by 255 for [0, 1]); ``target``: int64 labels 0-9; ``images``: the
        same pixels with shape (10000, 28, 28).

    Raises
    ------
    FileNotFoundError
        With the folder that was searched and how to point the loader elsewhere.
    ValueError
        When a file is not a valid IDX file.

    Examples
    --------
    >>> from skgd.datasets import load_mnist
    >>> mnist = load_mnist()
    >>> mnist.data.shape, mnist.data.dtype, mnist.target[:5]
    ((10000, 784), dtype('uint8'), array([7, 2, 1, 0, 4]))
    """
    folder = get_data_home(data_home) / "mnist-t10k"
    paths = {k: folder / name for k, name in _FILES.items()}
    for path in paths.values():
        if not path.is_file():
            raise FileNotFoundError(
                f"MNIST file {path} not found. Put t10k-images-idx3-ubyte.gz and "
                "t10k-labels-idx1-ubyte.gz there, pass data_home=..., or set the SKGD_DATA "
                "environment variable to the folder that contains mnist-t10k/."
            )
    images = _read_idx(paths["images"])
    labels = _read_idx(paths["labels"]).astype(np.int64)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise ValueError(f"Unexpected MNIST shapes {images.shape} and {labels.shape}.")
    return Bunch(data=images.reshape(images.shape[0], -1), target=labels, images=images)


def _read_idx(path: Path) -> np.ndarray:
    # IDX: 2 zero bytes, a type code (0x08 = uint8), the number of dimensions, then the
    # dimensions as big-endian int32 and the data
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an uint8 IDX file.")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4)
    offset = 4 + 4 * ndim
    data = np.frombuffer(raw, dtype=np.uint8, offset=offset)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {int(np.prod(dims))} values, found {data.size}.")
    return data.reshape(tuple(int(d) for d in dims)).copy()
