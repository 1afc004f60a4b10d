"""dask collections as estimator input (optional: dask is imported only when used).

A ``fit`` on a ``dask.array`` or ``dask.dataframe`` builds, on each worker, the
in-memory objective of that worker's chunk of rows (the estimator's own validation,
target encoding and weighting, run on the chunk) and hands the solver a
:class:`~skgd.solver._chunked.ChunkedObjective`, which evaluates the full-batch loss,
gradient and Hessian products chunk by chunk and reduces them on the client. What
the estimator needs before fitting (the classes, the number of targets, balanced
class weights) comes from dask reductions of size O(classes); the rows are never
gathered. Predictions on a dask array are a lazy dask array (``map_blocks``).
"""

from __future__ import annotations

import copy
import functools
import sys

import numpy as np
from sklearn.base import is_classifier

from .solver._chunked import ChunkedObjective
from .utils._compat import _check_feature_names, _check_n_features

__all__ = ["is_dask_collection", "chunked_problem", "lazy_on_dask"]


def is_dask_collection(x) -> bool:
    """Whether ``x`` is a dask collection (False without importing dask when no one
    has: a program that never imported dask holds no dask collection)."""
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(x)


def _names_of(X):
    """What scikit-learn reads feature names from: a dask DataFrame's empty pandas
    frame of the same columns (no computation), else ``X``."""
    return X._meta if is_dask_collection(X) and hasattr(X, "columns") else X


def as_row_chunks(X, name: str = "X"):
    """``X`` as a dask array with known chunk sizes and all columns in one chunk.

    A dask DataFrame or Series is converted with ``to_dask_array(lengths=True)`` (a
    reduction: its partition lengths). A dask array with unknown chunk sizes raises
    a ``ValueError``: its rows cannot be matched to weights and targets, and finding
    them is a pass over the data the user should choose to make.
    """
    if hasattr(X, "to_dask_array"):
        X = X.to_dask_array(lengths=True)
    if not hasattr(X, "chunks"):
        raise TypeError(f"{name} is a dask collection of type {type(X).__name__}; pass "
                        "a dask array or a dask DataFrame/Series.")
    if any(np.isnan(s) for c in X.chunks for s in c):
        raise ValueError(
            f"{name} is a dask array with unknown chunk sizes (shape {X.shape}), e.g. "
            "from a dask DataFrame's .values or a boolean mask. Call "
            f"{name}.compute_chunk_sizes() first, or pass the dask DataFrame itself "
            "(it is converted with to_dask_array(lengths=True)).")
    if X.ndim == 2 and X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return X


def _aligned(v, X, name: str):
    """``v`` (dask or in-memory) as a dask array with the row chunks of ``X``."""
    import dask.array as da

    v = as_row_chunks(v, name) if is_dask_collection(v) else da.asarray(np.asarray(v))
    if v.ndim == 0 or v.shape[0] != X.shape[0]:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"X has {X.shape[0]} rows, {name} has shape {v.shape}.")
    return v.rechunk({0: X.chunks[0], **{a: -1 for a in range(1, v.ndim)}})


def _target_summary(est, y) -> np.ndarray:
    """A small in-memory stand-in for ``y`` that the estimator's target encoding
    reads the same fitted state from: the distinct labels of a classifier's 1-d
    target (a dask reduction), else the first row."""
    import dask.array as da

    if is_classifier(est) and (y.ndim == 1 or y.shape[1] == 1):
        return da.unique(y.ravel()).compute()
    return y[:1].compute()


def _class_counts(est, y) -> np.ndarray | None:
    """Rows per class, reduced over the chunks, when ``class_weight="balanced"``."""
    if getattr(est, "class_weight", None) != "balanced":
        return None
    import dask.array as da

    from .utils._labels import label_indices

    yi = y.ravel().map_blocks(functools.partial(label_indices, est.classes_),
                              dtype=np.intp)
    return da.bincount(yi, minlength=len(est.classes_)).compute()


