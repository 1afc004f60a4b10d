"""Out-of-core training: 10 million rows x 100 features streamed into ``partial_fit``.

The data come from a fixed logistic model, ``y = [x @ w + b + noise > 0]`` with
standard-normal float32 features and logistic noise, generated chunk by chunk from
per-chunk seeds (chunk ``k`` is always the same rows), so the 10 million rows never
exist in memory at once. Each measurement runs in a fresh subprocess and reports its
peak resident memory (``resource.getrusage(...).ru_maxrss``):

- ``stream`` (source ``generator``): ``skgd.streaming.stream_partial_fit`` of
  ``LogisticRegression(solver="sgd", batch_size=1)`` over a callable that generates the
  chunks;
- ``stream`` (source ``parquet``, optional): the same rows written first to parquet
  shards in a temporary directory (deleted afterwards), then streamed from disk by
  ``iter_chunks`` (pyarrow ``iter_batches``);
- ``stream`` (source ``csv``, optional): the same with CSV shards read by pandas
  ``read_csv(chunksize=...)`` into float32 (slow to write: run it on fewer rows);
- ``memory``: the default full-batch ``LogisticRegression()`` (L-BFGS) fitted in memory
  on the first 1 million rows (the first chunks of the same stream).

All are scored on the same held-out rows (other seeds). Goals: peak RSS of the
streamed fit < 1 GB, held-out accuracy within 0.5 point of the in-memory fit.

    python benchmarks/bench_outofcore.py                    # generator source
    python benchmarks/bench_outofcore.py --source both      # + parquet shards on disk
    python benchmarks/bench_outofcore.py --source csv --rows 1000000   # CSV shards
    python benchmarks/bench_outofcore.py --rows 1_000_000   # quick run
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

SEED = 0
TEST_ROWS = 200_000
HELD_OUT = 10**9  # chunk seeds at and above this are the held-out set


def weights(n_features: int) -> tuple[np.ndarray, float]:
    """The fixed true model (norm 3: the Bayes accuracy is about 0.83)."""
    rng = np.random.default_rng([SEED, 2**32 - 1])
    w = rng.standard_normal(n_features) * (3.0 / np.sqrt(n_features))
    return w.astype(np.float32), 0.5


def make_chunk(k: int, n_rows: int, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of chunk ``k`` (always the same for the same ``k``)."""
    rng = np.random.default_rng([SEED, k])
    w, b = weights(n_features)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    z = X @ w + b + rng.logistic(size=n_rows).astype(np.float32)
    return X, (z > 0).astype(np.int8)


def chunk_sizes(rows: int, chunksize: int) -> list[int]:
    return [min(chunksize, rows - start) for start in range(0, rows, chunksize)]


def generated(rows: int, chunksize: int, n_features: int):
    """A callable returning a fresh generator of the chunks (re-iterable source)."""
    def chunks():
        for k, n in enumerate(chunk_sizes(rows, chunksize)):
            yield make_chunk(k, n, n_features)
    return chunks


def held_out(n_features: int, chunksize: int) -> tuple[np.ndarray, np.ndarray]:
    parts = [make_chunk(HELD_OUT + k, n, n_features)
             for k, n in enumerate(chunk_sizes(TEST_ROWS, chunksize))]
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def worker_write(args) -> dict:
    write = write_csv if args.source == "csv" else write_parquet
    return {"seconds": write(Path(args.folder), args)}


