"""Picking rows to look at: one representative per cluster, and a diverse subset."""

from __future__ import annotations

import numpy as np


def representatives(X: np.ndarray, labels: np.ndarray) -> dict[int, int]:
    """For each cluster (noise excluded), the row closest to the cluster's mean."""
    X = np.asarray(X, dtype=float)
    norms = np.einsum("ij,ij->i", X, X)
    chosen = {}
    for label in np.unique(labels[labels >= 0]):
        rows = np.flatnonzero(labels == label)
        members = X[rows]
        centre = members.mean(axis=0)
        # |x - c|^2 = |x|^2 - 2 x.c + |c|^2 (one matrix-vector product, no n x d temporaries)
        chosen[int(label)] = int(rows[np.argmin(norms[rows] - 2.0 * (members @ centre))])
    return chosen


def farthest_point_sampling(X: np.ndarray, n: int, start: int | None = None) -> np.ndarray:
    """``n`` rows, each the farthest (euclidean) from all rows picked before it.

    Starts from ``start`` or, by default, the row farthest from the mean; deterministic.
    """
    X = np.asarray(X, dtype=float)
    n = min(int(n), len(X))
    if n <= 0:
        return np.empty(0, dtype=int)
    norms = np.einsum("ij,ij->i", X, X)

    def squared_distance(row: int) -> np.ndarray:  # to every row, as |x|^2 - 2 x.y + |y|^2 (BLAS, no n x d copy)
        return np.maximum(norms - 2.0 * (X @ X[row]) + norms[row], 0.0)

    mean = X.mean(axis=0)
    first = int(np.argmax(norms - 2.0 * (X @ mean))) if start is None else int(start)
    picked = [first]
    distance = squared_distance(first)
    for _ in range(n - 1):
        nxt = int(np.argmax(distance))
        picked.append(nxt)
        distance = np.minimum(distance, squared_distance(nxt))
    return np.asarray(picked, dtype=int)
