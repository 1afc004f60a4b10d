"""Validation of streamed chunks: the same width (and feature names) as the first
chunk, matching lengths, no NaN or infinity; errors name the chunk."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp


def is_frame(obj: Any) -> bool:
    """A pandas-like DataFrame (duck-typed: pandas is optional)."""
    return hasattr(obj, "columns") and hasattr(obj, "iloc")


class Consistency:
    """Checks each chunk against the first (width, feature names) and for bad values."""

    def __init__(self) -> None:
        self.n_chunks = 0
        self.width: int | None = None
        self.features: list | None = None

    def __call__(self, index: int, X: Any, y: Any, w: Any, where: str,
                 features: list | None = None) -> tuple:
        head = f"chunk {index}{where}"
        if getattr(X, "ndim", 2) != 2 or not hasattr(X, "shape"):
            raise ValueError(f"{head}: X must be 2-D, got shape {getattr(X, 'shape', None)}.")
        n, width = X.shape
        if self.width is None:
            self.width, self.features = width, features
        elif width != self.width:
            raise ValueError(f"{head} has {width} columns, but the first chunk had "
                             f"{self.width}.")
        elif features is not None and self.features is not None \
                and list(features) != list(self.features):
            raise ValueError(f"{head} has feature columns {list(features)}, but the first "
                             f"chunk had {list(self.features)}.")
        for name, values in (("y", y), ("sample_weight", w)):
            if values is not None and len(values) != n:
                raise ValueError(f"{head}: X has {n} rows but {name} has {len(values)}.")
        for name, values in (("X", X), ("y", y), ("sample_weight", w)):
            if values is not None and not all_finite(values):
                raise ValueError(f"{head}: {name} contains NaN or infinity (missing "
                                 "values); clean or impute them before training.")
        self.n_chunks += 1
        return (X, y) if w is None else (X, y, w)


def all_finite(values: Any) -> bool:
    if sp.issparse(values):
        values = values.data
    elif is_frame(values):
        values = values.to_numpy()
    values = np.asarray(values)
    if values.dtype.kind == "O":
        import pandas as pd

        return not pd.isna(values).any()
    if values.dtype.kind not in "fc":
        return True
    # the sum is NaN/inf when any entry is (cheap, no boolean copy of the chunk); only
    # an overflowing sum of finite values needs the entrywise check
    return bool(np.isfinite(values.sum())) or bool(np.isfinite(values).all())
