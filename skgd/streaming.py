r"""Out-of-core training: stream bounded chunks from disk (or any iterator) into
``partial_fit``.

A data set that does not fit in memory is read ``chunksize`` rows at a time
(:func:`iter_chunks`: CSV through pandas, parquet through pyarrow, a list of files,
or any iterable of ``(X, y)`` chunks), and each chunk is one ``partial_fit`` call
(:func:`stream_partial_fit`). Memory is bounded by one chunk (plus the reader's
buffers), whatever the number of rows. One pass over all chunks is one epoch of the
estimator's stochastic solver over the whole data set: with chunks
:math:`C_1, \dots, C_K`, the parameters after the pass are

.. math::
    w_K = \Phi_{C_K} \circ \dots \circ \Phi_{C_1}(w_0),

:math:`\Phi_C` being one ``partial_fit`` epoch over chunk :math:`C` (which continues the
optimizer state and learning-rate schedule of the previous call), so the result equals
calling ``partial_fit`` by hand on the same chunks in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier

from .utils._compat import InvalidParameterError

__all__ = ["iter_chunks", "stream_partial_fit"]

_PATH_TYPES = (str, os.PathLike)
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")


class _Spec(NamedTuple):
    """What to read from a table: target, feature columns, weights, dtype, rows per chunk."""

    target: str | None
    columns: list | None
    sample_weight: Any
    dtype: Any
    chunksize: int


class _Table(NamedTuple):
    """A chunk of a table: its column names, a column getter and its row range."""

    names: list
    column: Callable[[str], np.ndarray]
    where: str


def iter_chunks(source: Any, *, target: str | None = None, chunksize: int = 100_000,
                columns: list | None = None, dtype: Any = None,
                sample_weight: str | Callable | None = None) -> Iterator[tuple]:
    """Yield validated ``(X, y)`` chunks of at most ``chunksize`` rows.

    Parameters
    ----------
    source : path, list of paths, iterable or callable
        A CSV file (read by :func:`pandas.read_csv` with ``chunksize``), a parquet file
        (``.parquet``, ``.pq``, ``.parq``; read by ``pyarrow.parquet.ParquetFile.iter_batches``)
        or a directory of parquet files (read in sorted path order); a list of such
        paths, read one after the other; an iterable of ``(X, y)`` or
        ``(X, y, sample_weight)`` tuples (arrays, sparse matrices or DataFrames for
        ``X``; passed through after validation) or of DataFrames (split by ``target``);
        or a callable returning one of these.
    target : str, optional
        Name of the target column; required for files and DataFrames.
    chunksize : int, default=100_000
        Rows per chunk read from files (iterables keep their own chunks).
    columns : list of str, optional
        Feature columns, in this order. Default: every column but ``target`` and the
        weight column, in file order.
    dtype : dtype, optional
        dtype of ``X`` (e.g. ``np.float32`` for float32 training). Default: the common
        dtype of the columns (float32 parquet columns stay float32).
    sample_weight : str or callable, optional
        The weight column of a file or DataFrame source, or ``sample_weight(X, y)``
        computing the weights of each chunk. The chunks are then
        ``(X, y, sample_weight)``.

    Yields
    ------
    X, y[, sample_weight]
        One chunk. ``X`` is 2-D with the same number of columns in every chunk.

    Raises
    ------
    ValueError
        When the source yields no rows, or a chunk has another number of columns than
        the first, misses the target, feature or weight column, holds NaN or infinity,
        or has ``X``, ``y`` and weights of different lengths. The message names the
        chunk's index (from 0), and for files the path and rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd.streaming import iter_chunks
    >>> chunks = [(np.ones((3, 2)), np.arange(3)), (np.zeros((2, 2)), np.arange(2))]
    >>> [X.shape for X, y in iter_chunks(chunks)]
    [(3, 2), (2, 2)]
    """
    spec = _Spec(target, None if columns is None else list(columns), sample_weight, dtype,
                 _check_chunksize(chunksize))
    check = _Consistency()
    for chunk in _raw_chunks(source, spec, check):
        if getattr(chunk[0], "shape", (1,))[0] == 0:
            continue  # an empty chunk (e.g. a header-only CSV) teaches nothing
        yield check(check.n_chunks, *chunk)
    if check.n_chunks == 0:
        raise ValueError(f"The source yielded no chunks (no rows to train on): {source!r}.")


def stream_partial_fit(estimator: Any, source: Any, *, classes: Any = None,
                       n_epochs: int = 1, sample_weight: str | Callable | None = None,
                       **read: Any) -> Any:
    r"""Train ``estimator`` by calling ``partial_fit`` on each chunk of ``source``.

    Each chunk of :func:`iter_chunks` is one ``estimator.partial_fit(X, y, ...)`` call
    (one epoch of the estimator's solver over that chunk), so the result is the same as
    making those calls by hand; ``n_epochs`` passes re-read the source.

    Parameters
    ----------
    estimator : estimator with ``partial_fit``
        E.g. :class:`skgd.LogisticRegression` (``solver="sgd"`` for the fastest
        stream), :class:`skgd.LinearRegression`, the MLPs, or
        :class:`skgd.MatrixFactorization` (``X`` = id columns, ``y`` = ratings).
        Trained in place; an unfitted estimator starts from scratch, a fitted one
        continues.
    source : path, list of paths, iterable or callable
        As in :func:`iter_chunks`. Several epochs need a re-iterable source: a path, a
        list, or a callable returning a fresh iterator (a generator function); a
        one-shot iterator is refused when ``n_epochs > 1``.
    classes : array-like, optional
        All labels, for a classifier. Default: those already fitted, else the labels of
        the first chunk (a later chunk with a label outside them raises, asking for
        ``classes``).
    n_epochs : int, default=1
        Passes over the source.
    sample_weight : str or callable, optional
        The weight column or a function ``(X, y) -> weights``; see :func:`iter_chunks`.
        Chunks of an iterable that carry a third element are weighted by it.
    **read
        ``target``, ``chunksize``, ``columns``, ``dtype``: passed to :func:`iter_chunks`.

    Returns
    -------
    estimator
        The estimator, trained.

    Raises
    ------
    ValueError
        For bad chunks (see :func:`iter_chunks`), an unseen label, a one-shot iterator
        with ``n_epochs > 1``, or a ``partial_fit`` that fails; the message names the
        chunk. The estimator is then as it was after the previous chunk (skgd's
        ``partial_fit`` is transactional, and bad chunks are refused before the call).

    Notes
    -----
    Pick a first-order solver (``solver="sgd"``, ``"adam"``, ...): a full-batch solver
    (``"lbfgs"``, ``"newton"``) makes one iteration per chunk, each on that chunk alone.
    ``alpha="auto"`` is :math:`1/\sum_i s_i` of each chunk, so give ``alpha`` a number.
    :class:`skgd.MatrixFactorization` takes its global mean rating and rating range from
    the first chunk (later chunks fold in new users and items).

    Examples
    --------
    >>> import numpy as np
    >>> from skgd import LinearRegression
    >>> from skgd.streaming import stream_partial_fit
    >>> def chunks():
    ...     for seed in range(4):
    ...         X = np.random.default_rng(seed).normal(size=(200, 3))
    ...         yield X, X @ [1.0, -2.0, 0.5]
    >>> sgd = LinearRegression(solver="sgd", batch_size=8, learning_rate="constant",
    ...                        learning_rate_init=0.05, random_state=0)
    >>> est = stream_partial_fit(sgd, chunks, n_epochs=3)
    >>> np.round(est.coef_, 2)
    array([ 1. , -2. ,  0.5])
    """
    _check_epochs(source, n_epochs)
    labels = _Labels(estimator, classes)
    for epoch in range(n_epochs):
        opened = _open(source)
        for index, chunk in enumerate(iter_chunks(opened, sample_weight=sample_weight, **read)):
            X, y = chunk[0], chunk[1]
            kwargs = {} if len(chunk) == 2 else {"sample_weight": chunk[2]}
            kwargs.update(labels.kwargs(index, y))
            try:
                estimator.partial_fit(X, y, **kwargs)
            except InvalidParameterError:
                raise  # a bad hyperparameter, not a bad chunk
            except ValueError as err:
                raise ValueError(f"chunk {index} (epoch {epoch}): partial_fit failed: "
                                 f"{err}") from err
    return estimator


# ---------------------------------------------------------------- epochs and labels


def _is_path(source: Any) -> bool:
    return isinstance(source, _PATH_TYPES)


def _open(source: Any) -> Any:
    return source() if callable(source) and not _is_path(source) else source


def _check_epochs(source: Any, n_epochs: Any) -> None:
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, int | np.integer) or n_epochs < 1:
        raise ValueError(f"n_epochs must be an integer >= 1, got {n_epochs!r}.")
    if n_epochs > 1 and not (_is_path(source) or callable(source)
                             or iter(source) is not source):
        raise ValueError(
            f"n_epochs={n_epochs} needs a re-iterable source, but {type(source).__name__} "
            "is a one-shot iterator: pass a path, a list of chunks, or a callable that "
            "returns a fresh iterator (e.g. the generator function itself)."
        )


class _Labels:
    """The ``classes`` argument of a classifier's ``partial_fit``: given, already fitted
    or taken from the first chunk (then every later chunk is checked against it)."""

    def __init__(self, estimator: Any, classes: Any) -> None:
        self.active = is_classifier(estimator)
        self.given = classes is not None
        if self.given:
            self.classes = np.unique(np.asarray(classes))
        else:
            self.classes = getattr(estimator, "classes_", None)
        self.origin = "of the fitted estimator" if self.classes is not None else \
            "taken from the first chunk"

    def kwargs(self, index: int, y: Any) -> dict:
        y = np.asarray(y)
        if not self.active or y.ndim != 1:
            return {}
        present = np.unique(y)
        if self.classes is None:
            if present.size < 2:
                raise ValueError(
                    f"chunk {index} holds one class only ({present.tolist()}), so the "
                    "classes cannot be taken from it: pass classes=[...] (all labels) to "
                    "stream_partial_fit."
                )
            self.classes = present
        elif not self.given:
            unseen = np.setdiff1d(present, self.classes)
            if unseen.size:
                raise ValueError(
                    f"chunk {index} has labels {unseen.tolist()} not among the classes "
                    f"{self.classes.tolist()} {self.origin}: pass "
                    "classes=[...] (all labels) to stream_partial_fit."
                )
        return {"classes": self.classes}


# ---------------------------------------------------------------- reading


def _check_chunksize(chunksize: Any) -> int:
    if isinstance(chunksize, bool) or not isinstance(chunksize, int | np.integer) \
            or chunksize < 1:
        raise ValueError(f"chunksize must be an integer >= 1, got {chunksize!r}.")
    return int(chunksize)


def _raw_chunks(source: Any, spec: _Spec, check: _Consistency) -> Iterator[tuple]:
    """``(X, y, w, where)`` of each chunk, not yet validated."""
    source = _open(source)
    if _is_path(source):
        source = [source]
    elif isinstance(source, list | tuple) and source and all(map(_is_path, source)):
        source = list(source)
    else:
        yield from _iterable_chunks(source, spec, check)
        return
    if spec.target is None:
        raise ValueError("target (the name of the target column) is required to read files.")
    for path in source:
        for table in _file_tables(Path(path), spec, check):
            yield _split(table, spec, check.n_chunks)


def _iterable_chunks(source: Iterable, spec: _Spec, check: _Consistency) -> Iterator[tuple]:
    if not isinstance(source, Iterable):
        raise TypeError("source must be a path, a list of paths, an iterable of chunks or "
                        f"a callable returning one, got {type(source).__name__}.")
    for chunk in source:
        if not _is_frame(chunk) and (spec.columns is not None
                                     or isinstance(spec.sample_weight, str)):
            raise ValueError(f"columns and a sample_weight column name apply to files and "
                             f"DataFrames; chunk {check.n_chunks} is an (X, y) tuple: "
                             "select columns in X, pass weights as a third element.")
        if _is_frame(chunk):
            if spec.target is None:
                raise ValueError("target is required to split DataFrame chunks.")
            table = _Table(list(chunk.columns), lambda c, df=chunk: df[c].to_numpy(), "")
            yield _split(table, spec, check.n_chunks)
            continue
        if not isinstance(chunk, tuple | list) or len(chunk) not in (2, 3):
            raise ValueError(f"chunk {check.n_chunks} is a {type(chunk).__name__}, not an "
                             "(X, y) or (X, y, sample_weight) tuple.")
        X, y = chunk[0], chunk[1]
        w = chunk[2] if len(chunk) == 3 else None
        if callable(spec.sample_weight):
            w = spec.sample_weight(X, y)
        if not (sp.issparse(X) or _is_frame(X)):
            X = np.asarray(X, dtype=spec.dtype)
        elif sp.issparse(X) and spec.dtype is not None:
            X = X.astype(spec.dtype, copy=False)
        yield X, y, w, ""


def _is_frame(obj: Any) -> bool:
    return hasattr(obj, "columns") and hasattr(obj, "iloc")


def _file_tables(path: Path, spec: _Spec, check: _Consistency) -> Iterator[_Table]:
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


def _needed(names: list, spec: _Spec, index: int, where: str) -> list | None:
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


def _csv_tables(path: Path, spec: _Spec, check: _Consistency) -> Iterator[_Table]:
    import pandas as pd

    header = list(pd.read_csv(path, nrows=0).columns)
    usecols = _needed(header, spec, check.n_chunks, f" ({path})")
    start = 0
    for df in pd.read_csv(path, chunksize=spec.chunksize, usecols=usecols):
        where = f" ({path}, rows {start}-{start + len(df) - 1})"
        start += len(df)
        yield _Table(list(df.columns), lambda c, df=df: df[c].to_numpy(), where)


def _parquet_tables(path: Path, spec: _Spec, check: _Consistency) -> Iterator[_Table]:
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
        yield _Table(batch.schema.names, lambda c, b=batch: _arrow_numpy(b.column(c)), where)


def _arrow_numpy(column: Any) -> np.ndarray:
    return column.to_numpy(zero_copy_only=False)


def _split(table: _Table, spec: _Spec, index: int) -> tuple:
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


# ---------------------------------------------------------------- validation


class _Consistency:
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
            if values is not None and not _all_finite(values):
                raise ValueError(f"{head}: {name} contains NaN or infinity (missing "
                                 "values); clean or impute them before training.")
        self.n_chunks += 1
        return (X, y) if w is None else (X, y, w)


def _all_finite(values: Any) -> bool:
    if sp.issparse(values):
        values = values.data
    elif _is_frame(values):
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