def write_csv(folder: Path, args) -> float:
    """Write the stream as CSV shards of 1M rows (float32 values in shortest repr)."""
    import pandas as pd

    tic = time.perf_counter()
    names = [f"x{j}" for j in range(args.features)]
    per_shard = max(1, 1_000_000 // args.chunksize)
    for k, (X, y) in enumerate(generated(args.rows, args.chunksize, args.features)()):
        df = pd.DataFrame(X, columns=names)
        df["y"] = y
        df.to_csv(folder / f"part-{k // per_shard:05d}.csv", mode="a", index=False,
                  header=k % per_shard == 0)
    return time.perf_counter() - tic


def write_parquet(folder: Path, args) -> float:
    """Write the stream as parquet shards of 1M rows (row groups of one chunk)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tic = time.perf_counter()
    names = [f"x{j}" for j in range(args.features)] + ["y"]
    per_shard = max(1, 1_000_000 // args.chunksize)
    writer = None
    for k, (X, y) in enumerate(generated(args.rows, args.chunksize, args.features)()):
        if k % per_shard == 0:
            if writer is not None:
                writer.close()
            writer = pq.ParquetWriter(folder / f"part-{k // per_shard:05d}.parquet",
                                      pa.schema([(n, pa.float32()) for n in names[:-1]]
                                                + [("y", pa.int8())]),
                                      use_dictionary=False, compression="snappy")
        X = np.asfortranarray(X)
        cols = [pa.array(X[:, j]) for j in range(X.shape[1])] + [pa.array(y)]
        writer.write_table(pa.Table.from_arrays(cols, names=names))
    writer.close()
    return time.perf_counter() - tic


def streamed_estimator():
    from skgd import LogisticRegression

    return LogisticRegression(solver="sgd", batch_size=1, learning_rate="invscaling",
                              learning_rate_init=0.01, alpha=0.0, random_state=0)


def worker_stream(args) -> dict:
    from skgd.streaming import iter_chunks, stream_partial_fit

    if args.source == "parquet":
        source, read = args.folder, {"target": "y", "chunksize": args.chunksize}
    elif args.source == "csv":
        source = sorted(Path(args.folder).glob("*.csv"))
        read = {"target": "y", "chunksize": args.chunksize, "dtype": np.float32}
    else:
        source, read = generated(args.rows, args.chunksize, args.features), {}
    baseline = _hwm_mb()
    tic = time.perf_counter()
    for _ in iter_chunks(source, **read):
        pass
    read_seconds = time.perf_counter() - tic
    tic = time.perf_counter()
    est = stream_partial_fit(streamed_estimator(), source, classes=[0, 1], **read)
    seconds = time.perf_counter() - tic
    trained = _hwm_mb()
    X_test, y_test = held_out(args.features, args.chunksize)
    return {"seconds": seconds, "read_seconds": read_seconds, "baseline_mb": baseline,
            "trained_mb": trained,
            "accuracy": float(est.score(X_test, y_test)), "dtype": str(est.coef_.dtype)}


def worker_memory(args) -> dict:
    from skgd import LogisticRegression

    rows = min(args.reference_rows, args.rows)
    parts = list(generated(rows, args.chunksize, args.features)())
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    del parts
    tic = time.perf_counter()
    est = LogisticRegression().fit(X, y)
    seconds = time.perf_counter() - tic
    X_test, y_test = held_out(args.features, args.chunksize)
    return {"seconds": seconds, "accuracy": float(est.score(X_test, y_test)),
            "dtype": str(est.coef_.dtype)}


def _peak_rss_mb() -> float:
    """``ru_maxrss`` (KiB on Linux). Linux carries it over ``exec`` from the process
    image before, so a child spawned by a big parent inherits the parent's peak: the
    parent of the workers stays small (it writes no data itself)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _hwm_mb() -> float | None:
    """The peak RSS of this process image alone (``VmHWM``), where ``/proc`` has it."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_worker(args) -> None:
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        work = {"stream": worker_stream, "memory": worker_memory, "write": worker_write}
        out = work[args.worker](args)
    out["peak_rss_mb"] = _peak_rss_mb()
    out["hwm_mb"] = _hwm_mb()
    print(json.dumps(out))


def in_subprocess(args, worker: str, source: str, folder: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--worker", worker, "--source", source,
           "--rows", str(args.rows), "--features", str(args.features),
           "--chunksize", str(args.chunksize), "--reference-rows", str(args.reference_rows)]
    if folder is not None:
        cmd += ["--folder", str(folder)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def row(name: str, args, rows: int, result: dict) -> str:
    def num(key, fmt):
        return "" if result.get(key) is None else format(result[key], fmt)

    return (f"| {name} | {rows:,} | {args.features} | {args.chunksize:,} | "
            f"{result['seconds']:.1f} | {num('read_seconds', '.1f')} | "
            f"{num('baseline_mb', '.0f')} | {num('trained_mb', '.0f')} | "
            f"{num('hwm_mb', '.0f')} | {result['peak_rss_mb']:.0f} | "
            f"{result['accuracy']:.5f} |")


def main(args) -> None:
    lines = ["| fit | rows | features | chunk rows | seconds | reading alone s | "
             "VmHWM MB after imports | after training | whole run | ru_maxrss MB | "
             "held-out acc |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    memory = in_subprocess(args, "memory", "generator")
    ref_rows = min(args.reference_rows, args.rows)
    lines.append(row("in memory, `LogisticRegression()` (L-BFGS)", args, ref_rows, memory))
    sources = {"both": ["generator", "parquet"],
               "all": ["generator", "parquet", "csv"]}.get(args.source, [args.source])
    for source in sources:
        folder, extra = None, ""
        if source in ("parquet", "csv"):
            folder = Path(tempfile.mkdtemp(prefix="skgd-ooc-"))
        try:
            if folder is not None:
                written = in_subprocess(args, "write", source, folder)["seconds"]
                extra = f" (written in {written:.0f} s)"
            result = in_subprocess(args, "stream", source, folder)
        finally:
            if folder is not None:
                shutil.rmtree(folder)
        lines.append(row(f"streamed from {source}{extra}, per-sample SGD", args,
                         args.rows, result))
        gap = 100 * (memory["accuracy"] - result["accuracy"])
        lines.append(f"|  | gap to in-memory: {gap:+.3f} points; model dtype "
                     f"{result['dtype']} |  |  |  |  |  |  |  |  |  |")
    print("\n".join(lines))


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--features", type=int, default=100)
    p.add_argument("--chunksize", type=int, default=100_000)
    p.add_argument("--reference-rows", type=int, default=1_000_000)
    p.add_argument("--source", choices=["generator", "parquet", "csv", "both", "all"],
                   default="generator")
    p.add_argument("--worker", choices=["stream", "memory", "write"], help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    return p.parse_args(argv)


if __name__ == "__main__":
    parsed = parse()
    run_worker(parsed) if parsed.worker else main(parsed)
