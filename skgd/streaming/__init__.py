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

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from sklearn.base import is_classifier

from ..utils._compat import InvalidParameterError
from ._check import Consistency
from ._read import Spec, check_chunksize, is_path, open_source, raw_chunks

__all__ = ["iter_chunks", "stream_partial_fit"]


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
    spec = Spec(target, None if columns is None else list(columns), sample_weight, dtype,
                 check_chunksize(chunksize))
    check = Consistency()
    for chunk in raw_chunks(source, spec, check):
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
        opened = open_source(source)
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


def _check_epochs(source: Any, n_epochs: Any) -> None:
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, int | np.integer) or n_epochs < 1:
        raise ValueError(f"n_epochs must be an integer >= 1, got {n_epochs!r}.")
    if n_epochs > 1 and not (is_path(source) or callable(source)
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
