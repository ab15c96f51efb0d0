"""Two-level clustering: find the main groups, then split a group only where it has clear structure.

A materials table often has coarse classes (coordination number) that each hide finer
ones (a flat sheet versus a tube). Clustering everything at a larger k splits the big
classes into arbitrary pieces before it separates the small ones; clustering each main
group on its own, and splitting it only when its best silhouette reaches
``split_threshold`` (0.5: "reasonable structure" on Kaufman & Rousseeuw's scale), does not.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, clone
from sklearn.utils.validation import check_array, check_is_fitted


class NestedClusterer(ClusterMixin, BaseEstimator):
    """Cluster (``outer``, k chosen by silhouette unless given), then re-cluster each cluster (``inner``).

    Parameters
    ----------
    outer, inner : k-choosing clusterers (``AtlasCluster``), unfitted: cloned for every fit
    k : int or "auto", the outer number of clusters
    k_max : int, largest outer k tried
    inner_k_max : int, largest k tried inside one outer cluster
    split_threshold : float, the inner best silhouette a cluster needs to be split

    Attributes
    ----------
    outer_ : the fitted outer clusterer
    inner_ : list of fitted inner clusterers or None, one per outer cluster (None: not split)
    offsets_ : ndarray, first final label of each outer cluster
    splits_ : list of dict, what was tried in each outer cluster and why it was (not) split
    scores_ : dict of arrays, the outer k search
    """

    def __init__(self, outer=None, inner=None, k="auto", k_max=10, inner_k_max=6, split_threshold=0.5):
        self.outer = outer
        self.inner = inner
        self.k = k
        self.k_max = k_max
        self.inner_k_max = inner_k_max
        self.split_threshold = split_threshold

    def fit(self, X, y=None):
        X = check_array(X, dtype=float)
        if self.outer is None or self.inner is None:
            raise ValueError("NestedClusterer needs outer and inner clusterers, e.g. AtlasCluster('kmeans') "
                             "(make_clusterer('nested') builds them by name).")
        self.outer_ = clone(self.outer).set_params(k=self.k, k_max=self.k_max).fit(X)
        self.scores_ = self.outer_.scores_
        outer_labels = self.outer_.labels_
        n_outer = int(outer_labels.max()) + 1 if (outer_labels >= 0).any() else 0
        self.inner_, self.splits_, offsets = [], [], []
        labels = np.full(len(X), -1, dtype=int)
        next_label = 0
        for cluster in range(n_outer):
            rows = np.flatnonzero(outer_labels == cluster)
            candidate, best = None, float("nan")
            k_max = min(self.inner_k_max, len(rows) - 1)
            if k_max >= 2:
                candidate = clone(self.inner).set_params(k="auto", k_max=k_max).fit(X[rows])
                best = float(np.nanmax(candidate.scores_["silhouette"]))
            split = candidate is not None and best >= self.split_threshold
            self.inner_.append(candidate if split else None)
            self.splits_.append({"outer_cluster": cluster, "rows": int(len(rows)), "best_silhouette": best,
                                 "best_k": int(candidate.k_) if candidate is not None else 1, "split": bool(split)})
            offsets.append(next_label)
            labels[rows] = next_label + (candidate.labels_ if split else 0)
            next_label += candidate.k_ if split else 1
        self.offsets_ = np.asarray(offsets, dtype=int)
        self.labels_ = labels
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        check_is_fitted(self, "offsets_")
        X = check_array(X, dtype=float)
        outer = self.outer_.predict(X)
        labels = np.full(len(X), -1, dtype=int)
        for cluster, inner in enumerate(self.inner_):
            rows = np.flatnonzero(outer == cluster)
            if len(rows):
                labels[rows] = self.offsets_[cluster] + (inner.predict(X[rows]) if inner is not None else 0)
        return labels
