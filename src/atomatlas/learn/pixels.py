"""Segmenting an image by clustering its pixels (seed 004's colour segmentation).

Each pixel becomes a row: its colour channels (or grey level); with a texture window,
the channels' window means and the grey level's spread in the window instead
(standardised); optionally its position, weighted so that a few phases do not break into spatial tiles. The clusterer
is fitted on a fixed random sample of pixels and then labels every pixel; phases are
numbered from darkest to brightest, so the same image always gives the same numbers.
"""

from __future__ import annotations

import numpy as np


def pixel_features(image: np.ndarray, texture: int = 0, position_weight: float = 0.0) -> tuple[np.ndarray, list]:
    """Rows of pixel features (rows*cols x n) and their names."""
    from scipy import ndimage

    rows, cols, channels = image.shape
    names = ["grey"] if channels == 1 else ["red", "green", "blue"]
    columns = [image.reshape(-1, channels)]
    if texture:
        # window means replace the raw channels (pixel noise would swamp the texture), the grey level's
        # spread in the window is the texture; columns are standardised so both count
        means = ndimage.uniform_filter(image, size=(texture, texture, 1), mode="reflect")
        grey = image.mean(axis=2)
        square = ndimage.uniform_filter(grey ** 2, size=texture, mode="reflect")
        spread = np.sqrt(np.clip(square - ndimage.uniform_filter(grey, size=texture, mode="reflect") ** 2, 0, None))
        columns = [means.reshape(-1, channels), spread.reshape(-1, 1)]
        names = [f"{name}_mean_{texture}px" for name in names] + [f"grey_std_{texture}px"]
        columns = [np.hstack(columns)]
        columns[0] = (columns[0] - columns[0].mean(axis=0)) / np.maximum(columns[0].std(axis=0), 1e-12)
    if position_weight:
        y, x = np.mgrid[0:rows, 0:cols]
        scale = position_weight / max(rows, cols)
        columns += [(y * scale).reshape(-1, 1), (x * scale).reshape(-1, 1)]
        names += ["y", "x"]
    return np.hstack(columns), names


def order_by_brightness(labels: np.ndarray, brightness: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber clusters 0.. from darkest to brightest; returns (labels, old id of each new phase)."""
    present = np.unique(labels[labels >= 0])
    means = np.array([brightness[labels == c].mean() for c in present])
    order = present[np.argsort(means, kind="stable")]
    mapping = np.full(labels.max() + 2, -1)
    mapping[order] = np.arange(len(order))
    return mapping[labels], order


def sample_rows(n_rows: int, n_sample: int, seed: int) -> np.ndarray:
    if n_rows <= n_sample:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=n_sample, replace=False))


def majority_filter(label_map: np.ndarray, size: int) -> np.ndarray:
    """Each pixel takes the most common phase in the ``size`` x ``size`` window around it.

    Removes the thin lines of mixed pixels that a blurred boundary between two phases
    leaves (their average colour can resemble a third phase). Ties keep the lower phase.
    """
    from scipy import ndimage

    phases = np.unique(label_map)
    votes = np.stack([ndimage.uniform_filter((label_map == p).astype(float), size=size, mode="reflect")
                      for p in phases])
    return phases[np.argmax(votes, axis=0)]
