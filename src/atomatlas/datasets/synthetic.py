"""Small synthetic data sets from the seeds, made exactly as the seeds make them (no download)."""

from __future__ import annotations

import numpy as np


def mixture_blobs():
    """Seed 004's Gaussian-mixture data: two sheared blobs (1000 rows) and a round one (250 rows).

    Returns ``(X, y)``. A 3-component full-covariance GaussianMixture (n_init 10, seed 42)
    fit on it has BIC 8189.74 and AIC 8102.52 in the seed.
    """
    from sklearn.datasets import make_blobs

    X1, y1 = make_blobs(n_samples=1000, centers=((4, -4), (0, 0)), random_state=42)
    X1 = X1.dot(np.array([[0.374, 0.95], [0.732, 0.598]]))
    X2, y2 = make_blobs(n_samples=250, centers=1, random_state=42)
    X2 = X2 + [6, -8]
    return np.r_[X1, X2], np.r_[y1, y2 + 2]


def moons(n_samples: int = 1000, noise: float = 0.05, random_state: int = 42):
    """Seed 004's DBSCAN data: ``make_moons(1000, noise=0.05, random_state=42)``."""
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n_samples, noise=noise, random_state=random_state)


def map_labels(rows: int, clusters: int = 8, seed: int = 0):
    """A labels.csv of ``rows`` points on a 2-D map (``row``, ``cluster``, ``embedding_1/2``): what the report
    draws, at any size, without fitting anything (its tests and bench/bench_report.py)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame({"row": np.arange(rows), "cluster": rng.integers(0, clusters, rows),
                         "embedding_1": rng.normal(size=rows), "embedding_2": rng.normal(size=rows)})
