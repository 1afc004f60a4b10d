"""Distributed reductions: an objective whose rows are chunks held by dask workers.

The estimator builds, on each worker, the in-memory :class:`Objective` it would build
for that worker's chunk of rows. :class:`ChunkedObjective` evaluates every full-batch
quantity the solver asks for (loss, gradient, Hessian-vector product) chunk by chunk
where the chunks live and sums the results on the client, weighted so that the sum is
exactly the objective of all rows. The rows never leave the workers: what travels is
the parameter vector out and one value and one vector of its size back per chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._objective import Objective, SparseGrad

__all__ = ["ChunkedObjective"]


# --- what runs on the workers (module level: pickled by reference) -------------------
def _dense(g, size: int) -> np.ndarray:
    if isinstance(g, SparseGrad):
        out = np.zeros(size, dtype=np.float64)
        out[g.idx] = g.values
        return out
    return np.asarray(g, dtype=np.float64)


def _value_grad(chunk: tuple, scale: float, idx=None, *, w: np.ndarray):
    f, g = chunk[0].value_grad(w, idx)
    return scale * float(f), scale * _dense(g, w.size)


def _value(chunk: tuple, scale: float, idx=None, *, w: np.ndarray) -> float:
    return scale * float(chunk[0].value(w, idx))


def _hessp(chunk: tuple, scale: float, *, w: np.ndarray, v: np.ndarray) -> np.ndarray:
    return scale * np.asarray(chunk[0].hessp(w, v), dtype=np.float64)


def _summary(chunk: tuple) -> tuple[float, int, Any]:
    objective, weight = chunk
    return float(weight), int(objective.n_samples), objective.init_statistics()


def _nbytes(obj, depth: int = 2) -> int:
    """Bytes of the arrays an object holds (its attributes, two levels deep)."""
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if depth == 0 or not hasattr(obj, "__dict__"):
        return 0
    return sum(_nbytes(v, depth - 1) for v in vars(obj).values())


class _Chunk(tuple):
    """``(objective, weight)`` of one chunk, as held by a worker. Its size is that of
    the objective's arrays: the scheduler weighs a task's data by ``sizeof``, and at
    the generic size of a tuple (~100 bytes) it would move chunks between workers to
    balance work instead of running each evaluation where its chunk is."""

    def __sizeof__(self) -> int:
        return tuple.__sizeof__(self) + _nbytes(self[0])


def _build(factory: Callable, *blocks) -> _Chunk:
    objective, weight = factory(*blocks)
    return _Chunk((objective, float(weight)))


# --- the client side --------------------------------------------------------------------
def _client_of(parts: Sequence):
    """The ``distributed`` client that holds ``parts`` (futures), or None."""
    try:
        from distributed import Future
    except ImportError:  # pragma: no cover - dask without distributed
        return None
    return parts[0].client if parts and isinstance(parts[0], Future) else None


def _map(chunks: Sequence, fn: Callable, *columns: Sequence, **shared) -> list:
    """``[fn(chunks[c], *(col[c] for col in columns), **shared) for c]``, computed
    where the chunks are (one round trip), in chunk order."""
    client = _client_of(chunks)
    if client is not None:
        # pinned to the worker holding the chunk: left free, the scheduler may move a
        # chunk's objective (its rows) to an idle peer to balance the work
        who = client.who_has(chunks)
        futures = [client.submit(fn, c, *[col[k] for col in columns], pure=False,
                                 **_where(who.get(c.key)), **shared)
                   for k, c in enumerate(chunks)]
        return client.gather(futures)
    import dask

    calls = [dask.delayed(fn, pure=False)(c, *[col[k] for col in columns], **shared)
             for k, c in enumerate(chunks)]
    return list(dask.compute(*calls))


def _where(holders) -> dict:
    return {"workers": list(holders), "allow_other_workers": False} if holders else {}


def _sum(parts: list):
    """Sum, in order, of ``(value, vector)`` pairs, of vectors or of values."""
    if isinstance(parts[0], tuple):
        return float(sum(p[0] for p in parts)), np.sum([p[1] for p in parts], axis=0)
    if isinstance(parts[0], np.ndarray):
        return np.sum(parts, axis=0)
    return float(sum(parts))


def _default_client():
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None


class ChunkedObjective(Objective):
    r"""Full-batch objective of data held in row chunks by dask workers.

    With chunks :math:`c` of rows, sample weights :math:`s_i`, chunk weights
    :math:`S_c = \sum_{i\in c} s_i`, :math:`S = \sum_c S_c`, and :math:`F_c` the
    in-memory objective of chunk :math:`c` (a weighted mean over its rows),

    .. math::
        F(w) = \frac{\sum_i s_i L_i(w)}{S} = \sum_c \frac{S_c}{S}\, F_c(w),
        \qquad \nabla F = \sum_c \frac{S_c}{S} \nabla F_c,
        \qquad \nabla^2 F\, v = \sum_c \frac{S_c}{S} \nabla^2 F_c\, v,

    so the solver sees the in-memory objective of all rows exactly (up to the order of
    floating-point summation) and takes the same iterates. Each evaluation maps the
    chunk objectives' method over the chunks on the workers that hold them
    (``Client.map``, or ``dask.compute`` of delayed calls without a ``distributed``
    client) and sums the small results on the client in chunk order. A batch of rows
    ``B`` (the solver's reference loss of the first rows) is evaluated on the chunks
    that hold them: each chunk's batch loss, whose weights are rescaled to the chunk's
    mean weight :math:`\bar s_c`, is multiplied by :math:`|B_c|\,\bar s_c/(|B|\,\bar s)`.

    Only full batches are efficient, so :attr:`full_batch_only` is set: the solver
    refuses mini-batch and per-sample configurations with a clear error.

    Parameters
    ----------
    template : Objective
        The estimator's objective of the same model on zero rows: it provides the
        layout, dtype, smoothness and initial parameters (:meth:`init_params` with the
        statistics reduced over the chunks), and is what the estimator reads its
        fitted attributes from (:attr:`model`).
    chunks : list
        One entry per chunk, ``(objective, weight)``: the chunk's in-memory
        objective and :math:`S_c`, as ``distributed`` futures or persisted
        ``dask.delayed`` values (see :meth:`from_blocks`).
    summaries : list of tuple
        Per chunk ``(S_c, n_c, init_statistics)``.

    Examples
    --------
    >>> import dask.array as da, numpy as np
    >>> from skgd.linear_model import LinearRegression
    >>> X = da.from_array(np.random.RandomState(0).rand(100, 3), chunks=25)
    >>> y = X.sum(axis=1)
    >>> est = LinearRegression(solver="lbfgs").fit(X, y)   # builds a ChunkedObjective
    >>> np.round(est.coef_, 2)
    array([1., 1., 1.])
    """

    full_batch_only = True
    sample_kernels = frozenset()

    def __init__(self, template: Objective, chunks: list, summaries: list) -> None:
        if template.get_buffers():
            raise ValueError(
                "This model keeps non-trainable state computed from all rows at once "
                "(batch-norm statistics), which a chunked evaluation cannot reproduce: "
                "fit it without batch_norm or on in-memory data.")
        self.template, self.chunks = template, list(chunks)
        self.layout, self.dtype, self.smooth = template.layout, template.dtype, template.smooth
        self.typical_dloss = template.typical_dloss
        if hasattr(template, "dloss"):
            self.dloss = template.dloss
        weights = np.array([s[0] for s in summaries], dtype=np.float64)
        sizes = np.array([s[1] for s in summaries], dtype=np.int64)
        self._stats = [s[2] for s in summaries]
        self.n_samples = int(sizes.sum())
        #: :math:`S`, the total sample weight
        self.weight_sum = float(weights.sum())
        total = self.weight_sum if self.weight_sum > 0 else 1.0
        self.fractions = weights / total
        self.offsets = np.concatenate(([0], np.cumsum(sizes)))
        # a chunk's mean weight over the global one (batch losses, see the docstring)
        self._mean_ratio = (weights / np.maximum(sizes, 1)) / (total / max(self.n_samples, 1))

    @classmethod
    def from_blocks(cls, template: Objective, factory: Callable,
                    blocks: Sequence[tuple]) -> ChunkedObjective:
        """Build every chunk's objective where its rows are, and keep it there.

        ``factory(*blocks[c])`` runs on a worker and returns the chunk's
        ``(objective, S_c)``; ``blocks[c]`` are ``dask.delayed`` blocks (or in-memory
        values) of the chunk's arrays. With a ``distributed`` client the objectives
        stay in the workers' memory as futures; otherwise they are persisted by the
        active dask scheduler. Errors raised by ``factory`` (invalid rows) surface here.
        """
        import dask

        tasks = [dask.delayed(_build, pure=False)(factory, *b) for b in blocks]
        client = _default_client()
        chunks = client.compute(tasks) if client is not None else list(dask.persist(*tasks))
        return cls(template, chunks, _map(chunks, _summary))

    # --- mapping over the chunks ------------------------------------------------------

    def _batches(self, idx: np.ndarray) -> tuple[list, list, list]:
        """The chunks holding rows ``idx``: their positions, local indices, scales."""
        idx = np.asarray(idx, dtype=np.int64)
        owner = np.searchsorted(self.offsets, idx, side="right") - 1
        pos, local, scales = [], [], []
        for c in np.unique(owner):
            rows = idx[owner == c] - self.offsets[c]
            pos.append(int(c))
            local.append(rows)
            scales.append(rows.size / max(idx.size, 1) * self._mean_ratio[c])
        return pos, local, scales

    def _on_rows(self, fn: Callable, w: np.ndarray, idx):
        if idx is None:
            return _sum(_map(self.chunks, fn, self.fractions, w=w))
        pos, local, scales = self._batches(idx)
        return _sum(_map([self.chunks[c] for c in pos], fn, scales, local, w=w))

    # --- the Objective protocol --------------------------------------------------------
    @property
    def model(self) -> Objective:
        return self.template

    @property
    def has_hessp(self) -> bool:
        return self.template.has_hessp

    def init_params(self, random_state, statistics=None) -> np.ndarray:
        stats = [(f, s) for f, s in zip(self.fractions, self._stats, strict=True)
                 if s is not None and f > 0]
        if not stats:
            return self.template.init_params(random_state)
        mean = np.sum([f * np.asarray(s, dtype=np.float64) for f, s in stats], axis=0)
        return self.template.init_params(random_state, (mean, self.n_samples))

    def value_grad(self, w, idx=None, rng=None):
        return self._on_rows(_value_grad, w, idx)

    def value(self, w, idx=None) -> float:
        return float(self._on_rows(_value, w, idx))

    def hessp(self, w, v):
        return _sum(_map(self.chunks, _hessp, self.fractions, w=w, v=v))
