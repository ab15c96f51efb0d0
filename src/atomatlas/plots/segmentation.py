"""Figure of a segmentation: original, segmented (phase mean colours) and phase map with area fractions."""

from __future__ import annotations

import numpy as np

from atomatlas.plots import cluster_colours, new_figure


def phase_colours(n: int) -> np.ndarray:
    return np.array([colour[:3] for colour in cluster_colours(n)])


def overview(image, segmented, label_map, phases, colours):
    from matplotlib.patches import Patch

    fig, axes = new_figure(12.0, 4.4, ncols=3)
    grey = image.shape[2] == 1
    for ax, picture, title in ((axes[0], image, "original"), (axes[1], segmented, "segmented (phase mean colour)")):
        ax.imshow(picture[..., 0] if grey else picture, cmap="gray" if grey else None, vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_title(title)
    shown = np.where(label_map[..., None] >= 0, colours[np.clip(label_map, 0, None)], 0.0)
    axes[2].imshow(shown, interpolation="nearest")
    axes[2].set_title("phases")
    handles = [Patch(color=colours[int(row.phase)], label=f"phase {int(row.phase)}: {row.area_fraction:.1%}")
               for row in phases.itertuples() if row.phase >= 0]
    axes[2].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, title="area")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
