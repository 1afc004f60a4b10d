"""The clients of a federated fit: their rows, the sampling of each round, the seeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d

__all__ = ["Clients", "Seeds"]


@dataclass(frozen=True)
class Clients:
    """Each distinct label of ``groups`` is a client holding the rows with that label.

    A client therefore always has at least one row: a label that is absent from
    ``groups`` is simply not a client.
    """

    labels: np.ndarray
    rows: tuple[np.ndarray, ...]

    @classmethod
    def from_groups(cls, groups, n_samples: int) -> Clients:
        if groups is None:
            raise ValueError("FederatedAveraging.fit needs groups: one client id per row "
                             "of X.")
        groups = column_or_1d(np.asarray(groups), warn=True)
        if groups.shape[0] != n_samples:
            raise ValueError(f"groups has {groups.shape[0]} entries but X has {n_samples} "
                             "rows; pass one client id per row.")
        if groups.dtype.kind == "f" and not np.all(np.isfinite(groups)):
            raise ValueError("groups holds NaN or inf; every row needs a client id.")
        try:
            labels, inverse = np.unique(groups, return_inverse=True)
        except TypeError as exc:
            raise ValueError("groups must hold client ids of one sortable type "
                             f"(got a mix: {exc}).") from exc
        order = np.argsort(inverse, kind="stable")
        bounds = np.cumsum(np.bincount(inverse, minlength=labels.size))[:-1]
        return cls(labels, tuple(np.split(order, bounds)))

    def __len__(self) -> int:
        return self.labels.size

    def n_sampled(self, fraction: float) -> int:
        """Clients per round: ``fraction`` of them rounded to the nearest, at least 1."""
        return max(1, min(len(self), int(np.floor(fraction * len(self) + 0.5))))

    def sample(self, fraction: float, rng: np.random.RandomState) -> np.ndarray:
        """Indices of the round's clients (sorted), drawn without replacement."""
        m = self.n_sampled(fraction)
        if m == len(self):
            return np.arange(m)
        return np.sort(rng.choice(len(self), size=m, replace=False))


class Seeds:
    """Every random stream of a federated fit, derived from one ``random_state``.

    The streams depend only on (round, client) -- never on where or in which order
    the clients run -- so every joblib backend gives the same model.
    """

    def __init__(self, random_state) -> None:
        self.base = int(check_random_state(random_state).randint(2**31 - 1))

    def _seed(self, *key: int) -> int:
        return int(np.random.SeedSequence([self.base, *key]).generate_state(1)[0] >> 1)

    def init(self) -> int:
        """Seed of the initial global parameters."""
        return self._seed(0)

    def sampling(self, round_: int) -> np.random.RandomState:
        """Generator of the client sampling of round ``round_``."""
        return np.random.RandomState(self._seed(1, round_))

    def client(self, round_: int, client: int) -> int:
        """Seed of the local fit of client ``client`` (its index) in round ``round_``."""
        return self._seed(2, round_, client)
