"""Figures of per-atom structure recognition: the share of each class along a trajectory."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import cluster_colours


def fractions_figure(shares, classes):
    """One line per class: its share of the atoms against the frame, one panel per structure file."""
    from matplotlib.figure import Figure

    files = list(dict.fromkeys(shares["structure"]))
    fig = Figure(figsize=(6.5, 1.2 + 2.6 * len(files)), layout="constrained")
    axes = list(np.atleast_1d(fig.subplots(len(files), 1)))
    colours = cluster_colours(len(classes))
    for ax, name in zip(axes, files):
        part = shares[shares["structure"] == name]
        for i, label in enumerate(classes):
            if part[label].max() > 0:
                ax.plot(part["frame"], part[label], "o-", ms=3, color=colours[i], label=label)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("fraction of atoms")
        ax.set_title(str(name).split("/")[-1], fontsize=9)
        ax.legend(fontsize=8, loc="best")
    axes[-1].set_xlabel("frame")
    return fig



def grain_map(positions, labels, slab: tuple[float, float]):
    """Atoms of a slab (centre z, thickness) seen from above, coloured by their class."""
    from matplotlib.figure import Figure

    centre, thickness = slab
    inside = np.abs(positions[:, 2] - centre) < thickness / 2
    fig = Figure(figsize=(6.0, 5.4), layout="constrained")
    ax = fig.subplots()
    names = sorted(set(labels[inside]))
    colours = cluster_colours(len(names))
    for colour, name in zip(colours, names):
        mine = inside & (labels == name)
        ax.scatter(positions[mine, 0], positions[mine, 1], s=9, color=colour, label=f"{name} ({mine.sum()})")
    ax.set_aspect("equal")
    ax.set_xlabel("x (A)")
    ax.set_ylabel("y (A)")
    ax.legend(fontsize=8, loc="upper right", markerscale=2)
    return fig
