"""Scores of a clustering against known labels: ARI, NMI, cluster accuracy, purity, contingency."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from atomatlas.errors import AtlasError


def contingency(labels_true, labels_pred) -> pd.DataFrame:
    """Counts of rows per (true class, cluster): classes as rows, clusters as columns."""
    table = pd.crosstab(pd.Series(np.asarray(labels_true), name="class"),
                        pd.Series(np.asarray(labels_pred), name="cluster"))
    return table.sort_index(axis=0).sort_index(axis=1)


def cluster_accuracy(labels_true, labels_pred) -> float:
    """Fraction of rows right under the best one-to-one matching of clusters to classes.

    The matching maximises matched rows (Hungarian algorithm); rows in clusters left
    unmatched (more clusters than classes) and noise rows (-1) count as wrong. The value
    does not change when cluster ids are permuted.
    """
    labels_true = np.asarray(labels_true)
    labels_pred = np.asarray(labels_pred)
    if len(labels_true) == 0:
        raise AtlasError("cluster accuracy needs at least one labelled row.")
    table = contingency(labels_true, labels_pred)
    if -1 in table.columns:
        table = table.drop(columns=-1)
    if table.shape[1] == 0:
        return 0.0
    rows, cols = linear_sum_assignment(table.to_numpy(), maximize=True)
    return float(table.to_numpy()[rows, cols].sum() / len(labels_true))


def purity(labels_true, labels_pred) -> float:
    """Fraction of rows whose cluster's majority class is their own class (many-to-one)."""
    table = contingency(labels_true, labels_pred)
    return float(table.max(axis=0).sum() / table.to_numpy().sum())


def evaluate_clusters(labels_true, labels_pred) -> dict:
    """All scores for the rows that have a label (missing labels, NaN or None, are skipped)."""
    labels_true = pd.Series(labels_true).reset_index(drop=True)
    labels_pred = np.asarray(labels_pred)
    known = labels_true.notna().to_numpy()
    if not known.any():
        raise AtlasError("no row has a label to evaluate against.")
    truth = labels_true[known].astype(str).to_numpy()
    pred = labels_pred[known]
    return {
        "n_labelled": int(known.sum()),
        "n_classes": int(len(np.unique(truth))),
        "n_clusters": int(len(np.unique(pred[pred >= 0]))),
        "adjusted_rand_index": float(adjusted_rand_score(truth, pred)),
        "normalized_mutual_info": float(normalized_mutual_info_score(truth, pred)),
        "cluster_accuracy": cluster_accuracy(truth, pred),
        "purity": purity(truth, pred),
    }


LABEL_TRANSFORMS = {
    "none": lambda s: s,
    # Carbon's nnatom codes 2.5 (sp2 edge) and 3.5 (sp2 tube) fold onto their coordination number.
    "floor": lambda s: np.floor(pd.to_numeric(s, errors="raise")).astype("Int64").astype(object).where(s.notna()),
}


def transform_labels(labels: pd.Series, transform: str) -> pd.Series:
    """Apply a named label transform (``none`` or ``floor``)."""
    if transform not in LABEL_TRANSFORMS:
        raise AtlasError(f"unknown label transform {transform!r}; choose one of {list(LABEL_TRANSFORMS)}.")
    try:
        return LABEL_TRANSFORMS[transform](labels)
    except (ValueError, TypeError) as exc:
        raise AtlasError(f"label transform {transform!r} needs numeric labels ({exc}).") from exc
