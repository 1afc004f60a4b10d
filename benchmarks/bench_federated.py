"""FederatedAveraging on non-IID splits: federated vs centralised after the same number
of epochs, and the effect of FedProx's ``proximal_mu`` on client drift and accuracy.

Splits (McMahan et al. 2017's label skew): the training rows sorted by label, cut into
``2 * n_clients`` shards, each client given 2 random shards.

- MNIST (the 10,000-image test set in ``../shared/data/mnist-t10k``: first 8,000
  images for training, last 2,000 for testing, pixels / 255): ``MLPClassifier((128,),
  batch_size=32, learning_rate_init=0.001)`` (Adam), 20 clients.
- SST-2 (GLUE train phrases / dev sentences): TF-IDF of word 1-2-grams
  (``min_df=2``, fitted on the training text: a shared vocabulary),
  ``LogisticRegression(solver="sgd", batch_size=32, learning_rate_init=0.5,
  alpha=1e-6)``, 20 clients (with two labels, most clients hold one).
- MovieLens-100K ``u1.base``/``u1.test``: clients are users (user id modulo 50: 50
  clients of about 19 users), ``MatrixFactorization(32, alpha=0.05,
  learning_rate_init=0.01, batch_size=1)``; RMSE on ``u1.test``. Item factors are
  federated, user factors stay on their client.

Every federated run uses all clients each round (``client_fraction=1``) and one local
epoch, ``--rounds`` rounds; the centralised fit runs the same number of epochs on the
pooled data. The ``proximal_mu`` sweep uses ``--rounds`` rounds too, except on
MovieLens (``--mf-prox-rounds``): with a proximal term per-interaction MF runs in the
solver's generic loop, about 100 times slower than its compiled kernel. Sequential
clients (joblib's default), BLAS pinned to one thread.

Usage::

    python benchmarks/bench_federated.py [--only mnist,sst2,movielens] [--rounds 20]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _common import table
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skgd.federated import FederatedAveraging

MUS = (0.0, 0.01, 0.1, 1.0)


def label_skew(y, n_clients: int, seed: int = 0) -> np.ndarray:
    order = np.argsort(y, kind="stable")
    shards = np.array_split(order, 2 * n_clients)
    perm = np.random.RandomState(seed).permutation(len(shards))
    groups = np.empty(len(y), dtype=np.int64)
    for c in range(n_clients):
        for s in perm[2 * c:2 * c + 2]:
            groups[shards[s]] = c
    return groups


def mnist():
    from skgd.datasets import load_mnist
    from skgd.neural_network import MLPClassifier

    d = load_mnist()
    X, y = d.data.astype(np.float64) / 255.0, d.target
    est = MLPClassifier((128,), batch_size=32, learning_rate_init=0.001, random_state=0)
    return "MNIST, MLPClassifier", est, (X[:8000], y[:8000], X[8000:], y[8000:]), \
        label_skew(y[:8000], 20), "accuracy"


def sst2():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from skgd.datasets import load_sst2
    from skgd.linear_model import LogisticRegression

    d = load_sst2()
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2)
    Xtr, Xte = vec.fit_transform(d.text_train), vec.transform(d.text_test)
    est = LogisticRegression(solver="sgd", batch_size=32, learning_rate_init=0.5,
                             alpha=1e-6, random_state=0)
    return "SST-2, LogisticRegression", est, (Xtr, d.y_train, Xte, d.y_test), \
        label_skew(d.y_train, 20), "accuracy"


def movielens():
    from skgd.datasets import load_movielens
    from skgd.recommender import MatrixFactorization

    Xtr, ytr, Xte, yte = load_movielens().splits["u1"]
    est = MatrixFactorization(32, alpha=0.05, learning_rate_init=0.01, random_state=0)
    return "MovieLens-100K u1, MatrixFactorization", est, (Xtr, ytr, Xte, yte), \
        Xtr[:, 0] % 50, "RMSE"


def _metric(model, X, y, metric: str) -> float:
    if metric == "RMSE":
        return float(np.sqrt(np.mean((model.predict(X) - y) ** 2)))
    return float(model.score(X, y))


def run(name, est, data, groups, metric, rounds: int, prox_rounds: int) -> list[dict]:
    Xtr, ytr, Xte, yte = data
    rows = []
    tic = time.perf_counter()
    central = est.set_params(max_iter=rounds, tol=None).fit(Xtr, ytr)
    rows.append({"data": name, "fit": f"centralised, {rounds} epochs",
                 metric: _metric(central, Xte, yte, metric),
                 "seconds": time.perf_counter() - tic})
    runs = [(0.0, rounds)] + [(mu, prox_rounds) for mu in MUS if prox_rounds != rounds
                              or mu != 0.0]
    for mu, n_rounds in runs:
        tic = time.perf_counter()
        fed = FederatedAveraging(est, n_rounds=n_rounds, proximal_mu=mu, random_state=0)
        fed.fit(Xtr, ytr, groups=groups)
        drift = [h["drift"] for h in fed.history_]
        rows.append({"data": name, "fit": f"FedAvg, {n_rounds} rounds, mu={mu:g}",
                     metric: _metric(fed, Xte, yte, metric), "mean drift": float(np.mean(drift)),
                     "last drift": drift[-1], "seconds": time.perf_counter() - tic})
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="mnist,sst2,movielens")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--mf-prox-rounds", type=int, default=5,
                        help="rounds of the MovieLens proximal_mu sweep (a proximal term "
                        "moves per-interaction MF from its compiled kernel to the "
                        "solver's generic loop, about 100x slower)")
    args = parser.parse_args()
    sets = {"mnist": mnist, "sst2": sst2, "movielens": movielens}
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for key in args.only.split(","):
            try:
                spec = sets[key]()
            except FileNotFoundError as exc:
                print(f"skipped {key}: {exc}")
                continue
            prox_rounds = args.mf_prox_rounds if key == "movielens" else args.rounds
            rows += run(*spec, args.rounds, prox_rounds)
    cols = ["data", "fit", "accuracy", "RMSE", "mean drift", "last drift", "seconds"]
    print(table(rows, cols))


if __name__ == "__main__":
    main()
