"""Image classification with skgd's MLPClassifier: learning curves and optimizers.

Trains a one-hidden-layer perceptron on the 8x8 digits (default) or on the MNIST test
set (28x28, 8,000 training / 2,000 test images) when ``../shared/data/mnist-t10k``
(or ``$SKGD_DATA/mnist-t10k``) is present, then

1. prints the training-loss and validation-accuracy curves of the default model
   (``history_``: loss, validation loss/score, learning rate, gradient norm, seconds);
2. compares optimizers and schedules of the shared solver on the same network
   (Adam, SGD with Nesterov momentum, RMSprop, AdamW with a warm-up cosine schedule,
   full-batch L-BFGS) and the regularisers of the MLP (dropout, batch norm).

With matplotlib installed and ``--plot``, the curves are saved to
``image_classification.png``.

Usage::

    python examples/image_classification.py [--data digits|mnist|auto] [--epochs 20]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skgd.neural_network import MLPClassifier
from skgd.solver import Nesterov


def load(which: str):
    """Train/test split of digits or MNIST, features scaled."""
    if which in ("mnist", "auto"):
        try:
            from skgd.datasets import load_mnist

            mnist = load_mnist()
            X = (mnist.data / 255.0).astype(np.float32)
            return "MNIST", X[:8000], X[8000:], mnist.target[:8000], mnist.target[8000:]
        except FileNotFoundError as exc:
            if which == "mnist":
                raise
            print(f"MNIST not found ({exc}); using digits.\n")
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    return "digits", scaler.transform(Xtr), scaler.transform(Xte), ytr, yte


def learning_curves(Xtr, Xte, ytr, yte, epochs):
    """Fit the default model, recording the test set as validation data."""
    clf = MLPClassifier(max_iter=epochs, random_state=0)
    clf.fit(Xtr, ytr, X_val=Xte, y_val=yte)
    print("epoch  train loss  val loss  val acc  grad norm  seconds")
    for h in clf.history_:
        print(f"{h['epoch']:5d}  {h['train_loss']:10.4f}  {h['val_loss']:8.4f}  "
              f"{h['val_score']:7.4f}  {h['grad_norm']:9.4f}  {h['seconds']:7.3f}")
    return clf


def compare(Xtr, Xte, ytr, yte, epochs):
    """Same network, different optimizers, schedules and regularisers."""
    variants = {
        "adam (default)": {},
        "sgd + nesterov 0.9": {"solver": Nesterov(momentum=0.9), "learning_rate_init": 0.05},
        "rmsprop": {"solver": "rmsprop"},
        "adamw + warmup_cosine": {"solver": "adamw", "learning_rate": "warmup_cosine",
                                  "learning_rate_init": 0.003, "alpha": 1e-2},
        "adam + dropout 0.2": {"dropout": 0.2},
        "adam + batch norm": {"batch_norm": True},
        "lbfgs (full batch)": {"solver": "lbfgs"},
    }
    results = {}
    print(f"\n{'variant':24s} {'test acc':>8s} {'epochs':>6s} {'s/epoch':>8s}")
    for name, params in variants.items():
        clf = MLPClassifier(max_iter=epochs, random_state=0, **params)
        tic = time.perf_counter()
        clf.fit(Xtr, ytr, X_val=Xte, y_val=yte)
        seconds = (time.perf_counter() - tic) / max(clf.n_iter_, 1)
        acc = clf.score(Xte, yte)
        results[name] = clf
        print(f"{name:24s} {acc:8.4f} {clf.n_iter_:6d} {seconds:8.3f}")
    return results


def plot(results, path="image_classification.png"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for name, clf in results.items():
        ax1.plot(clf.loss_curve_, label=name)
        ax2.plot(clf.validation_scores_, label=name)
    ax1.set(xlabel="epoch", ylabel="training loss", yscale="log")
    ax2.set(xlabel="epoch", ylabel="test accuracy")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nsaved {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["auto", "digits", "mnist"], default="auto")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--plot", action="store_true")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    name, Xtr, Xte, ytr, yte = load(args.data)
    print(f"{name}: {Xtr.shape[0]} training and {Xte.shape[0]} test images, "
          f"{Xtr.shape[1]} pixels\n")
    learning_curves(Xtr, Xte, ytr, yte, args.epochs)
    results = compare(Xtr, Xte, ytr, yte, args.epochs)
    if args.plot:
        plot(results)


if __name__ == "__main__":
    main()
