"""Labelling new rows with clusterers that only label their training rows.

KMeans and mixtures predict new rows themselves. DBSCAN, HDBSCAN, spectral and
agglomerative clustering do not; :class:`NearestClusterAssigner` gives a new row the
cluster of its nearest training row. For density methods only clustered rows are
used (DBSCAN: its core samples), and a new row farther than ``radius`` (DBSCAN's
``eps``) from all of them is noise, -1, as DBSCAN itself would call it.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.validation import check_array, check_is_fitted


class NearestClusterAssigner(ClassifierMixin, BaseEstimator):
    """1-nearest-neighbour assignment of new rows to the clusters of reference rows."""

    def __init__(self, radius=None, metric="euclidean"):
        self.radius = radius
        self.metric = metric

    def fit(self, X, y):
        X = check_array(X, dtype=float)
        y = np.asarray(y, dtype=int)
        self.reference_labels_ = y
        self.neighbours_ = NearestNeighbors(n_neighbors=1, metric=self.metric, algorithm="brute").fit(X)
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        check_is_fitted(self, "neighbours_")
        X = check_array(X, dtype=float)
        if len(self.reference_labels_) == 0:  # everything was noise
            return np.full(X.shape[0], -1, dtype=int)
        distance, index = self.neighbours_.kneighbors(X)
        labels = self.reference_labels_[index[:, 0]].copy()
        if self.radius is not None:
            labels[distance[:, 0] > self.radius] = -1
        return labels


def assigner_for(estimator, X: np.ndarray, labels: np.ndarray):
    """An object whose ``predict`` labels new rows like ``estimator`` labelled ``X``."""
    if hasattr(estimator, "predict"):
        return estimator
    metric = getattr(estimator, "metric", "euclidean")
    metric = metric if isinstance(metric, str) and metric not in ("precomputed", "rbf") else "euclidean"
    core = getattr(estimator, "core_sample_indices_", None)
    if core is not None:  # DBSCAN: only core samples carry a cluster; eps is the reach
        return NearestClusterAssigner(radius=float(estimator.eps), metric=metric).fit(X[core], labels[core])
    clustered = labels >= 0  # HDBSCAN and friends: noise rows do not pass their label on
    return NearestClusterAssigner(metric=metric).fit(X[clustered], labels[clustered])
