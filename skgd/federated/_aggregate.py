"""Server side of a round: the weighted average of the client updates and the drift."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._local import ClientUpdate, GlobalState

__all__ = ["Support", "average", "drift"]


class Support:
    """The coordinates a client's update covers and their aggregation weights.

    ``coords`` None means every coordinate with the one weight ``weight`` (a model
    whose every row touches every parameter); otherwise ``weight`` holds one weight per
    coordinate of ``coords``.
    """

    def __init__(self, coords: np.ndarray | None, weight) -> None:
        self.coords = coords
        self.weight = weight


def average(start: GlobalState, updates: Sequence[ClientUpdate],
            supports: Sequence[Support], total_weights: Sequence[float]) -> GlobalState:
    r"""The new global state: per coordinate :math:`j`,
    :math:`w_j = \sum_c a_{cj} w_{cj} / \sum_c a_{cj}` over the clients whose support
    covers :math:`j` (the global value where none does), the same for every optimizer
    moment; the update count is averaged with the clients' ``total_weights``.

    Sums run in float64 in the order of ``updates``, so the result does not depend on
    where the clients ran.
    """
    n = start.w.size
    n_slots = start.opt_state.size // n if n else 0
    num = np.zeros(n)
    den = np.zeros(n)
    opt = np.zeros((n_slots, n))
    for u, s in zip(updates, supports, strict=True):
        idx = slice(None) if s.coords is None else s.coords
        num[idx] += s.weight * u.w
        den[idx] += s.weight
        if n_slots:
            opt[:, idx] += s.weight * u.opt_state
    covered = den > 0
    w = np.asarray(start.w, dtype=np.float64).copy()
    w[covered] = num[covered] / den[covered]
    old = np.asarray(start.opt_state, dtype=np.float64).reshape(n_slots, n)
    new_opt = np.where(covered, opt / np.where(covered, den, 1.0), old)
    tw = np.asarray(total_weights, dtype=np.float64)
    t = int(round(float(tw @ [u.t for u in updates]) / tw.sum()))
    dtype = start.w.dtype
    return GlobalState(w.astype(dtype), new_opt.ravel().astype(dtype), t, start.lr_scale)


def average_buffers(updates: Sequence[ClientUpdate], total_weights: Sequence[float]
                    ) -> dict[str, np.ndarray]:
    """Weighted mean of the clients' buffers (batch-norm running statistics)."""
    if not updates or not updates[0].buffers:
        return {}
    tw = np.asarray(total_weights, dtype=np.float64) / np.sum(total_weights)
    out = {}
    for key, first in updates[0].buffers.items():
        acc = sum(a * np.asarray(u.buffers[key], dtype=np.float64)
                  for a, u in zip(tw, updates, strict=True))
        out[key] = np.asarray(acc, dtype=first.dtype)
    return out


def drift(start: GlobalState, update: ClientUpdate, support: Support,
          federated: np.ndarray) -> float:
    r""":math:`\|w_c - w_g\|` over the federated coordinates (a boolean mask) of the
    client's support."""
    if support.coords is None:
        d = (update.w.astype(np.float64) - start.w)[federated]
    else:
        keep = federated[support.coords]
        d = update.w[keep].astype(np.float64) - start.w[support.coords[keep]]
    return float(np.sqrt(d @ d))
