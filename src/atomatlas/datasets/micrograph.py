"""A synthetic colour micrograph with known phase fractions, for segmentation tests and the demo.

Three phases grow from a smoothed Gaussian random field cut at quantiles, so the true
area fractions are exact; each phase has its own colour (a light matrix, a dark phase
and a tinted precipitate phase, like an etched steel), then the image is blurred a
little and noise is added. Deterministic for a seed; nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

PHASE_NAMES = ("matrix", "dark", "tinted")
PHASE_COLOURS = np.array([[0.85, 0.83, 0.78], [0.25, 0.22, 0.24], [0.70, 0.45, 0.30]])


def micrograph(size: int = 256, fractions=(0.55, 0.30, 0.15), grain: float = 6.0, noise: float = 0.04,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Returns ``(image, truth)``: an RGB float image in [0, 1] (size x size x 3) and the phase of each pixel."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.normal(size=(size, size)), sigma=grain, mode="wrap")
    cuts = np.quantile(field, np.cumsum(fractions)[:-1])
    truth = np.digitize(field, cuts)  # phase 0 below the first cut, ...
    image = PHASE_COLOURS[truth]
    image = ndimage.gaussian_filter(image, sigma=(0.7, 0.7, 0))  # a slightly soft optical image
    image = np.clip(image + rng.normal(0.0, noise, size=image.shape), 0.0, 1.0)
    return image, truth

