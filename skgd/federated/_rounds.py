"""The rounds of a federated fit (FedAvg, McMahan et al. 2017; FedProx, Li et al. 2020)."""

from __future__ import annotations

import copy
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import _safe_indexing

from ..solver import OptimizeResult
from ..utils._compat import _num_samples
from ._aggregate import average, average_buffers, drift
from ._clients import Clients, Seeds
from ._local import GlobalState, LocalTask, train_client
from ._models import global_loss, local_params, model_view, setup_global

__all__ = ["FederatedRun"]


class FederatedRun:
    """The state of one :meth:`FederatedAveraging.fit`: the global model and its
    objective, the clients and their data, the seeds. Nothing is stored on the
    meta-estimator until every round has succeeded."""

    def __init__(self, meta, X, y, groups, sample_weight) -> None:
        self.meta = meta
        n = _num_samples(X)
        self.clients = Clients.from_groups(groups, n)
        self.seeds = Seeds(meta.random_state)
        est, self.objective, self.alpha = setup_global(meta.estimator, X, y, sample_weight,
                                                       self.seeds.init())
        self.est = est
        sw = (np.ones(n) if sample_weight is None
              else np.asarray(sample_weight, dtype=np.float64).ravel())
        self.view = model_view(est, self.objective, X, y, sw, self.clients)
        self.template = copy.copy(est)
        del self.template._solver_state
        self.template.set_params(**local_params(est, self.alpha, y, meta.local_epochs))
        self.data = [(_safe_indexing(X, r), None if y is None else _safe_indexing(y, r),
                      None if sample_weight is None else sw[r]) for r in self.clients.rows]
        self.epochs_done = 0

    def _task(self, round_: int, c: int, support) -> LocalTask:
        meta = self.meta
        # a local fit continues the global model: never a fit from scratch (epoch 0),
        # whose end-of-fit check compares the loss with that of the initial parameters
        return LocalTask(seed=self.seeds.client(round_, c), epoch=max(self.epochs_done, 1),
                         mu=float(meta.proximal_mu), blocks=self.view.blocks,
                         support=support.coords,
                         planned_epochs=meta.n_rounds * meta.local_epochs)

    def round(self, round_: int, X_val=None, y_val=None) -> dict:
        """Sample the clients, train them in parallel (joblib's active backend),
        average their updates into the global model; the round's record."""
        tic = time.perf_counter()
        meta, st = self.meta, self.est._solver_state
        start = GlobalState(st.w, st.opt_state, st.t, st.lr_scale)
        chosen = self.clients.sample(meta.client_fraction, self.seeds.sampling(round_))
        uniform = meta.aggregate == "uniform"
        rows = [self.clients.rows[c] for c in chosen]
        supports = [self.view.support(r, uniform) for r in rows]
        totals = [self.view.total(r) for r in rows]
        updates = Parallel()(
            delayed(train_client)(self.template, start, self.data[c],
                                  self._task(round_, c, s))
            for c, s in zip(chosen, supports, strict=True))
        new = average(start, updates, supports, totals)
        if not np.all(np.isfinite(new.w)):
            raise ValueError(f"Round {round_ + 1}: the averaged parameters are not finite.")
        self.epochs_done += meta.local_epochs
        drifts = [drift(start, u, s, self.view.federated)
                  for u, s in zip(updates, supports, strict=True)]
        record = {"round": round_ + 1,
                  "train_loss": self._adopt(new, average_buffers(updates, totals)),
                  "val_score": None, "clients": self.clients.labels[chosen].tolist(),
                  "drift": float(np.mean(drifts)),
                  "local_loss": float(np.average([u.loss for u in updates], weights=totals)),
                  "seconds": 0.0}
        self._record(record)
        if X_val is not None:
            record["val_score"] = float(self.est.score(X_val, y_val))
        record["seconds"] = time.perf_counter() - tic
        self._record(record, again=True)
        return record

    def _adopt(self, new: GlobalState, buffers: dict) -> float:
        """Make ``new`` the global model's state; its training loss."""
        st = self.est._solver_state
        st.w, st.opt_state, st.t = new.w, new.opt_state, new.t
        st.epoch = self.epochs_done
        for key, value in buffers.items():
            self.objective.buffers[key] = value
        return global_loss(self.est, self.objective, self.alpha, st.w)

    def _record(self, record: dict, again: bool = False) -> None:
        """Put the round in the global model's own history (one record per round, in
        the solver's format) and store its fitted attributes; ``again`` updates the
        last record (its validation score) instead of appending one."""
        st = self.est._solver_state
        if again:
            if record["val_score"] is None:
                st.history[-1]["seconds"] = record["seconds"]
                return
            st.history.pop()
        st.history.append({"epoch": record["round"], "train_loss": record["train_loss"],
                           "val_loss": None, "val_score": record["val_score"],
                           "learning_rate": None, "grad_norm": None,
                           "seconds": record["seconds"],
                           "events": [f"federated round: {len(record['clients'])} clients"]})
        st.best_loss = min(st.best_loss, record["train_loss"])
        self.est._adopt(self.objective, OptimizeResult(w=st.params, state=st,
                                                       n_iter=len(st.history),
                                                       converged=False))

    def close(self) -> None:
        """Drop the references to the training data."""
        self.objective = self.data = self.view = None
