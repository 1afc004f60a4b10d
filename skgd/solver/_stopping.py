"""The stopping monitor: owns plateau detection, the stop decision and best weights."""

from __future__ import annotations

from typing import Any

import numpy as np


def judge(value: float, best: float, min_delta: float) -> tuple[bool, bool]:
    """Whether a score (higher is better) is a new best, and whether it improves on the
    best by more than ``min_delta``: the rule of ``early_stopping`` and of
    :class:`skgd.callbacks.EarlyStopping`."""
    return bool(value > best), bool(value > best + min_delta)


class Monitor:
    r"""scikit-learn's stopping rule, on the training loss or a validation score.

    An epoch *improves* when the training loss drops below ``best - tol`` (or, with
    ``early_stopping``, the validation score rises above ``best + tol``). After
    ``n_iter_no_change`` epochs in a row without improvement the schedule is asked
    (``on_plateau``: the ``plateau`` schedule lowers the rate and training goes on);
    otherwise training stops. Without ``early_stopping``, ``tol=None`` never stops
    early; with it, ``tol=None`` counts any rise of the score as an improvement. With
    ``early_stopping`` the weights of the best validation score are restored at the
    end.

    A full-batch first-order fit records its relative optimality certificate
    (:mod:`skgd.solver._certificate`) as ``optimality``: it stops once that is at
    most ``tol``, and a loss plateau then only lowers the rate of the ``plateau``
    schedule (with ``early_stopping`` the validation rule stops it too).
    """

    def __init__(self, cfg, state, objective, validation, progress=None) -> None:
        self.cfg = cfg
        self.progress = progress
        self.state = state
        self.objective = objective
        self.validation = validation
        self.best_w: np.ndarray | None = None
        self.best_buffers: dict | None = None
        self.best_epoch = 0
        self.converged = False

    def record(self, loss: float, lr: float | None, gnorm: float, seconds: float,
               events: list[str], optimality: float | None = None) -> dict[str, Any]:
        """Append this epoch's history record (evaluating the validation data): the one
        record of every path (``lr`` is None for the full-batch L-BFGS/Newton
        iterations; ``optimality`` is the relative certificate of a full-batch
        first-order fit, None elsewhere)."""
        val_loss = val_score = None
        if self.validation is not None:
            val_loss, val_score = self.validation.evaluate(self.state.params)
        rec = {"epoch": self.state.epoch, "train_loss": float(loss), "val_loss": val_loss,
               "val_score": val_score, "learning_rate": lr, "grad_norm": float(gnorm),
               "seconds": seconds, "events": events,
               "optimality": None if optimality is None else float(optimality)}
        self.state.history.append(rec)
        if self.progress is not None:
            self.progress.epoch(rec)
        return rec

    def note(self, message: str) -> None:
        """Show an event under ``verbose`` (it is in the history's ``events`` too)."""
        if self.progress is not None:
            self.progress.note(message)

    def update(self, rec: dict[str, Any], sctx) -> bool:
        """Update the best values; True when training should stop."""
        st, cfg = self.state, self.cfg
        # with early stopping, tol=None means that any improvement counts
        tol = (0.0 if cfg.early_stopping else -np.inf) if cfg.tol is None else cfg.tol
        loss = rec["train_loss"]
        if cfg.early_stopping:
            score = rec["val_score"]
            new_best, improved = judge(score, st.best_score, tol)
            if new_best:
                st.best_score = score
                self.best_w = st.params.copy()
                self.best_epoch = rec["epoch"]
                self.best_buffers = {k: v.copy() for k, v in
                                     self.objective.get_buffers().items()}
        else:
            improved = judge(-loss, -st.best_loss, tol)[1]
        st.best_loss = min(st.best_loss, loss)
        st.no_improvement = 0 if improved else st.no_improvement + 1
        certificate = rec.get("optimality")
        if certificate is not None:
            return self._certified(rec, certificate, sctx)
        if (cfg.tol is None and not cfg.early_stopping
                or st.no_improvement < cfg.n_iter_no_change):
            return False
        if self._lowered_rate(rec, sctx):
            return False
        self.converged = True
        return True

    def _certified(self, rec: dict[str, Any], certificate: float, sctx) -> bool:
        """The rule of a full-batch first-order fit: stop once the relative
        certificate is at most ``tol``; without ``early_stopping`` a loss plateau
        only lowers the rate of the ``plateau`` schedule (never stops)."""
        st, cfg = self.state, self.cfg
        if cfg.tol is not None and certificate <= cfg.tol:
            self.converged = True
            return True
        if st.no_improvement < cfg.n_iter_no_change:
            return False
        if not cfg.early_stopping:
            self._lowered_rate(rec, sctx)
            return False
        if self._lowered_rate(rec, sctx):
            return False
        self.converged = True  # the validation rule stopped it, as on every path
        return True

    def _lowered_rate(self, rec: dict[str, Any], sctx) -> bool:
        """Ask the schedule on a plateau; True when it lowered the rate."""
        st = self.state
        # the full-batch L-BFGS/Newton iterations (sctx None) have no schedule to ask
        new_scale = None if sctx is None else self.cfg.schedule.on_plateau(st.lr_scale, sctx)
        if new_scale is None:
            return False
        st.lr_scale = new_scale
        st.no_improvement = 0
        rec["events"].append(f"plateau: learning-rate scale {new_scale:g}")
        return True

    def finish(self, cfg) -> None:
        """Restore the best weights when early stopping found them."""
        if cfg.early_stopping and self.best_w is not None:
            history = self.state.history
            if history and history[-1]["epoch"] != self.best_epoch:
                msg = (f"restored the weights of epoch {self.best_epoch} (best validation "
                       f"score {self.state.best_score:.6g})")
                history[-1]["events"].append(msg)
                self.note(msg)
            self.state.w[...] = self.best_w
            if self.state.averager is not None and self.state.averager.count:
                # the restored iterate is an average: it is the average from here on
                self.state.averager.avg[...] = self.best_w
                self.state.averager.last[...] = self.state.averager.count
            self.objective.set_buffers(self.best_buffers or {})
