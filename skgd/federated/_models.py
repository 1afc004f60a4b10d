"""What FederatedAveraging needs to know about the model it federates.

Linear models and MLPs: every row touches every parameter, so a client's update
covers all of them and weighs its (weighted) sample count. MatrixFactorization: a
client's update covers the rows of the ids its interactions touch, weighed per id
by the client's (weighted) interaction count; the user factors and biases are the
client's own (never averaged, no proximal term), everything else is federated.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone

from ..base import fit_overrides
from ..recommender import MatrixFactorization
from ..utils._labels import label_indices
from ..utils._validation import class_weight_vector
from ._aggregate import Support
from ._clients import Clients

__all__ = ["setup_global", "local_params", "model_view", "global_loss"]

#: blocks of the MF layout that stay on the clients (the users')
_CLIENT_BLOCKS = ("factors_0", "bias_0")


def setup_global(estimator, X, y, sample_weight, seed: int):
    """The initial global model: the estimator's own validation, encoding (classes,
    ids) and initialisation on the whole data, without a single epoch. Returns the
    fitted estimator, its objective (for the global training loss) and the resolved
    ``alpha``."""
    est = clone(estimator).set_params(random_state=seed, warm_start=False,
                                      early_stopping=False, tol=None, verbose=0)
    with fit_overrides(epochs=0) as ov:
        est.fit(X, y, sample_weight=sample_weight)
    return est, ov.objective, ov.alpha


def local_params(est, alpha: float, y, local_epochs: int) -> dict:
    """Parameters of the clients' copies: warm-started, ``local_epochs`` epochs, no
    local stopping; the data-dependent ``alpha="auto"`` and ``class_weight="balanced"``
    resolved on the whole data, so that every client minimises its part of the one
    global objective."""
    params = {"warm_start": True, "max_iter": int(local_epochs), "tol": None,
              "early_stopping": False, "verbose": 0}
    if getattr(est, "alpha", None) == "auto":
        params["alpha"] = float(alpha)
    if getattr(est, "class_weight", None) == "balanced":
        classes = est.classes_
        yi = label_indices(classes, np.asarray(y).ravel())
        cw = class_weight_vector("balanced", classes, yi, partial=False)
        params["class_weight"] = dict(zip(classes.tolist(), cw.tolist(), strict=True))
    return params


def global_loss(est, objective, alpha: float, w: np.ndarray) -> float:
    """Training objective of the global parameters ``w`` on the whole data: the
    weighted mean of the clients' objectives."""
    cfg = est._solver_config(alpha=alpha)
    ranges = objective.layout.penalized_ranges()
    return float(objective.value(w)) + cfg.penalty.value(w, cfg.alpha, ranges)


class DenseView:
    """Every row touches every parameter: one weight per client, all federated."""

    def __init__(self, n_params: int, sw: np.ndarray) -> None:
        self.n_params, self.sw = n_params, sw
        self.federated = np.ones(n_params, dtype=bool)
        self.blocks = None

    def support(self, rows: np.ndarray, uniform: bool) -> Support:
        return Support(None, 1.0 if uniform else float(self.sw[rows].sum()))

    def total(self, rows: np.ndarray) -> float:
        return float(self.sw[rows].sum())


class MFView(DenseView):
    """Per-id supports and weights; user blocks stay on their (one) client."""

    def __init__(self, est, objective, X, sw: np.ndarray, clients: Clients) -> None:
        lay = objective.layout
        super().__init__(lay.size, sw)
        self.layout, self.k = lay, objective.k
        codes = est._codes(est._check_X(X, reset=False))
        # rows the fit drops (zero weight, hence ids the model does not know) weigh 0
        known = np.all(codes >= 0, axis=1) & (sw > 0)
        self.sw = np.where(known, sw, 0.0)
        self.codes = np.where(codes >= 0, codes, 0)
        _check_users(self.codes[:, 0], known, clients)
        self.federated = np.ones(lay.size, dtype=bool)
        for name in _CLIENT_BLOCKS:
            if name in lay.slices:
                self.federated[lay.slices[name]] = False
        rows = [(sl.start, sl.stop) for name, sl in lay.slices.items()
                if name not in _CLIENT_BLOCKS and sl.stop > sl.start]
        self.blocks = np.array(rows, dtype=np.int64).reshape(-1, 2)

    def support(self, rows: np.ndarray, uniform: bool) -> Support:
        coords, weights = [], []
        sw, codes = self.sw[rows], self.codes[rows]
        for name, sl in self.layout.slices.items():
            if name == "global_bias":
                ids, counts = np.zeros(1, np.int64), np.array([sw.sum()])
                width = 1
            else:
                field = 1 if name == "svdpp" else int(name.rsplit("_", 1)[1])
                n_ids = self.layout.shapes[name][0]
                count = np.bincount(codes[:, field], weights=sw, minlength=n_ids)
                ids = np.flatnonzero(count > 0)
                counts = count[ids]
                width = self.k if name.startswith(("factors", "svdpp")) else 1
            base = sl.start + ids * width
            coords.append((base[:, None] + np.arange(width)).ravel())
            weights.append(np.repeat(np.ones_like(counts) if uniform else counts, width))
        return Support(np.concatenate(coords).astype(np.int64), np.concatenate(weights))


def _check_users(users: np.ndarray, known: np.ndarray, clients: Clients) -> None:
    owner = np.full(users.max(initial=-1) + 1, -1, dtype=np.int64)
    for c, rows in enumerate(clients.rows):
        u = np.unique(users[rows[known[rows]]])
        clash = u[owner[u] >= 0]
        if clash.size:
            raise ValueError(
                "MatrixFactorization: each user must belong to one client (its factors "
                f"stay on it), but a user's ratings are in clients "
                f"{clients.labels.tolist()[owner[clash[0]]]!r} and "
                f"{clients.labels.tolist()[c]!r}; give all "
                "rows of a user the same groups label.")
        owner[u] = c


def model_view(est, objective, X, y, sw: np.ndarray, clients: Clients) -> DenseView:
    """The :class:`DenseView` or :class:`MFView` of the global model (``sw``: the
    sample weights, ones when none were given)."""
    if isinstance(est, MatrixFactorization):
        if est._implicit and y is not None:  # implicit feedback: y weighs the rows
            sw = sw * np.asarray(y, dtype=np.float64)
        return MFView(est, objective, X, sw, clients)
    return DenseView(objective.layout.size, sw)
