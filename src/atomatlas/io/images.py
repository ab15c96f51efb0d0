"""Micrographs in and out: any format Pillow reads, as floats in [0, 1], with clear errors; PNG out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from atomatlas.errors import AtlasError

MAX_PIXELS = 50_000_000  # refuse decompression bombs with a message, not a crash


def read_image(path: str | Path) -> np.ndarray:
    """An image as ``(rows, cols, channels)`` floats in [0, 1]: 1 channel for grey, 3 for colour.

    Transparency is dropped; 16-bit greyscale keeps its full range.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.exists():
        raise AtlasError(f"{path}: file not found; check the path.")
    if path.is_dir():
        raise AtlasError(f"{path}: is a folder, not an image file.")
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise AtlasError(f"{path}: {image.width} x {image.height} pixels is more than {MAX_PIXELS:,}; "
                                 "crop or downsample it first.")
            image.load()
            mode = image.mode
            if mode in ("I;16", "I;16B", "I;16L", "I"):
                array = np.asarray(image, dtype=float)
                array = array / (65535.0 if array.max() > 255 else 255.0)
                return array[:, :, None]
            if mode in ("1", "L", "LA"):
                return np.asarray(image.convert("L"), dtype=float)[:, :, None] / 255.0
            return np.asarray(image.convert("RGB"), dtype=float) / 255.0
    except AtlasError:
        raise
    except UnidentifiedImageError:
        raise AtlasError(f"{path}: not an image Pillow can read; give a PNG, JPEG, TIFF or BMP file.") from None
    except (OSError, ValueError) as exc:
        raise AtlasError(f"{path}: cannot read the image ({exc}).") from exc


def is_grey(image: np.ndarray) -> bool:
    """One channel, or three equal channels."""
    return image.shape[2] == 1 or bool(np.allclose(image[..., 0], image[..., 1]) and
                                       np.allclose(image[..., 1], image[..., 2]))


def write_png(path: str | Path, image: np.ndarray) -> None:
    """Write floats in [0, 1], shaped (rows, cols), (rows, cols, 1) or (rows, cols, 3), as an 8-bit PNG."""
    from PIL import Image

    data = np.round(np.clip(image, 0.0, 1.0) * 255).astype(np.uint8)
    if data.ndim == 3 and data.shape[2] == 1:
        data = data[..., 0]
    Image.fromarray(data).save(path, format="PNG")
