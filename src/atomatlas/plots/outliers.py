"""Figures of anomaly detection: the score distribution with its threshold, and where the flagged rows sit."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import new_figure


def score_histogram(scores, threshold: float, title: str = "anomaly scores"):
    scores = np.asarray(scores, dtype=float)
    fig, ax = new_figure(6.5, 4.0)
    bins = np.histogram_bin_edges(scores, bins=min(60, max(10, len(scores) // 10)))
    ax.hist(scores[scores <= threshold], bins=bins, color="#4c72b0", label="normal")
    ax.hist(scores[scores > threshold], bins=bins, color="#c44e52", label="flagged")
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:.3g}")
    ax.set_yscale("log")
    ax.set_xlabel("anomaly score (higher = odder)")
    ax.set_ylabel("rows")
    ax.set_title(title, fontsize=10)
    ax.legend()
    return fig


def anomaly_map(view, scores, flags, title: str = "anomalies", axis_name: str = "PC"):
    fig, ax = new_figure(6.0, 5.0)
    order = np.argsort(scores)  # odd rows drawn last, on top
    points = ax.scatter(view[order, 0], view[order, 1], c=np.asarray(scores)[order], s=8, cmap="viridis")
    ax.scatter(view[flags, 0], view[flags, 1], s=40, facecolor="none", edgecolor="#c44e52", linewidth=1,
               label="flagged")
    fig.colorbar(points, ax=ax, label="anomaly score")
    ax.set_xlabel(f"{axis_name} 1")
    ax.set_ylabel(f"{axis_name} 2")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="best")
    return fig
