"""Training curves with ``HistoryDisplay``: optimizers compared on digits, and an MLP's
loss and validation score with early stopping.

Run: ``python examples/plot_history.py`` (needs ``pip install skgd[plot]``); writes
``examples/history_optimizers.png`` and ``examples/history_mlp.png``.
"""

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skgd import LogisticRegression, MLPClassifier  # noqa: E402
from skgd.plot import HistoryDisplay  # noqa: E402

HERE = Path(__file__).parent


def main():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    warnings.simplefilter("ignore", ConvergenceWarning)
    fits = [LogisticRegression(solver=s, batch_size=32, learning_rate_init=lr, max_iter=30,
                               tol=None, early_stopping=True, random_state=0).fit(X, y)
            for s, lr in [("sgd", 0.1), ("momentum", 0.05), ("adam", 0.01)]]
    disp = HistoryDisplay.from_estimators(fits, names=["sgd", "momentum", "adam"],
                                          metrics=["train_loss", "val_score",
                                                   "grad_norm"])
    disp.figure_.savefig(HERE / "history_optimizers.png", dpi=90)
    mlp = MLPClassifier(hidden_layer_sizes=(64,), early_stopping=True, max_iter=200,
                        learning_rate="adaptive", solver="sgd", learning_rate_init=0.05,
                        random_state=0).fit(X, y)
    disp = HistoryDisplay.from_estimator(mlp, name="MLP (64,), sgd, adaptive")
    disp.figure_.savefig(HERE / "history_mlp.png", dpi=90)
    print(f"MLP stopped after {mlp.n_iter_} epochs, best validation score "
          f"{max(mlp.validation_scores_):.3f}")


if __name__ == "__main__":
    main()
