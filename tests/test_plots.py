import numpy as np
import pandas as pd

from atomatlas.plots import cluster as cluster_plots
from atomatlas.plots import evaluate as evaluate_plots
from atomatlas.plots import reduce as reduce_plots
from atomatlas.plots import save


def test_k_selection_has_one_panel_per_available_score():
    scores = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.3, 0.6, 0.4], "inertia": [9.0, 4.0, 3.0]})
    assert len(cluster_plots.k_selection(scores, 3, "silhouette").axes) == 2
    scores["bic"], scores["aic"] = [5.0, 3.0, 4.0], [5.0, 2.0, 4.0]
    fig = cluster_plots.k_selection(scores, 3, "bic")
    assert len(fig.axes) == 4 and "bic picks k = 3" in fig._suptitle.get_text()


def test_classes_take_the_colour_of_their_matched_cluster(blobs):
    X, y = blobs
    clusters = (y + 1) % 3  # same partition, other ids
    classes = np.array(["a", "b", "c"], dtype=object)[y]
    fig = reduce_plots.embedding_map(X[:, :2], clusters, classes)
    cluster_ax, class_ax = fig.axes
    by_label = lambda ax: {c.get_label(): tuple(c.get_facecolor()[0]) for c in ax.collections}  # noqa: E731
    clusters_colour, classes_colour = by_label(cluster_ax), by_label(class_ax)
    for name, cluster in (("a", 1), ("b", 2), ("c", 0)):
        assert classes_colour[name] == clusters_colour[f"cluster {cluster}"]


def test_every_figure_renders(tmp_path, blobs):
    X, y = blobs
    figures = {
        "scree": reduce_plots.scree([0.6, 0.3, 0.1]),
        "silhouette": cluster_plots.silhouette_diagram(X, y),
        "dendrogram": cluster_plots.dendrogram(X[:30], leaf_labels=[f"r{i}" for i in range(30)]),
        "dendrogram_truncated": cluster_plots.dendrogram(X, max_leaves=20),
        "features": cluster_plots.feature_dendrogram(X, ["a", "b", "c", "d"]),
        "confusion": evaluate_plots.confusion(pd.DataFrame([[3, 0], [1, 4]], index=["x", "y"], columns=[0, 1])),
    }
    for name, fig in figures.items():
        save(fig, tmp_path / f"{name}.png")
        assert (tmp_path / f"{name}.png").stat().st_size > 5000, name
    labels = [t.get_text() for t in figures["dendrogram"].axes[0].get_xticklabels()]
    assert sorted(labels) == sorted(f"r{i}" for i in range(30))


def test_silhouette_diagram_with_one_cluster_says_so(blobs):
    X, _ = blobs
    fig = cluster_plots.silhouette_diagram(X, np.zeros(len(X), dtype=int))
    assert "fewer than two clusters" in fig.axes[0].texts[0].get_text()
