"""Training curves, following scikit-learn's Display conventions (``pip install
skgd[plot]`` for matplotlib)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["HistoryDisplay"]

#: the curves of ``history_`` and their axis labels
METRICS = {"train_loss": "training loss", "val_loss": "validation loss",
           "val_score": "validation score", "learning_rate": "learning rate",
           "grad_norm": "gradient norm"}


class HistoryDisplay:
    """The per-epoch curves of one or more fits' ``history_``.

    Build it with :meth:`from_estimator` or :meth:`from_estimators`; :meth:`plot`
    draws one panel per metric, one line per estimator.

    Parameters
    ----------
    histories : list of list of dict
        ``history_`` of each estimator.
    names : list of str
        The legend label of each.
    metrics : list of str or None, default=None
        Keys of the records to draw (``"train_loss"``, ``"val_loss"``,
        ``"val_score"``, ``"learning_rate"``, ``"grad_norm"``); None: those recorded.

    Attributes
    ----------
    figure_ : matplotlib Figure
    ax_ : ndarray of matplotlib Axes
        One per metric.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_diabetes
    >>> from skgd import LinearRegression
    >>> from skgd.plot import HistoryDisplay
    >>> X, y = load_diabetes(return_X_y=True)
    >>> est = LinearRegression(early_stopping=True, random_state=0).fit(X, y / y.std())
    >>> disp = HistoryDisplay.from_estimator(est, metrics=["train_loss", "val_score"])
    >>> [ax.get_ylabel() for ax in disp.ax_]
    ['training loss', 'validation score']
    """

    def __init__(self, histories, names, metrics=None):
        self.histories = histories
        self.names = names
        self.metrics = metrics

    @classmethod
    def from_estimator(cls, estimator, *, metrics=None, name=None, ax=None):
        """Plot one fitted estimator's curves.

        Parameters
        ----------
        estimator : fitted skgd estimator
            An estimator with a ``history_``.
        metrics : list of str or None, default=None
            The curves to draw, one panel each (keys of :data:`METRICS`); None: every one
            the histories recorded.
        name : str or None, default=None
            Legend label; None = the class name and solver.
        ax : matplotlib Axes, array of Axes or None, default=None
            One Axes per metric; None = a new figure.

        Returns
        -------
        display : HistoryDisplay
            The drawn display (``figure_``, ``ax_``).
        """
        return cls.from_estimators([estimator], names=None if name is None else [name],
                                   metrics=metrics, ax=ax)

    @classmethod
    def from_estimators(cls, estimators, *, names=None, metrics=None, ax=None):
        """Plot several fitted estimators on the same panels (compare optimizers or
        schedules).

        Parameters
        ----------
        estimators : list of fitted skgd estimators
            Estimators with a ``history_``.
        names : list of str or None, default=None
            Legend labels, one per estimator; None = class names and solvers.
        metrics : list of str or None, default=None
            The curves to draw, one panel each (keys of :data:`METRICS`); None: every one
            the histories recorded.
        ax : matplotlib Axes, array of Axes or None, default=None
            One Axes per metric; None = a new figure.

        Returns
        -------
        display : HistoryDisplay
            The drawn display (``figure_``, ``ax_``).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.datasets import load_diabetes
        >>> from skgd import LinearRegression
        >>> from skgd.plot import HistoryDisplay
        >>> X, y = load_diabetes(return_X_y=True)
        >>> fits = [LinearRegression(solver=s, max_iter=10, tol=None, random_state=0)
        ...         .fit(X, y / y.std()) for s in ("sgd", "adam")]
        >>> disp = HistoryDisplay.from_estimators(fits, names=["sgd", "adam"],
        ...                                       metrics=["train_loss"])
        >>> [line.get_label() for line in disp.ax_[0].get_lines()]
        ['sgd', 'adam']
        """
        for est in estimators:
            check_is_fitted(est, "history_")
        names = names or [_default_name(e) for e in estimators]
        if len(names) != len(estimators):
            raise ValueError(f"{len(names)} names for {len(estimators)} estimators.")
        return cls([e.history_ for e in estimators], list(names), metrics).plot(ax=ax)

    def _metrics(self) -> list[str]:
        if self.metrics is not None:
            unknown = [m for m in self.metrics if m not in METRICS]
            if unknown:
                raise ValueError(f"unknown metrics {unknown}; choose from {list(METRICS)}.")
            return list(self.metrics)
        return [m for m in METRICS
                if any(r.get(m) is not None for h in self.histories for r in h)]

    def plot(self, ax=None):
        """Draw the curves; ``ax`` is one Axes per metric (or None: a new figure).

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes or None, default=None
            One Axes per metric; None = a new figure.

        Returns
        -------
        display : HistoryDisplay
            ``self``, with ``figure_`` and ``ax_`` set.
        """
        import matplotlib.pyplot as plt

        metrics = self._metrics()
        if ax is None:
            fig, ax = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3.2),
                                   squeeze=False)
            ax = ax[0]
        ax = np.atleast_1d(ax)
        if ax.size != len(metrics):
            raise ValueError(f"{ax.size} axes for {len(metrics)} metrics.")
        for a, metric in zip(ax, metrics, strict=True):
            for hist, name in zip(self.histories, self.names, strict=True):
                epochs, values = _curve(hist, metric)
                a.plot(epochs, values, label=name)
            a.set_xlabel("epoch")
            a.set_ylabel(METRICS[metric])
            if metric in ("learning_rate", "grad_norm") or _spans_decades(a):
                a.set_yscale("log")
        ax[0].legend()
        self.ax_, self.figure_ = ax, ax[0].figure
        self.figure_.tight_layout()
        return self


def _curve(history, metric):
    """Epochs and values of ``metric``, leaving out the records without it (rolled-back
    epochs have a NaN loss)."""
    pts = [(r["epoch"], r[metric]) for r in history
           if r.get(metric) is not None and np.isfinite(r[metric])]
    return ([e for e, _ in pts], [v for _, v in pts])


def _spans_decades(ax) -> bool:
    ys = np.concatenate([line.get_ydata() for line in ax.get_lines()] or [[1.0]])
    ys = np.asarray(ys, dtype=float)
    return bool(ys.size and ys.min() > 0 and ys.max() / ys.min() > 100)


def _default_name(est) -> str:
    solver = getattr(est, "solver", None)
    solver = solver if isinstance(solver, str) else type(solver).__name__
    return f"{type(est).__name__} ({solver})"
