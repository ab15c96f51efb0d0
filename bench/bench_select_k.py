"""Automatic k: atomatlas against the notebook loop it replaces, on the same work.

    .venv/bin/python bench/bench_select_k.py [--repeat 3]

Both sides standardise Carbon8 (3560 x 15), fit KMeans (n_init 10) for k = 2..10 and
score each k by silhouette on every row; atomatlas also records inertia,
Calinski-Harabasz and Davies-Bouldin and refits at the chosen k. Prints the best-of-N
wall times and the ratio atomatlas / notebook (1.0 = no overhead).
"""

from __future__ import annotations

import argparse

import numpy as np
from verdict import median_time, no_target
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from atomatlas import datasets
from atomatlas.io.tables import read_table
from atomatlas.learn.cluster import AtlasCluster


def notebook(X):
    scores = {k: silhouette_score(X, KMeans(k, n_init=10, random_state=0).fit_predict(X)) for k in range(2, 11)}
    best = max(scores, key=scores.get)
    return KMeans(best, n_init=10, random_state=0).fit_predict(X), best


def ours(X):
    model = AtlasCluster("kmeans", k="auto", k_min=2, k_max=10, random_state=0).fit(X)
    return model.labels_, model.k_


def median_of(function, X, repeat):
    return median_time(lambda: function(X), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    X = StandardScaler().fit_transform(read_table(datasets.path_of("Carbon8_descriptor.csv")).X)
    t_ref, (labels_ref, k_ref) = median_of(notebook, X, args.repeat)
    t_ours, (labels_ours, k_ours) = median_of(ours, X, args.repeat)
    assert k_ref == k_ours and np.array_equal(labels_ref, labels_ours), "the two sides disagree"
    print(f"data: Carbon8, {X.shape[0]} rows x {X.shape[1]} features; k = 2..10, chosen k = {k_ours} on both sides")
    print(f"notebook loop (KMeans + silhouette_score): {t_ref:.2f} s")
    print(f"atomatlas AtlasCluster(k='auto'):           {t_ours:.2f} s")
    print(f"ratio atomatlas / notebook: {t_ours / t_ref:.2f} (medians of {args.repeat}; atomatlas scores three more "
          f"criteria per k) {no_target()}")


if __name__ == "__main__":
    main()
