"""skgd MLPClassifier vs scikit-learn MLPClassifier: per-epoch time and accuracy.

Same architecture (one hidden layer of 100 ReLU units), same optimizer (Adam,
``learning_rate_init=0.001``), same batch size (200), same dtype and number of epochs
on both sides, in the same process and run; ``tol=0`` with a large
``n_iter_no_change`` makes both run every epoch. BLAS is pinned to ``--threads``
threads for both sides (threadpoolctl). Each configuration is fitted ``--repeats``
times alternating the two libraries; the table reports medians of the per-epoch
times, their ratio (skgd / scikit-learn, lower is better) and the test accuracies.

Data: digits (StandardScaler, 80/20 split, random_state=0) and the MNIST test set from
``../shared/data/mnist-t10k`` (first 8,000 images for training, last 2,000 for testing,
pixels scaled to [0, 1]); MNIST is skipped when absent. MNIST pixels are 81 % zeros, so
skgd runs its first layer on a CSR copy of the rows (``SPARSE_FIRST_LAYER_DENSITY`` in
``skgd/neural_network/_objective.py``), except for the pixels stored in more than 40 %
of the images, which go to BLAS on a dense copy (``DENSE_COLUMN_DENSITY`` in
``_kernels.py``); ``--dense-first-layer`` turns that off to show the BLAS-only time.

Usage::

    python benchmarks/bench_mlp.py [--epochs 20] [--repeats 3] [--threads 1]
                                   [--dense-first-layer]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skgd.neural_network import MLPClassifier


def datasets(data_home=None):
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, random_state=0)
    scaler = StandardScaler().fit(Xtr)
    yield "digits", scaler.transform(Xtr), scaler.transform(Xte), ytr, yte
    try:
        from skgd.datasets import load_mnist

        mnist = load_mnist(data_home)
    except FileNotFoundError as exc:
        print(f"(MNIST skipped: {exc})")
        return
    X = mnist.data / 255.0
    yield "mnist", X[:8000], X[8000:], mnist.target[:8000], mnist.target[8000:]


def make(lib: str, epochs: int, seed: int):
    common = dict(hidden_layer_sizes=(100,), solver="adam", learning_rate_init=0.001,
                  batch_size=200, max_iter=epochs, tol=0.0, n_iter_no_change=10**6,
                  random_state=seed)
    return SkMLP(**common) if lib == "sklearn" else MLPClassifier(**common)


def run(lib, Xtr, ytr, Xte, yte, epochs, seed):
    est = make(lib, epochs, seed)
    tic = time.perf_counter()
    est.fit(Xtr, ytr)
    seconds = time.perf_counter() - tic
    assert est.n_iter_ == epochs, (lib, est.n_iter_)
    return seconds / epochs, est.score(Xte, yte)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--dense-first-layer", action="store_true",
                        help="never run skgd's first layer on CSR rows")
    args = parser.parse_args(argv)
    if args.dense_first_layer:
        import skgd.neural_network._objective as mlp_objective

        mlp_objective.SPARSE_FIRST_LAYER_DENSITY = 0.0
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    rows = []
    with threadpool_limits(args.threads):
        for name, Xtr, Xte, ytr, yte in datasets(args.data_home):
            for dtype in (np.float64, np.float32):
                A, B = Xtr.astype(dtype), Xte.astype(dtype)
                make("skgd", 1, 0).fit(A[:400], ytr[:400])  # compile/load numba kernels
                res = {"skgd": [], "sklearn": []}
                for r in range(args.repeats):
                    for lib in ("skgd", "sklearn"):
                        res[lib].append(run(lib, A, ytr, B, yte, args.epochs, r))
                med = {k: np.median(np.array(v), axis=0) for k, v in res.items()}
                rows.append((name, np.dtype(dtype).name, med["skgd"][0], med["sklearn"][0],
                             med["skgd"][1], med["sklearn"][1], np.count_nonzero(A) / A.size))
                print(f"{name} {np.dtype(dtype).name}: skgd {med['skgd'][0] * 1e3:.1f} ms/epoch"
                      f" (acc {med['skgd'][1]:.4f}), sklearn {med['sklearn'][0] * 1e3:.1f} "
                      f"ms/epoch (acc {med['sklearn'][1]:.4f})", flush=True)
    first = "dense (forced)" if args.dense_first_layer else "auto"
    print(f"\nMLP (100,), adam, batch 200, {args.epochs} epochs, BLAS threads "
          f"{args.threads}, medians of {args.repeats} runs, skgd first layer {first}\n")
    print("| data | dtype | X density | skgd ms/epoch | sklearn ms/epoch | ratio | skgd acc | "
          "sklearn acc |")
    print("|---|---|---|---|---|---|---|---|")
    for name, dt, ts, tk, acs, ack, dens in rows:
        print(f"| {name} | {dt} | {dens:.2f} | {ts * 1e3:.1f} | {tk * 1e3:.1f} | "
              f"{ts / tk:.2f} | {acs:.4f} | {ack:.4f} |")


if __name__ == "__main__":
    main()
