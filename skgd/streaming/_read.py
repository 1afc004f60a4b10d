"""Readers of :mod:`skgd.streaming`: files, DataFrames and tuples to raw chunks
``(X, y, sample_weight, where[, feature names])``, validated afterwards by
:class:`skgd.streaming._check.Consistency`."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from ._check import Consistency, is_frame

_PATH_TYPES = (str, os.PathLike)
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


class Spec(NamedTuple):
    """What to read from a table: target, feature columns, weights, dtype, rows per chunk."""

    target: str | None
    columns: list | None
    sample_weight: Any
    dtype: Any
    chunksize: int


class Table(NamedTuple):
    """A chunk of a table: its column names, a column getter and its row range."""

    names: list
    column: Callable[[str], np.ndarray]
    where: str


def is_path(source: Any) -> bool:
    return isinstance(source, _PATH_TYPES)


def open_source(source: Any) -> Any:
    return source() if callable(source) and not is_path(source) else source


def check_chunksize(chunksize: Any) -> int:
    if isinstance(chunksize, bool) or not isinstance(chunksize, int | np.integer) \
            or chunksize < 1:
        raise ValueError(f"chunksize must be an integer >= 1, got {chunksize!r}.")
    return int(chunksize)


def raw_chunks(source: Any, spec: Spec, check: Consistency) -> Iterator[tuple]:
    """``(X, y, w, where)`` of each chunk, not yet validated."""
    source = open_source(source)
    if is_path(source):
        source = [source]
    elif isinstance(source, list | tuple) and source and all(map(is_path, source)):
        source = list(source)
    else:
        yield from _iterable_chunks(source, spec, check)
        return
    if spec.target is None:
        raise ValueError("target (the name of the target column) is required to read files.")
    for path in source:
        for table in _file_tables(Path(path), spec, check):
            yield _split(table, spec, check.n_chunks)


def _iterable_chunks(source: Iterable, spec: Spec, check: Consistency) -> Iterator[tuple]:
    if not isinstance(source, Iterable):
        raise TypeError("source must be a path, a list of paths, an iterable of chunks or "
                        f"a callable returning one, got {type(source).__name__}.")
    for chunk in source:
        if not is_frame(chunk) and (spec.columns is not None
                                     or isinstance(spec.sample_weight, str)):
            raise ValueError(f"columns and a sample_weight column name apply to files and "
                             f"DataFrames; chunk {check.n_chunks} is an (X, y) tuple: "
                             "select columns in X, pass weights as a third element.")
        if is_frame(chunk):
            if spec.target is None:
                raise ValueError("target is required to split DataFrame chunks.")
            table = Table(list(chunk.columns), lambda c, df=chunk: df[c].to_numpy(), "")
            yield _split(table, spec, check.n_chunks)
            continue
        if not isinstance(chunk, tuple | list) or len(chunk) not in (2, 3):
            raise ValueError(f"chunk {check.n_chunks} is a {type(chunk).__name__}, not an "
                             "(X, y) or (X, y, sample_weight) tuple.")
        X, y = chunk[0], chunk[1]
        w = chunk[2] if len(chunk) == 3 else None
        if callable(spec.sample_weight):
            w = spec.sample_weight(X, y)
        if not (sp.issparse(X) or is_frame(X)):
            X = np.asarray(X, dtype=spec.dtype)
        elif sp.issparse(X) and spec.dtype is not None:
            X = X.astype(spec.dtype, copy=False)
        yield X, y, w, ""


def _file_tables(path: Path, spec: Spec, check: Consistency) -> Iterator[Table]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in _PARQUET_SUFFIXES)
        if not files:
            raise ValueError(f"Directory {path} holds no parquet files "
                             f"({', '.join(_PARQUET_SUFFIXES)}).")
        for file in files:
            yield from _parquet_tables(file, spec, check)
    elif not path.exists():
        raise ValueError(f"No such file or directory: {path}.")
    elif path.suffix in _PARQUET_SUFFIXES:
        yield from _parquet_tables(path, spec, check)
    else:
        yield from _csv_tables(path, spec, check)


def _needed(names: list, spec: Spec, index: int, where: str) -> list | None:
    """The columns to read, after checking that the named ones exist."""
    wanted = [spec.target] + ([spec.sample_weight] if isinstance(spec.sample_weight, str)
                              else [])
    for name in wanted + (spec.columns or []):
        if name not in names:
            role = ("target" if name == spec.target else
                    "weight" if name == spec.sample_weight else "feature")
            raise ValueError(f"chunk {index}{where} has no {role} column {name!r}; its "
                             f"columns are {list(names)}.")
    return None if spec.columns is None else list(dict.fromkeys(spec.columns + wanted))


def _csv_tables(path: Path, spec: Spec, check: Consistency) -> Iterator[Table]:
    import pandas as pd

    header = list(pd.read_csv(path, nrows=0).columns)
    usecols = _needed(header, spec, check.n_chunks, f" ({path})")
    start = 0
    for df in pd.read_csv(path, chunksize=spec.chunksize, usecols=usecols):
        where = f" ({path}, rows {start}-{start + len(df) - 1})"
        start += len(df)
        yield Table(list(df.columns), lambda c, df=df: df[c].to_numpy(), where)


def _parquet_tables(path: Path, spec: Spec, check: Consistency) -> Iterator[Table]:
    import pyarrow.parquet as pq

    # pre_buffer (pyarrow's default) keeps every row group read so far buffered: the
    # whole file ends up in memory, measured here at 614 MB for a 600 MB file
    file = pq.ParquetFile(path, pre_buffer=False)
    names = file.schema_arrow.names
    needed = _needed(names, spec, check.n_chunks, f" ({path})")
    start = 0
    for batch in file.iter_batches(batch_size=spec.chunksize, columns=needed):
        where = f" ({path}, rows {start}-{start + batch.num_rows - 1})"
        start += batch.num_rows
        yield Table(batch.schema.names, lambda c, b=batch: _arrow_numpy(b.column(c)), where)


def _arrow_numpy(column: Any) -> np.ndarray:
    return column.to_numpy(zero_copy_only=False)


def _split(table: Table, spec: Spec, index: int) -> tuple:
    """``(X, y, w, where)`` of a table chunk; ``X`` is filled column by column so that
    ``dtype=float32`` never builds a float64 copy of the chunk first."""
    _needed(table.names, spec, index, table.where)
    weight = spec.sample_weight if isinstance(spec.sample_weight, str) else None
    features = spec.columns
    if features is None:
        features = [c for c in table.names if c not in (spec.target, weight)]
    y = table.column(spec.target)
    cols = [table.column(c) for c in features]
    dtype = spec.dtype if spec.dtype is not None else (
        np.result_type(*cols) if cols else np.float64)
    X = np.empty((len(y), len(cols)), dtype=dtype)
    for j, col in enumerate(cols):
        X[:, j] = col
    w = table.column(weight) if weight is not None else (
        spec.sample_weight(X, y) if callable(spec.sample_weight) else None)
    return X, y, w, table.where, features
