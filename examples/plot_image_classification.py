"""
Image classification with an MLP (MNIST)
========================================

A one-hidden-layer perceptron (:class:`skgd.neural_network.MLPClassifier`) on the
MNIST test set (28x28 digits, 8,000 training / 2,000 test images) read by
:func:`skgd.datasets.load_mnist` from ``$SKGD_DATA/mnist-t10k`` (or
``../shared/data``). Without that folder the example says so and uses scikit-learn's
8x8 digits instead.

We record the test set as validation data (``X_val``/``y_val``), so every fit keeps a
per-epoch ``history_``, then compare optimizers, schedules and the MLP's regularisers
on the same network.

Run: ``python examples/plot_image_classification.py``.
"""

# %%
# Data
# ----
import os
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skgd.datasets import load_mnist
from skgd.neural_network import MLPClassifier
from skgd.solver import Nesterov

FAST = os.environ.get("SKGD_DOC_FAST") == "1"  # set by the documentation build
warnings.filterwarnings("ignore", category=ConvergenceWarning)

try:
    mnist = load_mnist()
    X = (mnist.data / 255.0).astype(np.float32)
    y = mnist.target
    n_train, n_test = (2500, 1000) if FAST else (8000, 2000)
    X_train, X_test = X[:n_train], X[8000:8000 + n_test]
    y_train, y_test = y[:n_train], y[8000:8000 + n_test]
    side, name = 28, "MNIST"
except FileNotFoundError as exc:
    print(f"MNIST not found ({exc}); using scikit-learn's 8x8 digits instead.")
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    side, name = 8, "digits"
epochs = 8 if FAST else 20
print(f"{name}: {len(y_train)} training and {len(y_test)} test images, {X.shape[1]} pixels")

# %%
# The default model and its learning curves
# -----------------------------------------
# ``history_`` has one entry per epoch: training loss, validation loss and score,
# learning rate, gradient norm and seconds.
clf = MLPClassifier(max_iter=epochs, random_state=0)
clf.fit(X_train, y_train, X_val=X_test, y_val=y_test)
for h in clf.history_:
    print(f"epoch {h['epoch']:2d}  train loss {h['train_loss']:.4f}  "
          f"val loss {h['val_loss']:.4f}  val acc {h['val_score']:.4f}")

# %%
# Optimizers, schedules and regularisers on the same network
# ----------------------------------------------------------
variants = {
    "adam (default)": {},
    "sgd + nesterov 0.9": {"solver": Nesterov(momentum=0.9), "learning_rate_init": 0.05},
    "rmsprop": {"solver": "rmsprop"},
    "adamw + warmup_cosine": {"solver": "adamw", "learning_rate": "warmup_cosine",
                              "learning_rate_init": 0.003, "alpha": 1e-2},
    "adam + dropout 0.2": {"dropout": 0.2},
    "lbfgs (full batch)": {"solver": "lbfgs"},
}
if not FAST:
    variants["adam + batch norm"] = {"batch_norm": True}
results = {}
for label, params in variants.items():
    model = MLPClassifier(max_iter=epochs, random_state=0, **params)
    tic = time.perf_counter()
    model.fit(X_train, y_train, X_val=X_test, y_val=y_test)
    per_epoch = (time.perf_counter() - tic) / max(model.n_iter_, 1)
    results[label] = model
    print(f"{label:24s} test accuracy {model.score(X_test, y_test):.4f}  "
          f"{model.n_iter_:3d} epochs  {per_epoch:.3f} s/epoch")

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
for label, model in results.items():
    ax1.plot(np.arange(1, model.n_iter_ + 1), model.loss_curve_, label=label)
    ax2.plot(np.arange(1, model.n_iter_ + 1), model.validation_scores_, label=label)
ax1.set(xlabel="epoch (L-BFGS: iteration)", ylabel="training loss", yscale="log")
ax2.set(xlabel="epoch (L-BFGS: iteration)", ylabel="test accuracy")
ax2.legend(fontsize=8)
fig.tight_layout()

# %%
# What the model gets wrong
# -------------------------
# The first test images the default model misclassifies, with its prediction and its
# probability for it.
proba = clf.predict_proba(X_test)
pred = clf.classes_[proba.argmax(axis=1)]
wrong = np.flatnonzero(pred != y_test)[:12]
fig, axes = plt.subplots(2, 6, figsize=(9, 3.4))
for ax, i in zip(axes.ravel(), wrong, strict=False):
    ax.imshow(X_test[i].reshape(side, side), cmap="gray_r")
    ax.set_title(f"{pred[i]} ({proba[i].max():.2f}), true {y_test[i]}", fontsize=8)
for ax in axes.ravel():
    ax.axis("off")
fig.tight_layout()
plt.show()
