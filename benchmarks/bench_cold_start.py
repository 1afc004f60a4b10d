"""Cold start: what the first fit of each estimator family costs beyond the fit itself.

For each family, a fresh Python process imports skgd and fits the same model twice;
the first fit loads (or compiles) the kernels, the second only runs. Two settings:

- *fresh cache*: an empty numba cache (a new environment): the first fit compiles;
- *warm cache*: the cache the fresh run left (a joblib worker, a new notebook): the
  first fit only loads the compiled kernels from disk. The target is <= 1.5 s beyond
  the fit.

Usage::

    python benchmarks/bench_cold_start.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

FAMILIES = {
    "LogisticRegression per-sample SGD": 'LogisticRegression(solver="sgd", batch_size=1, '
                                         'max_iter=3, tol=None)',
    "LogisticRegression mini-batch Adam": 'LogisticRegression(solver="adam", batch_size=32, '
                                          'max_iter=3, tol=None)',
    "LogisticRegression lbfgs": 'LogisticRegression(solver="lbfgs", max_iter=20)',
    "MLPClassifier adam": 'MLPClassifier(hidden_layer_sizes=(32,), max_iter=3, tol=None)',
    "MatrixFactorization default": "MatrixFactorization(max_iter=3, tol=None)",
    "custom component (Lion, per-sample)": 'LogisticRegression(solver="lion", batch_size=1, '
                                           'max_iter=3, tol=None)',
}

SCRIPT = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    import numpy as np
    from sklearn.datasets import load_digits
    from skgd import LogisticRegression, MatrixFactorization, MLPClassifier
    sys.path.insert(0, {examples!r})
    import custom_components  # noqa: F401  (registers "lion")
    t_import = time.perf_counter() - t0
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    if "MatrixFactorization" in {make!r}:
        img, pix = np.indices(X.shape)
        X, y = np.c_[img.ravel(), pix.ravel()], X.ravel()
    times = []
    for _ in range(2):
        tic = time.perf_counter()
        {make}.fit(X, y)
        times.append(time.perf_counter() - tic)
    print(json.dumps({{"import": t_import, "first": times[0], "second": times[1]}}))
""")


def _run(make: str, cache: str) -> dict:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    code = SCRIPT.format(make=make, examples=os.path.join(root, "examples"))
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, "SKGD_CACHE_DIR": os.path.join(cache, "s"),
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print("| family | import s | fresh cache: first fit beyond the fit, s | warm cache: "
          "first fit beyond the fit, s (median) | fit s |")
    print("|---|---|---|---|---|")
    for name, make in FAMILIES.items():
        with tempfile.TemporaryDirectory() as cache:
            fresh = _run(make, cache)
            warm = [_run(make, cache) for _ in range(args.repeats)]
        extra = statistics.median(w["first"] - w["second"] for w in warm)
        print(f"| {name} | {statistics.median(w['import'] for w in warm):.2f} | "
              f"{fresh['first'] - fresh['second']:.2f} | {extra:.2f} | "
              f"{statistics.median(w['second'] for w in warm):.3f} |", flush=True)


if __name__ == "__main__":
    main()
