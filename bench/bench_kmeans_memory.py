"""KMeans in memory: atomatlas beside scikit-learn on the same rows, in one run.

    .venv/bin/python bench/bench_kmeans_memory.py [--rows 1000000] [--features 64] [--centers 20]

The issue's in-memory anchor: scikit-learn's ``KMeans`` on 10^6 x 64 rows (20 blobs) with
its defaults (k-means++, one start). atomatlas's ``kmeans`` makes 10 starts (``n_init``
10, the registry's default, for results that do not hang on one seed), so it is timed
beside scikit-learn with its defaults and with the same 10 starts. Then end to end: a
parquet file to a run folder (``api.cluster``: reading, checks, standard scaling,
KMeans, labels.csv, metrics, the map; no report) beside the notebook it replaces
(``pd.read_parquet``, ``StandardScaler``, ``KMeans(n_init=10)``, ``to_csv``). Printed:
seconds, ARI against the generating labels, and the ratios.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from verdict import median_time, verdict


def blobs(rows: int, features: int, centers: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (centers, features))
    truth = rng.integers(0, centers, rows)
    return centres[truth] + rng.normal(size=(rows, features)), truth


def timed(fit, repeat: int = 1):
    """(median seconds over ``repeat`` runs, the labels)."""
    return median_time(fit, repeat)


def main() -> None:
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.preprocessing import StandardScaler

    from atomatlas import api
    from atomatlas.learn.cluster import AtlasCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=64)
    parser.add_argument("--centers", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the two 10-start fits compared; the median "
                                                              "counts (default 3)")
    args = parser.parse_args()
    k = args.centers
    X, truth = blobs(args.rows, args.features, k)
    print(f"{args.rows:,} rows x {args.features} features, {k} blobs, in memory")
    runs = {
        "scikit-learn KMeans (defaults: 1 start)": lambda: KMeans(k, random_state=0).fit(X).labels_,
        "scikit-learn KMeans (n_init 10)": lambda: KMeans(k, n_init=10, random_state=0).fit(X).labels_,
        "atomatlas AtlasCluster kmeans (10 starts)": lambda: AtlasCluster("kmeans", k=k, random_state=0).fit(X).labels_,
    }
    seconds = {}
    for name, fit in runs.items():
        seconds[name], labels = timed(fit, args.repeat if "10" in name else 1)
        print(f"{name:44s}: {seconds[name]:7.1f} s, ARI {adjusted_rand_score(truth, labels):.4f}")
    ours = seconds["atomatlas AtlasCluster kmeans (10 starts)"]
    same = ours / seconds["scikit-learn KMeans (n_init 10)"]
    print(f"ratio atomatlas / scikit-learn, same 10 starts: {same:5.2f} {verdict(same, 1.0, False)} (medians of "
          f"{args.repeat})")
    print(f"ratio atomatlas / scikit-learn defaults       : "
          f"{ours / seconds['scikit-learn KMeans (defaults: 1 start)']:5.2f} (atomatlas makes 10 starts; no target)")

    with tempfile.TemporaryDirectory() as folder:
        table = Path(folder) / "rows.parquet"
        frame = pd.DataFrame(X, columns=[f"d{i}" for i in range(args.features)])
        frame.insert(0, "atom", np.arange(args.rows))
        frame.to_parquet(table, index=False)
        del frame

        def notebook():
            rows = pd.read_parquet(table)
            values = StandardScaler().fit_transform(rows.drop(columns="atom").to_numpy())
            labels = KMeans(k, n_init=10, random_state=0).fit_predict(values)
            pd.DataFrame({"atom": rows["atom"], "cluster": labels}).to_csv(Path(folder) / "notebook.csv", index=False)
            return labels

        def atomatlas():
            return api.cluster(table, Path(folder) / "run", k=k, id_columns=["atom"], report=False).labels["cluster"]

        end_to_end = {}
        for name, fit in (("notebook: read, scale, KMeans(n_init 10), CSV", notebook),
                          ("atomatlas cluster (api, no report)", atomatlas)):
            end_to_end[name], labels = timed(fit)
            print(f"{name:44s}: {end_to_end[name]:7.1f} s, ARI {adjusted_rand_score(truth, labels):.4f}")
        print(f"ratio end to end atomatlas / notebook         : "
              f"{end_to_end['atomatlas cluster (api, no report)'] / end_to_end[next(iter(end_to_end))]:5.2f} "
              "(atomatlas also checks the values and writes metrics and the map; no target)")


if __name__ == "__main__":
    main()
