"""Picking rows to look at: one representative per cluster, and a diverse subset."""

from __future__ import annotations

import numpy as np


def representatives(X: np.ndarray, labels: np.ndarray) -> dict[int, int]:
    """For each cluster (noise excluded), the row closest to the cluster's mean."""
    chosen = {}
    for label in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == label)
        centre = X[rows].mean(axis=0)
        chosen[int(label)] = int(rows[np.argmin(((X[rows] - centre) ** 2).sum(axis=1))])
    return chosen


def farthest_point_sampling(X: np.ndarray, n: int, start: int | None = None) -> np.ndarray:
    """``n`` rows, each the farthest (euclidean) from all rows picked before it.

    Starts from ``start`` or, by default, the row farthest from the mean; deterministic.
    """
    X = np.asarray(X, dtype=float)
    n = min(int(n), len(X))
    if n <= 0:
        return np.empty(0, dtype=int)
    first = int(np.argmax(((X - X.mean(axis=0)) ** 2).sum(axis=1))) if start is None else int(start)
    picked = [first]
    distance = ((X - X[first]) ** 2).sum(axis=1)
    for _ in range(n - 1):
        nxt = int(np.argmax(distance))
        picked.append(nxt)
        distance = np.minimum(distance, ((X - X[nxt]) ** 2).sum(axis=1))
    return np.asarray(picked, dtype=int)
