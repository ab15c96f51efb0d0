"""Figures of reductions: scree plot and 2-D maps."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import cluster_colours, new_figure


def scree(explained_variance_ratio, title: str = "PCA explained variance"):
    ratio = np.asarray(explained_variance_ratio, dtype=float)
    fig, ax = new_figure()
    components = np.arange(1, len(ratio) + 1)
    ax.bar(components, ratio, color="#4c72b0", label="per component")
    ax.plot(components, np.cumsum(ratio), "o-", color="#dd8452", label="cumulative")
    ax.set_xlabel("principal component")
    ax.set_ylabel("explained variance ratio")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(components)
    ax.set_title(title)
    ax.legend(loc="center right")
    return fig


def _class_colours(clusters, classes, cluster_names, class_names, colours):
    """Give each known class the colour of the cluster it is matched to (Hungarian), so agreement shows."""
    from scipy.optimize import linear_sum_assignment

    known = np.array([v is not None and v == v for v in classes])
    counts = np.array([[np.sum(known & (classes == c) & (clusters == k)) for k in cluster_names] for c in class_names])
    rows, cols = linear_sum_assignment(counts, maximize=True)
    mapping = {class_names[r]: colours[c] for r, c in zip(rows, cols) if counts[r, c] > 0}
    spare = iter([colour for i, colour in enumerate(cluster_colours(len(cluster_names) + len(class_names)))
                  if i >= len(cluster_names)])
    return [mapping.get(name) or next(spare) for name in class_names]


MAP_POINTS = 20_000  # rows drawn in a map figure: a seeded uniform sample beyond (report.html draws them all)


def embedding_map(embedding, clusters=None, classes=None, title: str = "2-D map", axis_name: str = "embedding"):
    """Rows on the first two embedding axes: coloured by cluster, and by known class if given (at most
    MAP_POINTS of them, a uniform sample).

    Each class takes the colour of its best-matching cluster, so the two panels agree
    where the clustering agrees with the labels.
    """
    embedding = np.asarray(embedding, dtype=float)
    if len(embedding) > MAP_POINTS:  # drawing every marker of 10^6 rows takes half a minute and shows a blot
        rows = np.sort(np.random.default_rng(0).choice(len(embedding), MAP_POINTS, replace=False))
        title = f"{title} ({MAP_POINTS:,} of {len(embedding):,} rows)"
        embedding = embedding[rows]
        clusters = None if clusters is None else np.asarray(clusters)[rows]
        classes = None if classes is None else np.asarray(classes, dtype=object)[rows]
    panels = [("cluster", clusters)] + ([("class", classes)] if classes is not None else [])
    fig, axes = new_figure(6.0 * len(panels), 5.0, ncols=len(panels))
    axes = np.atleast_1d(axes)
    cluster_names = sorted(set(np.asarray(clusters).tolist())) if clusters is not None else []
    cluster_palette = cluster_colours(len(cluster_names))
    for ax, (kind, values) in zip(axes, panels):
        if values is None:
            ax.scatter(embedding[:, 0], embedding[:, 1], s=8, color="#4c72b0")
        else:
            values = np.asarray(values, dtype=object)
            known = np.array([v is not None and v == v for v in values])  # drop NaN / None
            if kind == "class":
                ax.scatter(embedding[~known, 0], embedding[~known, 1], s=5, color="#d0d0d0", label="unlabelled")
                names = sorted(set(values[known].tolist()), key=str)
                colours = (_class_colours(np.asarray(clusters), values, cluster_names, names, cluster_palette)
                           if clusters is not None else cluster_colours(len(names)))
            else:
                names, colours = cluster_names, cluster_palette
            for colour, name in zip(colours, names):
                rows = known & (values == name)
                label = ("noise" if name == -1 else f"cluster {name}") if kind == "cluster" else str(name)
                ax.scatter(embedding[rows, 0], embedding[rows, 1], s=10 if kind == "cluster" else 18,
                           color="#888888" if (kind == "cluster" and name == -1) else colour, label=label)
            ax.legend(fontsize=7, markerscale=1.5, loc="best", ncols=2 if len(names) > 8 else 1)
        ax.set_xlabel(f"{axis_name} 1")
        ax.set_ylabel(f"{axis_name} 2")
        ax.set_title(f"{title}: {'clusters' if kind == 'cluster' else 'known classes'}" if len(panels) > 1 else title)
    return fig
