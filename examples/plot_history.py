"""
Training curves with HistoryDisplay
===================================

:class:`skgd.plot.HistoryDisplay` draws the per-epoch ``history_`` every skgd
estimator records: here three optimizers of a :class:`~skgd.LogisticRegression` on
the 8x8 digits, then an MLP trained by SGD with the ``"adaptive"`` schedule and early
stopping. ``pandas.DataFrame(est.history_)`` gives the same records as a table.
The two figures, rendered once, are also kept in the repository as
``examples/history_optimizers.png`` and ``examples/history_mlp.png``.

Run: ``python examples/plot_history.py`` (needs ``pip install -e ".[plot]"``).
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from skgd import LogisticRegression, MLPClassifier
from skgd.plot import HistoryDisplay

X, y = load_digits(return_X_y=True)
X = X / 16.0
warnings.simplefilter("ignore", ConvergenceWarning)

# %%
# Three optimizers, one model
# ---------------------------
fits = [LogisticRegression(solver=s, batch_size=32, learning_rate_init=lr, max_iter=30,
                           tol=None, early_stopping=True, random_state=0).fit(X, y)
        for s, lr in [("sgd", 0.1), ("momentum", 0.05), ("adam", 0.01)]]
disp = HistoryDisplay.from_estimators(fits, names=["sgd", "momentum", "adam"],
                                      metrics=["train_loss", "val_score", "grad_norm"])

# %%
# An MLP with the adaptive schedule and early stopping
# ----------------------------------------------------
# ``"adaptive"`` (an alias of ``"plateau"``) divides the step by 5 when the loss stops
# improving; the learning-rate panel shows the drops.
mlp = MLPClassifier(hidden_layer_sizes=(64,), early_stopping=True, max_iter=200,
                    learning_rate="adaptive", solver="sgd", learning_rate_init=0.05,
                    random_state=0).fit(X, y)
disp = HistoryDisplay.from_estimator(mlp, name="MLP (64,), sgd, adaptive")
print(f"MLP stopped after {mlp.n_iter_} epochs, best validation score "
      f"{max(mlp.validation_scores_):.3f}")
plt.show()
