"""
Optimizers and learning-rate schedules compared on one problem
==============================================================

Every optimizer and schedule of :mod:`skgd.solver` trains the same mini-batch logistic
regression (digits, 10 classes, batch size 32) for the same number of epochs. The
first figure compares the first-order optimizers at a step size suited to each
(adaptive methods want a smaller one); the second compares schedules with plain SGD
and shows the step size each one takes. An optimizer registered by the user (the
custom components example registers Lion) is picked up from the registry too.
"""

# %%
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skgd import LogisticRegression
from skgd.solver import OPTIMIZERS

FAST = os.environ.get("SKGD_DOC_FAST") == "1"  # set by the documentation build
warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.25,
                                                  random_state=0)
epochs = 15 if FAST else 40


def fit(**params):
    params = {"batch_size": 32, "max_iter": epochs, "tol": None, "alpha": 1e-4,
              "random_state": 0, **params}
    return LogisticRegression(**params).fit(X_train, y_train, X_val=X_val, y_val=y_val)


# %%
# Optimizers
# ----------
# The first-order optimizers are read from the registry, so one registered later
# (see the custom components example) shows up here too.
step = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "adadelta": 1.0}
first_order = [n for n in OPTIMIZERS.names() if n not in ("lbfgs", "newton")]
runs = {}
for name in first_order:
    try:
        runs[name] = fit(solver=name, learning_rate="constant",
                         learning_rate_init=step.get(name, 0.005))
    except ValueError as exc:  # a component registered by a user may not apply here
        print(f"{name}: {exc}")
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for name, est in runs.items():
    ax1.plot(np.arange(1, est.n_iter_ + 1), est.loss_curve_, label=name)
    ax2.plot(np.arange(1, est.n_iter_ + 1), est.validation_scores_, label=name)
ax1.set(xlabel="epoch", ylabel="training loss", yscale="log", title="optimizers")
ax2.set(xlabel="epoch", ylabel="validation accuracy", ylim=(0.85, 1.0))
ax2.legend(ncol=2, fontsize=8)
fig.tight_layout()
for name, est in runs.items():
    print(f"{name:10s} final loss {est.loss_curve_[-1]:.4f}  "
          f"val acc {est.validation_scores_[-1]:.4f}")

# %%
# Schedules with SGD
# ------------------
schedules = ["constant", "invscaling", "step", "exponential", "cosine", "warmup_cosine",
             "onecycle", "plateau"]
sched_runs = {s: fit(solver="sgd", learning_rate=s, learning_rate_init=0.3)
              for s in schedules}
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for name, est in sched_runs.items():
    ax1.plot(np.arange(1, est.n_iter_ + 1), est.loss_curve_, label=name)
    ax2.plot(np.arange(1, est.n_iter_ + 1), [h["learning_rate"] for h in est.history_],
             label=name)
ax1.set(xlabel="epoch", ylabel="training loss", yscale="log", title="SGD, eta_0 = 0.3")
ax2.set(xlabel="epoch", ylabel="learning rate at the epoch's end", yscale="log")
ax2.legend(ncol=2, fontsize=8)
fig.tight_layout()
plt.show()
