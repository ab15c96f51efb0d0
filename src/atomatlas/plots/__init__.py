"""Figures: one function per figure, each returning a matplotlib ``Figure``.

Figures are built without pyplot (no global state, no display needed);
:func:`save` writes them as PNG.
"""

from __future__ import annotations

from pathlib import Path


def new_figure(width: float = 6.0, height: float = 4.5, ncols: int = 1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def save(fig, path: str | Path, dpi: int = 120) -> None:
    fig.savefig(path, dpi=dpi, metadata={"Software": None})


def cluster_colours(n: int):
    """A qualitative colour per cluster id (tab10, then tab20)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(max(n, 1))]
