"""KMeans through Dask: atomatlas's --scheduler path beside dask-ml's KMeans, on the same workers, in one run.

    .venv/bin/python bench/bench_scale.py [--rows 1000000] [--features 64] [--centers 20] [--workers 2]

The rows are generated lazily on the workers (``--centers`` Gaussian blobs of unit spread
around centres drawn uniformly in [-10, 10]^d, seeded per block), so the client never holds
them. Both methods get the same LocalCluster of ``--workers`` single-threaded processes
and k = ``--centers``. atomatlas does what a ``[dask]`` run does (runs/on_sample.py): its
k-means (``learn.cluster``, 10 k-means++ starts) fitted on a seeded uniform sample of
``--sample-size`` rows (default 100,000, as ``--sample-size``), then every row labelled on
the workers by the fitted model. Printed: seconds, ARI against the generating labels (from counts
summed over blocks), the peak memory of the client and of the largest worker, and the
time ratio. The issue's anchor is ``--rows 10000000``; docs/performance.md has this bench's last output.
"""

from __future__ import annotations

import argparse
import logging
import resource
import time

import numpy as np
from verdict import verdict

CHUNK = 250_000


def _blobs(block_id, chunk: int, features: int, centres: np.ndarray, seed: int, with_labels: bool):
    rng = np.random.default_rng([seed, block_id])
    labels = rng.integers(0, len(centres), chunk)
    if with_labels:
        return labels
    return centres[labels] + rng.normal(size=(chunk, features))


def data(rows: int, features: int, centres: np.ndarray, seed: int):
    """(X, truth): lazy Dask arrays of the same blocks (the labels are regenerated, not stored)."""
    import dask
    import dask.array as da

    blocks = range(int(np.ceil(rows / CHUNK)))
    sizes = [min(CHUNK, rows - b * CHUNK) for b in blocks]
    X = da.concatenate([da.from_delayed(dask.delayed(_blobs)(b, n, features, centres, seed, False), (n, features),
                                        dtype=float) for b, n in zip(blocks, sizes)])
    truth = da.concatenate([da.from_delayed(dask.delayed(_blobs)(b, n, features, centres, seed, True), (n,),
                                            dtype=np.int64) for b, n in zip(blocks, sizes)])
    return X, truth


def ari(truth, labels, k: int) -> float:
    """ARI from the (truth, label) counts summed over blocks."""
    import pandas as pd

    from atomatlas.evaluate.clusters import evaluate_contingency

    pairs = (truth * k + labels).map_blocks(lambda b: np.bincount(b, minlength=k * k)[None], chunks=(1, k * k),
                                            new_axis=1, dtype=np.int64).sum(axis=0).compute()
    return evaluate_contingency(pd.DataFrame(pairs.reshape(k, k)))["adjusted_rand_index"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_fit(X, k: int, size: int, seed: int = 0):
    """The [dask] fit: k-means on a seeded uniform sample of ``size`` rows (only the sample reaches the client)."""
    from atomatlas.learn.cluster import make_clusterer

    rows = np.sort(np.random.default_rng(seed).choice(X.shape[0], min(size, X.shape[0]), replace=False))
    return make_clusterer("kmeans", {}, k=k, random_state=seed).fit(X[rows].compute())


def main() -> None:
    from dask_ml.cluster import KMeans as DaskMLKMeans
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--centers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample-size", type=int, default=100_000)
    args = parser.parse_args()
    centres = np.random.default_rng(0).uniform(-10, 10, (args.centers, args.features))
    ours_name = "atomatlas sample fit + labels"
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        X, truth = data(args.rows, args.features, centres, seed=1)
        results = {}
        for name in (ours_name, "dask-ml KMeans"):
            start = time.perf_counter()
            if name == ours_name:
                model = sample_fit(X, args.centers, args.sample_size)
                labels = X.map_blocks(model.predict, drop_axis=1, dtype=np.int64)
            else:
                labels = DaskMLKMeans(n_clusters=args.centers, random_state=0).fit(X).labels_
            score = ari(truth, labels, args.centers)
            seconds = time.perf_counter() - start
            worker_mb = max(client.run(_peak_mb).values())
            results[name] = (seconds, score, worker_mb)
        print(f"{args.rows:,} rows x {args.features} features, {args.centers} blobs, {args.workers} workers, "
              f"atomatlas fitted on {min(args.sample_size, args.rows):,} rows")
        for name, (seconds, score, worker_mb) in results.items():
            print(f"{name:30s}: {seconds:7.1f} s, ARI {score:.4f}, peak worker {worker_mb:6.0f} MB")
        ours, theirs = results[ours_name][0], results["dask-ml KMeans"][0]
        print(f"client peak memory              : {_peak_mb():6.0f} MB")
        print(f"time ratio atomatlas / dask-ml  : {ours / theirs:6.2f} {verdict(ours / theirs, 0.5, False, 1)}")


if __name__ == "__main__":
    main()
