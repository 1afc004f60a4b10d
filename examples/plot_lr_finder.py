"""
The learning-rate finder
========================

:func:`skgd.model_selection.find_learning_rate` runs Smith's range test: one short run
whose step size grows geometrically from ``min_lr`` to ``max_lr``, recording the
smoothed loss. The suggestion is a tenth of the step at the loss minimum. We run it
for SGD and Adam on an MLP (digits), then train with each suggestion.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skgd import MLPClassifier
from skgd.model_selection import find_learning_rate

warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, random_state=0)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, solver in zip(axes, ["sgd", "adam"], strict=True):
    est = MLPClassifier((64,), solver=solver, max_iter=20, random_state=0)
    lr_range = find_learning_rate(est, X_train, y_train, min_lr=1e-5, max_lr=10.0,
                                  n_steps=100, random_state=0)
    lr_range.plot(ax=ax)
    ax.set_title(solver)
    fitted = est.set_params(learning_rate_init=lr_range.suggestion).fit(X_train, y_train)
    print(f"{solver}: suggested learning_rate_init {lr_range.suggestion:.3g}, "
          f"test accuracy after 20 epochs {fitted.score(X_test, y_test):.4f}")
fig.tight_layout()
plt.show()
