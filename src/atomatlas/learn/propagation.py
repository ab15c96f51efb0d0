"""Label few, label many: ask for the labels of cluster representatives and spread them.

Seed 004's recipe: cluster the unlabelled rows into ``k`` clusters (k = the labelling
budget), ask an expert for the label of the row closest to each centroid, give that label
to the whole cluster or only to the fraction of it closest to the centroid (outliers keep
no label), then train a classifier on the propagated labels. Label spreading over a
k-nearest-neighbour graph (scikit-learn's LabelSpreading) is offered as the alternative.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_array, check_is_fitted

from atomatlas.errors import AtlasError
from atomatlas.learn.sampling import representatives

PROPAGATIONS = ("cluster", "spread")


def seed_classifier(random_state=42):
    """The seed's classifier: one-vs-rest logistic regression (lbfgs, max_iter 5000).

    scikit-learn >= 1.7 dropped ``multi_class="ovr"``; OneVsRestClassifier is the same model.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(LogisticRegression(max_iter=5000, random_state=random_state))


class ClusterPropagation(ClusterMixin, BaseEstimator):
    """KMeans with one representative per cluster, and label propagation from them.

    Parameters
    ----------
    n_clusters : the number of clusters, usually the labelling budget.
    fraction : share of each cluster (closest to its centroid) that takes the cluster's label;
        1.0 labels whole clusters, the seed's partial propagation uses 0.2.
    random_state : KMeans seed.
    """

    def __init__(self, n_clusters: int = 50, fraction: float = 1.0, random_state=None):
        self.n_clusters = n_clusters
        self.fraction = fraction
        self.random_state = random_state

    def fit(self, X, y=None):
        X = check_array(X, dtype=float)
        if not 0.0 < self.fraction <= 1.0:
            raise AtlasError(f"fraction must be in (0, 1]; got {self.fraction}.")
        if not 1 <= self.n_clusters <= len(X):
            raise AtlasError(f"the labelling budget ({self.n_clusters}) must be between 1 and the number of "
                             f"unlabelled rows ({len(X)}); lower --budget.")
        self.kmeans_ = KMeans(n_clusters=self.n_clusters, n_init=10, random_state=self.random_state)
        distances = self.kmeans_.fit_transform(X)
        self.labels_ = self.kmeans_.labels_
        self.distance_ = distances[np.arange(len(X)), self.labels_]  # to the row's own centroid
        chosen = representatives(X, self.labels_)  # the row closest to each cluster's centre
        self.representatives_ = np.array([chosen[c] for c in range(self.n_clusters)])
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X) -> np.ndarray:
        """The cluster of each new row (its nearest centroid)."""
        check_is_fitted(self, "kmeans_")
        return self.kmeans_.predict(check_array(X, dtype=float))

    def within_fraction(self, fraction: float | None = None) -> np.ndarray:
        """Rows within the ``fraction`` of their cluster closest to its centroid."""
        fraction = self.fraction if fraction is None else fraction
        keep = np.zeros(len(self.labels_), dtype=bool)
        for cluster in range(self.n_clusters):
            rows = self.labels_ == cluster
            cutoff = np.percentile(self.distance_[rows], 100 * fraction)
            keep |= rows & (self.distance_ <= cutoff)
        return keep

    def propagate(self, known: dict[int, object], fraction: float | None = None) -> np.ndarray:
        """Labels for every row (object array, None = no label) from ``known`` {row: label}.

        A cluster takes its representative's label when known, else the most common label of
        its labelled rows; rows the expert labelled always keep their own label.
        """
        propagated = np.full(len(self.labels_), None, dtype=object)
        for cluster in range(self.n_clusters):
            representative = int(self.representatives_[cluster])
            if representative in known:
                label = known[representative]
            else:
                votes = [known[row] for row in np.flatnonzero(self.labels_ == cluster) if int(row) in known]
                if not votes:
                    continue
                values, counts = np.unique(np.asarray(votes, dtype=str), return_counts=True)
                label = next(v for v in votes if str(v) == values[np.argmax(counts)])
            propagated[self.labels_ == cluster] = label
        propagated[~self.within_fraction(fraction)] = None
        for row, label in known.items():
            propagated[row] = label
        return propagated


def spread(X, known: dict[int, object], n_neighbors: int = 10) -> np.ndarray:
    """Label spreading over a k-nearest-neighbour graph (every row gets a label)."""
    from sklearn.semi_supervised import LabelSpreading

    classes = sorted({str(v) for v in known.values()})
    codes = np.full(len(X), -1)
    for row, label in known.items():
        codes[row] = classes.index(str(label))
    if len(classes) < 2:  # one class known: nothing to spread between
        return np.asarray([next(iter(known.values()))] * len(X), dtype=object)
    model = LabelSpreading(kernel="knn", n_neighbors=min(n_neighbors, len(X) - 1), max_iter=100).fit(X, codes)
    return np.asarray([classes[i] for i in model.transduction_], dtype=object)


def least_certain(proba: np.ndarray, clusters: np.ndarray, exclude: np.ndarray, n: int) -> np.ndarray:
    """Rows to label next: the least confident predictions, at most one per cluster (the seed's advice)."""
    confidence = proba.max(axis=1)
    order = np.argsort(confidence, kind="stable")
    picked, seen = [], set()
    for row in order:
        if exclude[row] or clusters[row] in seen:
            continue
        picked.append(int(row))
        seen.add(clusters[row])
        if len(picked) == n:
            break
    return np.asarray(picked, dtype=int)
