"""Fitted state as plain data, so that skops persistence trusts it.

An estimator's pickled state holds skgd's internal objects (the solver state that
``partial_fit`` and ``warm_start`` continue from, the recommender's id encoders, a
sparse matrix of seen items). :func:`to_plain` turns each into a tagged dict of numpy
arrays and Python scalars, lists and dicts, and :func:`from_plain` rebuilds it; only
the classes named in :data:`PLAIN_TYPES` are rebuilt, so a loaded file cannot create
anything else. With this, ``skops.io.get_untrusted_types`` of a fitted skgd estimator
lists only the estimator's own class, and pickle/joblib files shrink to plain data too.
"""

from __future__ import annotations

from typing import Any

import scipy.sparse as sp

__all__ = ["to_plain", "from_plain"]

_TAG = "__skgd_type__"


def _types() -> dict[str, type]:
    from ..recommender._ids import FieldEncoder
    from ..solver._average import Averager
    from ..solver._config import SolverState
    from ..solver._objective import ParamLayout

    return {cls.__name__: cls for cls in (SolverState, Averager, FieldEncoder, ParamLayout)}


#: the internal classes a fitted estimator holds, by name (filled on first use)
PLAIN_TYPES: dict[str, type] = {}


def to_plain(value: Any) -> Any:
    """``value`` with every internal object replaced by a tagged dict (recursively)."""
    types = PLAIN_TYPES or PLAIN_TYPES.update(_types()) or PLAIN_TYPES
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_plain(v) for v in value)
    if sp.issparse(value):
        m = value.tocsr()
        return {_TAG: "csr", "data": m.data, "indices": m.indices, "indptr": m.indptr,
                "shape": list(m.shape)}
    name = type(value).__name__
    if types.get(name) is type(value):
        return {_TAG: name, "attributes": to_plain(dict(vars(value)))}
    return value


def from_plain(value: Any) -> Any:
    """The inverse of :func:`to_plain`."""
    types = PLAIN_TYPES or PLAIN_TYPES.update(_types()) or PLAIN_TYPES
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(from_plain(v) for v in value)
    if not isinstance(value, dict):
        return value
    kind = value.get(_TAG)
    if kind is None:
        return {k: from_plain(v) for k, v in value.items()}
    if kind == "csr":
        return sp.csr_matrix((value["data"], value["indices"], value["indptr"]),
                             shape=tuple(value["shape"]))
    if kind not in types:
        raise ValueError(f"Unknown skgd state type {kind!r} in a saved estimator.")
    obj = object.__new__(types[kind])
    obj.__dict__.update(from_plain(value["attributes"]))
    return obj

