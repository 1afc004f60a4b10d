"""
Divergence handling and gradient clipping
=========================================

A step size that is too large for unscaled features makes gradient descent blow up.
skgd never returns a model with NaN or inf weights:

- ``divergence="raise"`` (the default) stops with a ``ValueError`` naming the epoch
  and the remedies;
- ``divergence="backoff"`` rolls back to the last good state, halves the step and
  carries on, recording each roll-back in ``history_[k]["events"]``;
- ``max_grad_norm`` clips the gradient by its global norm, which bounds every step.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes

from skgd import LinearRegression

X, y = load_diabetes(return_X_y=True)
X = X * 100.0  # unscaled features: the step below is far too large for them
y = (y - y.mean()) / y.std()
params = {"solver": "sgd", "learning_rate": "constant", "learning_rate_init": 0.05,
          "batch_size": 32, "max_iter": 30, "tol": None, "random_state": 0}

try:
    LinearRegression(**params).fit(X, y)
except ValueError as exc:
    print("divergence='raise':", exc)

# %%
# Back-off: roll back and halve the step
backoff = LinearRegression(**params, divergence="backoff").fit(X, y)
events = [(h["epoch"], e) for h in backoff.history_ for e in h["events"]]
for epoch, event in events:
    print(f"epoch {epoch}: {event}")

# %%
# Clipping: the same step, every gradient clipped to norm 1
clipped = LinearRegression(**params, max_grad_norm=1.0).fit(X, y)

good = [h for h in backoff.history_ if np.isfinite(h["train_loss"])]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
ax1.plot([h["epoch"] for h in good], [h["train_loss"] for h in good],
         label="divergence='backoff'")
ax1.plot(np.arange(1, clipped.n_iter_ + 1), clipped.loss_curve_, label="max_grad_norm=1")
ax1.set(xlabel="epoch", ylabel="training loss", yscale="log")
ax1.legend()
ax2.plot(np.arange(1, len(backoff.history_) + 1),
         [h["learning_rate"] or np.nan for h in backoff.history_], marker="o")
ax2.set(xlabel="history record (roll-backs included)", ylabel="learning rate",
        yscale="log", title=f"{len(events)} roll-backs, each halving the step")
fig.tight_layout()
plt.show()