def _chunk_problem(est, counts, X, y, sample_weight):
    """On a worker: the estimator's in-memory objective of one chunk and its weight."""
    X, y, sw = est._check_Xy(X, y, sample_weight, reset=False, positive_sum=False)
    y_enc, K = est._encode_y(y, fitting=False)
    sw = est._weights(y_enc, sw, partial=False, counts=counts)
    return est._objective(X, y_enc, sw, K), float(sw.sum())


def _shipped(est):
    """A shallow copy of ``est`` to send to the workers: without callbacks, and without
    feature names (the chunks are plain arrays, already checked against them)."""
    local = copy.copy(est)
    for key in ("feature_names_in_", "_skl_callbacks", "_parent_callback_ctx"):
        local.__dict__.pop(key, None)
    return local


def _blocks(X, y, sw) -> list[tuple]:
    xs = X.to_delayed().ravel()
    ys = y.to_delayed().ravel()
    ws = [None] * len(xs) if sw is None else sw.to_delayed().ravel()
    return list(zip(xs, ys, ws, strict=True))


def _validation(est, X_val, y_val, K, template):
    if X_val is None and y_val is None:
        if est.early_stopping:
            raise ValueError(
                "early_stopping with dask input needs validation data passed as X_val, "
                "y_val (in memory): a random validation split of distributed rows is "
                "not supported.")
        return None
    if X_val is None or y_val is None:
        raise ValueError("Pass both X_val and y_val, or neither.")
    if is_dask_collection(X_val) or is_dask_collection(y_val):
        raise ValueError("X_val and y_val must be in-memory arrays (the validation score "
                         "is computed on the client); call .compute() on them first.")
    X_val, y_val, _ = est._check_Xy(X_val, y_val, None, reset=False)
    return est._validation(X_val, y_val, K, template)


def chunked_problem(est, X, y, sample_weight, X_val, y_val, *, first: bool):
    """The :class:`ChunkedObjective` and validation of a fit of ``est`` on dask input.

    Sets the estimator's fitted input state (``n_features_in_``,
    ``feature_names_in_``, ``classes_``, ...) when ``first``; checks it otherwise.
    """
    _check_feature_names(est, _names_of(X), reset=first)
    X = as_row_chunks(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-d dask array for X, got shape {X.shape}.")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"Found a dask array of shape {X.shape}; at least one row and "
                         "one feature are required.")
    _check_n_features(est, X, reset=first)
    y = _aligned(y, X, "y")
    sw = None if sample_weight is None else _aligned(sample_weight, X, "sample_weight")
    y_small, K = est._encode_y(_target_summary(est, y), fitting=first)
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    template = est._objective(np.empty((0, X.shape[1]), dtype=dtype), y_small[:0],
                              np.empty(0), K)
    validation = _validation(est, X_val, y_val, K, template)
    factory = functools.partial(_chunk_problem, _shipped(est), _class_counts(est, y))
    objective = ChunkedObjective.from_blocks(template, factory, _blocks(X, y, sw))
    if not objective.weight_sum > 0:
        raise ValueError("sample_weight must have a positive sum.")
    return objective, validation


# --- prediction -------------------------------------------------------------------------
def _call(est, name: str, block: np.ndarray) -> np.ndarray:
    return getattr(est, name)(block)


def lazy_on_dask(method):
    """Decorate a prediction method ``method(self, X)``: on a dask collection it
    returns a lazy dask array with ``X``'s row chunks (the method mapped over the
    blocks), otherwise it runs unchanged."""

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if args or kwargs or not is_dask_collection(X):
            return method(self, X, *args, **kwargs)
        _check_feature_names(self, _names_of(X), reset=False)
        X = as_row_chunks(X)
        local = _shipped(self)
        # one row of zeros gives the output's dtype and columns (and checks X's width)
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        probe = method(local, np.zeros((1, X.shape[1] if X.ndim == 2 else 0), dtype=dtype))
        fn = functools.partial(_call, local, method.__name__)
        meta = np.empty((0,) * probe.ndim, dtype=probe.dtype)
        if probe.ndim == 1:
            return X.map_blocks(fn, dtype=probe.dtype, drop_axis=1, chunks=(X.chunks[0],),
                                meta=meta)
        return X.map_blocks(fn, dtype=probe.dtype, chunks=(X.chunks[0], (probe.shape[1],)),
                            meta=meta)

    return wrapper
