"""Figures of structures: cluster labels over a surface."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import cluster_colours, new_figure


def site_map(atoms, points_xy, clusters, title: str = "site map", top_layers: int = 2):
    """Probe points coloured by cluster, with the top atomic layers drawn on top (seed 000's figure)."""
    fig, ax = new_figure(7.5, 6.0)
    clusters = np.asarray(clusters)
    names = sorted(set(clusters.tolist()))
    for colour, name in zip(cluster_colours(len(names)), names):
        rows = clusters == name
        ax.scatter(points_xy[rows, 0], points_xy[rows, 1], s=12, color=colour, marker="s", lw=0,
                   label="noise" if name == -1 else f"cluster {name}")
    z = np.round(atoms.positions[:, 2], 2)
    heights = np.unique(z)[::-1][:top_layers]
    for layer, (height, face) in enumerate(zip(heights, ["white", "#bbbbbb"])):
        xy = atoms.positions[z == height]
        ax.scatter(xy[:, 0], xy[:, 1], s=140 if layer == 0 else 60, facecolor=face, edgecolor="black", lw=0.8,
                   alpha=0.55 if layer == 0 else 0.8, zorder=3 - layer,
                   label="top-layer atoms" if layer == 0 else "second layer")
    ax.set_aspect("equal")
    ax.set_xlabel("x (A)")
    ax.set_ylabel("y (A)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
