"""Figures of a label-few run: the propagated labels on a map, and the strategies compared."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import cluster_colours, new_figure


def propagation_map(view, propagated, representatives, title: str = "propagated labels"):
    """Rows on two PCA axes coloured by propagated label (grey: none); representatives as stars."""
    fig, ax = new_figure(6.5, 5.0)
    propagated = np.asarray(propagated, dtype=object)
    none = np.array([v is None for v in propagated])
    ax.scatter(view[none, 0], view[none, 1], s=6, color="#cccccc", label="no label", zorder=0)
    names = sorted({str(v) for v in propagated[~none]})
    colours = cluster_colours(len(names))
    as_text = np.array([str(v) for v in propagated])
    for name, colour in zip(names, colours):
        rows = ~none & (as_text == name)
        ax.scatter(view[rows, 0], view[rows, 1], s=8, color=colour, label=name if len(names) <= 20 else None)
    ax.scatter(view[representatives, 0], view[representatives, 1], marker="*", s=90, facecolor="none",
               edgecolor="black", linewidth=0.8, label="asked (representatives)")
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(title)
    ax.legend(fontsize=7, markerscale=1.2, ncols=2 if len(names) > 8 else 1, loc="best")
    return fig


def strategy_bars(rows: list[dict], scored_on: str):
    """Accuracy of each labelling strategy (error bar: std over random draws)."""
    fig, ax = new_figure(7.0, 3.8)
    names = [row["strategy"] for row in rows]
    values = [row["accuracy"] if row["accuracy"] is not None else np.nan for row in rows]
    errors = [row.get("accuracy_std") or 0.0 for row in rows]
    y = np.arange(len(rows))
    ax.barh(y, values, xerr=errors, color="#4c72b0")
    for yi, value in zip(y, values):
        if np.isfinite(value):
            ax.text(value + 0.005, yi, f"{value:.3f}", va="center", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    low = np.nanmin(values) if np.isfinite(values).any() else 0.0
    ax.set_xlim(max(0.0, low - 0.1), 1.02)
    ax.set_xlabel(f"accuracy of the classifier on {scored_on}")
    return fig
