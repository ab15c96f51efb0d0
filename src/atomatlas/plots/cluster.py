"""Figures of clusterings: choosing k, silhouette diagram, dendrograms."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomatlas.plots import cluster_colours, new_figure

_LABELS = {"silhouette": "mean silhouette (higher is better)", "inertia": "within-cluster SSE (elbow)",
           "bic": "BIC (lower is better)", "aic": "AIC (lower is better)"}


def k_selection(scores: pd.DataFrame, chosen_k: int, criterion: str, merged_to: int | None = None):
    """Every criterion against k, with the chosen k marked (``merged_to``: the clusters its components became)."""
    columns = [c for c in ("silhouette", "inertia", "bic", "aic") if c in scores and scores[c].notna().any()]
    fig, axes = new_figure(4.0 * len(columns), 3.6, ncols=len(columns))
    for ax, column in zip(np.atleast_1d(axes), columns):
        ax.plot(scores["k"], scores[column], "o-", color="#4c72b0")
        ax.axvline(chosen_k, color="#c44e52", ls="--", lw=1)
        ax.set_xlabel("k")
        ax.set_title(_LABELS[column] + (" *" if column == criterion or (criterion == "elbow" and column == "inertia")
                                        else ""), fontsize=9)
        ax.set_xticks(scores["k"])
    merged = "" if merged_to is None else f" components,\nmerged into {merged_to} clusters"
    fig.suptitle(f"choosing k: {criterion} picks k = {chosen_k}{merged}")
    return fig


def silhouette_diagram(X, labels, title: str = "silhouette per row", values=None):
    """Each row's silhouette, grouped by cluster and sorted: thin or negative bands are weak clusters.
    ``values``: the silhouettes of the rows that are not noise, when already computed."""
    from sklearn.metrics import silhouette_samples

    labels = np.asarray(labels)
    keep = labels >= 0
    fig, ax = new_figure(6.0, 5.0)
    clusters = np.unique(labels[keep])
    if len(clusters) < 2:
        ax.text(0.5, 0.5, "fewer than two clusters: no silhouette", ha="center", transform=ax.transAxes)
        return fig
    if values is None:
        values = silhouette_samples(X[keep], labels[keep])
    colours = cluster_colours(len(clusters))
    bottom = 0
    for colour, cluster in zip(colours, clusters):
        band = np.sort(values[labels[keep] == cluster])
        ax.fill_betweenx(np.arange(bottom, bottom + len(band)), 0, band, color=colour, lw=0)
        ax.text(-0.05, bottom + len(band) / 2, str(cluster), ha="right", va="center", fontsize=8)
        bottom += len(band) + 10
    ax.axvline(values.mean(), color="#c44e52", ls="--", lw=1, label=f"mean {values.mean():.3f}")
    ax.set_xlabel("silhouette")
    ax.set_ylabel("rows, by cluster")
    ax.set_yticks([])
    ax.legend(loc="lower right")
    ax.set_title(title)
    return fig


def dendrogram(X, linkage: str = "ward", metric: str = "euclidean", leaf_labels=None, max_leaves: int = 60,
               title: str | None = None):
    """Hierarchical clustering tree of the rows (truncated to ``max_leaves`` merged leaves)."""
    from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram
    from scipy.cluster.hierarchy import linkage as scipy_linkage

    tree = scipy_linkage(np.asarray(X, dtype=float), method=linkage, metric="cityblock" if metric == "manhattan"
                         else metric)
    fig, ax = new_figure(8.0, 4.5)
    truncate = len(X) > max_leaves  # beyond this, leaves are unreadable: show the last merges only
    scipy_dendrogram(tree, ax=ax, truncate_mode="lastp" if truncate else None, p=max_leaves,
                     labels=None if truncate or leaf_labels is None else list(leaf_labels),
                     leaf_rotation=90, leaf_font_size=7, color_threshold=None)
    ax.set_ylabel(f"{linkage} linkage distance ({metric})")
    ax.set_title(title or f"dendrogram ({linkage}, {metric})" + (f", last {max_leaves} merges" if truncate else ""))
    return fig


# beyond this many features (SOAP has hundreds) a feature dendrogram is unreadable and slow to draw
MAX_DENDROGRAM_FEATURES = 60


def feature_dendrogram(X, feature_names, title: str = "feature dendrogram (1 - |correlation|)"):
    """Features grouped by how strongly they correlate: redundant descriptors merge low."""
    from scipy.cluster.hierarchy import dendrogram as scipy_dendrogram
    from scipy.cluster.hierarchy import linkage as scipy_linkage
    from scipy.spatial.distance import squareform

    corr = np.corrcoef(np.asarray(X, dtype=float), rowvar=False)
    distance = np.clip(1.0 - np.abs(np.nan_to_num(corr)), 0.0, None)
    np.fill_diagonal(distance, 0.0)
    tree = scipy_linkage(squareform((distance + distance.T) / 2, checks=False), method="average")
    fig, ax = new_figure(max(6.0, 0.3 * len(feature_names)), 4.5)
    scipy_dendrogram(tree, ax=ax, labels=list(feature_names), leaf_rotation=90, leaf_font_size=7)
    ax.set_ylabel("1 - |correlation|")
    ax.set_title(title)
    return fig
