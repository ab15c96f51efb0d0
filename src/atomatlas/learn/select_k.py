"""Choosing the number of clusters: silhouette, BIC/AIC for mixtures, or the inertia elbow."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from atomatlas.errors import AtlasError

CRITERIA = ("silhouette", "bic", "aic", "elbow")
# How each criterion picks: the best row of the score table.
_BEST = {"silhouette": np.argmax, "bic": np.argmin, "aic": np.argmin}

# Silhouette is O(n^2): above this many rows it is estimated on a fixed random sample.
SILHOUETTE_SAMPLE = 6000


def within_cluster_sse(X: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances to cluster means (KMeans' inertia, for any clustering)."""
    total = 0.0
    for label in np.unique(labels):
        if label < 0:
            continue
        members = X[labels == label]
        total += float(((members - members.mean(axis=0)) ** 2).sum())
    return total


def silhouette(X: np.ndarray, labels: np.ndarray, random_state=0) -> float:
    """Mean silhouette of the non-noise rows; nan when fewer than 2 clusters remain."""
    keep = labels >= 0
    n_clusters = len(np.unique(labels[keep]))
    if n_clusters < 2 or n_clusters >= keep.sum():
        return float("nan")
    sample = SILHOUETTE_SAMPLE if keep.sum() > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(X[keep], labels[keep], sample_size=sample, random_state=random_state))


def score_labels(X: np.ndarray, labels: np.ndarray, estimator=None, random_state=0) -> dict:
    """Every cheap quality score of one clustering (higher silhouette/CH, lower DB/BIC/AIC is better)."""
    keep = labels >= 0
    n_clusters = len(np.unique(labels[keep]))
    scores = {"silhouette": silhouette(X, labels, random_state), "inertia": within_cluster_sse(X, labels)}
    if 2 <= n_clusters < keep.sum():
        scores["calinski_harabasz"] = float(calinski_harabasz_score(X[keep], labels[keep]))
        scores["davies_bouldin"] = float(davies_bouldin_score(X[keep], labels[keep]))
    if estimator is not None and hasattr(estimator, "bic"):
        scores["bic"] = float(estimator.bic(X))
        scores["aic"] = float(estimator.aic(X))
    return scores


def elbow_index(ks: np.ndarray, inertia: np.ndarray) -> int:
    """Kneedle: the point of the normalised curve farthest below the chord from first to last."""
    if len(ks) < 3:
        return 0
    x = (ks - ks[0]) / (ks[-1] - ks[0])
    span = inertia[0] - inertia[-1]
    y = (inertia - inertia[-1]) / span if span > 0 else np.zeros_like(inertia)
    # The chord runs from (0, 1) to (1, 0); a convex decreasing curve lies below it.
    return int(np.argmax(1.0 - x - y))


def choose(scores: pd.DataFrame, criterion: str) -> int:
    """The k chosen from a score table (one row per k)."""
    if criterion == "elbow":
        return int(scores["k"].iloc[elbow_index(scores["k"].to_numpy(float), scores["inertia"].to_numpy(float))])
    values = scores[criterion].to_numpy(float)
    if np.all(np.isnan(values)):
        raise AtlasError(f"automatic k: no k in {scores['k'].tolist()} gave a usable {criterion} score; "
                         "widen --k-min/--k-max or choose k yourself.")
    values = np.where(np.isnan(values), -np.inf if criterion == "silhouette" else np.inf, values)
    return int(scores["k"].iloc[_BEST[criterion](values)])


def search_k(estimator, X: np.ndarray, ks, k_param: str, *, random_state=0, progress=None) -> pd.DataFrame:
    """Fit ``estimator`` once per k and score each fit. Returns one row per k."""
    rows = []
    for k in ks if progress is None else progress(ks):
        model = clone(estimator).set_params(**{k_param: int(k)})
        labels = np.asarray(model.fit_predict(X))
        rows.append({"k": int(k), **score_labels(X, labels, model, random_state)})
    return pd.DataFrame(rows)
