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


def evaluate_contingency(table: pd.DataFrame) -> dict:
    """The scores of :func:`evaluate_clusters` from the counts alone (classes x clusters, -1 = noise), for labels
    too many to hold: a distributed run sums the counts of its partitions."""
    from sklearn.metrics import mutual_info_score

    counts = table.to_numpy(dtype=float)
    n = counts.sum()
    if n == 0:
        raise AtlasError("no row has a label to evaluate against.")

    def pairs(x):
        return float((x * (x - 1) / 2).sum())

    together, rows, cols = pairs(counts), pairs(counts.sum(axis=1)), pairs(counts.sum(axis=0))
    expected = rows * cols / (n * (n - 1) / 2) if n > 1 else 0.0
    top = (rows + cols) / 2 - expected
    ari = 1.0 if top == 0 else (together - expected) / top

    def entropy(x):
        p = x[x > 0] / n
        return float(-(p * np.log(p)).sum())

    h_true, h_pred = entropy(counts.sum(axis=1)), entropy(counts.sum(axis=0))
    mutual = float(mutual_info_score(None, None, contingency=counts))
    nmi = 1.0 if h_true == h_pred == 0 else (mutual / ((h_true + h_pred) / 2) if h_true + h_pred > 0 else 0.0)
    clusters = table.drop(columns=[c for c in table.columns if c == -1])
    matched = clusters.to_numpy(dtype=float)
    rows_, cols_ = linear_sum_assignment(matched, maximize=True) if matched.size else ([], [])
    return {"n_labelled": int(n), "n_classes": int((counts.sum(axis=1) > 0).sum()),
            "n_clusters": int((clusters.to_numpy().sum(axis=0) > 0).sum()),
            "adjusted_rand_index": float(ari), "normalized_mutual_info": float(nmi),
            "cluster_accuracy": float(matched[rows_, cols_].sum() / n) if matched.size else 0.0,
            "purity": float(counts.max(axis=0).sum() / n)}


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
