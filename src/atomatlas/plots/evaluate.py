"""Figures of evaluations: contingency / confusion matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atomatlas.plots import new_figure


def confusion(table: pd.DataFrame, title: str = "confusion matrix", xlabel: str = "cluster",
              ylabel: str = "class"):
    """A count matrix as a heatmap with the counts written in."""
    counts = table.to_numpy()
    fig, ax = new_figure(max(4.0, 0.7 * counts.shape[1] + 2), max(3.5, 0.5 * counts.shape[0] + 1.5))
    image = ax.imshow(counts, cmap="Blues")
    ax.set_xticks(np.arange(counts.shape[1]), [str(c) for c in table.columns], rotation=45, ha="right")
    ax.set_yticks(np.arange(counts.shape[0]), [str(r) for r in table.index])
    threshold = counts.max() / 2 if counts.size else 0
    for (i, j), value in np.ndenumerate(counts):
        ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                color="white" if value > threshold else "black")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return fig


def grid_scores(search: dict, name: str):
    """Cross-validated accuracy over a grid of one parameter (e.g. k of kmeans_logistic)."""
    import numpy as np

    fig, ax = new_figure(6.0, 3.8)
    values = np.asarray(search["values"])
    mean, std = np.asarray(search["mean_accuracy"]), np.asarray(search["std_accuracy"])
    ax.errorbar(values, mean, yerr=std, fmt="o-", color="#4c72b0", capsize=3)
    best = next(iter(search["best"].values()))
    ax.axvline(best, color="#c44e52", linestyle="--", label=f"chosen {name} = {best}")
    ax.set_xlabel(name)
    ax.set_ylabel("cross-validated accuracy")
    ax.legend()
    return fig
