"""
Federated averaging on non-IID clients
======================================

:class:`skgd.federated.FederatedAveraging` trains an skgd estimator on clients whose
rows never leave them. Here 10 clients each hold the digits of mostly two classes (a
label-skewed, non-IID split): FedAvg averages the clients' models after each round of
local training; FedProx (``proximal_mu > 0``) adds a proximal term that keeps each
client near the global model, which reduces client drift. A centralised fit on the
pooled rows is the reference.
"""

# %%
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skgd import MLPClassifier
from skgd.federated import FederatedAveraging

FAST = os.environ.get("SKGD_DOC_FAST") == "1"  # set by the documentation build
warnings.simplefilter("ignore", ConvergenceWarning)
X, y = load_digits(return_X_y=True)
X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.25,
                                                  random_state=0)

# label skew: client c gets 80 % of the rows of classes c and c+1, the rest at random
rng = np.random.default_rng(0)
groups = rng.integers(0, 10, len(y_train))
skewed = rng.random(len(y_train)) < 0.8
groups[skewed] = (y_train[skewed] - rng.integers(0, 2, skewed.sum())) % 10
counts = np.array([np.bincount(y_train[groups == c], minlength=10) for c in range(10)])
print("rows per client and class:\n", counts)

rounds = 15 if FAST else 40
base = MLPClassifier((64,), batch_size=32, learning_rate_init=0.01, random_state=0)
runs = {}
for label, mu in [("FedAvg", 0.0), ("FedProx, mu=0.1", 0.1)]:
    fed = FederatedAveraging(base, n_rounds=rounds, local_epochs=2, proximal_mu=mu,
                             random_state=0)
    runs[label] = fed.fit(X_train, y_train, groups=groups, X_val=X_val, y_val=y_val)
    print(f"{label}: validation accuracy {fed.score(X_val, y_val):.4f}")
central = MLPClassifier((64,), batch_size=32, learning_rate_init=0.01, max_iter=rounds,
                        random_state=0).fit(X_train, y_train)
print(f"centralised: validation accuracy {central.score(X_val, y_val):.4f}")

# %%
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(13, 3.8))
ax1.imshow(counts, cmap="Blues")
ax1.set(xlabel="class", ylabel="client", title="rows per client and class")
for label, fed in runs.items():
    r = [h["round"] for h in fed.history_]
    ax2.plot(r, [h["val_score"] for h in fed.history_], label=label)
    ax3.plot(r, [h["drift"] for h in fed.history_], label=label)
ax2.axhline(central.score(X_val, y_val), ls="--", color="k", label="centralised")
ax2.set(xlabel="round", ylabel="validation accuracy", ylim=(0.5, 1.0))
ax2.legend()
ax3.set(xlabel="round", ylabel="client drift", title="distance of clients to the average")
fig.tight_layout()
plt.show()
