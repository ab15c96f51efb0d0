"""Tables made on first use from data inside registry packages or from the seeds' recipes.

Nothing is downloaded: the digits come with scikit-learn, the rest are drawn with fixed
seeds exactly as seed 004 draws them. Each is written once into
``$ATOMATLAS_CACHE/datasets/KEY/`` (default ``~/.cache/atomatlas``; with
``ATOMATLAS_CACHE=off`` a folder under the system temporary directory), where KEY hashes
the generators' code and the library versions: a change to either makes a new file,
and a file whose checksum no longer matches is made again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _digits() -> pd.DataFrame:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    frame = pd.DataFrame(X.astype(int), columns=[f"pixel_{i}" for i in range(X.shape[1])])
    frame.insert(0, "index", np.arange(len(frame)))
    frame["digit"] = y
    return frame


def _blobs() -> pd.DataFrame:
    from atomatlas.datasets.synthetic import mixture_blobs

    X, y = mixture_blobs()
    return pd.DataFrame({"index": np.arange(len(X)), "x1": X[:, 0], "x2": X[:, 1], "blob": y})


def _moons(noise: float, n_samples: int, random_state: int):
    def make() -> pd.DataFrame:
        from sklearn.datasets import make_moons

        X, y = make_moons(n_samples=n_samples, noise=noise, random_state=random_state)
        return pd.DataFrame({"index": np.arange(len(X)), "x1": X[:, 0], "x2": X[:, 1], "moon": y})
    return make


def _micrograph() -> np.ndarray:
    from atomatlas.datasets.micrograph import micrograph

    image, _ = micrograph()
    return image


# name -> (maker, description); makers return a DataFrame (written as CSV) or an image array (PNG)
GENERATED = {
    "digits.csv": (_digits, "scikit-learn's bundled 8x8 handwritten digits (1797 rows): pixel_0..pixel_63 "
                            "(0-16), label digit; seed 004's label-few and preprocessing examples."),
    "seed004-blobs.csv": (_blobs, "seed 004's Gaussian-mixture data: two sheared blobs and a round one "
                                  "(1250 rows, x1, x2, label blob)."),
    "moons.csv": (_moons(0.05, 1000, 42), "make_moons(1000, noise 0.05, random_state 42): seed 004's DBSCAN data "
                                          "(x1, x2, label moon)."),
    "moons-noisy.csv": (_moons(0.2, 200, 42), "make_moons(200, noise 0.2, random_state 42): seed 003's neural "
                                              "classifier data (x1, x2, label moon)."),
    "micrograph.png": (_micrograph, "a synthetic 256 x 256 colour micrograph with three phases of area fractions "
                                    "0.55 (light matrix), 0.30 (dark) and 0.15 (tinted); "
                                    "atomatlas.datasets.micrograph makes it and its true phase map."),
}


def generator_key(name: str) -> str:
    """What the file's content depends on: its name, the generators' code and the libraries they call."""
    import importlib.metadata as md
    import sys

    from atomatlas.datasets import micrograph, synthetic
    from atomatlas.io.cache import digest, source_digest

    versions = {}
    for package in ("numpy", "scikit-learn", "scipy", "pandas", "pillow"):
        try:
            versions[package] = md.version(package)
        except md.PackageNotFoundError:
            versions[package] = None
    return digest(name, versions, source_digest(sys.modules[__name__], synthetic, micrograph))[:24]


def materialise(name: str) -> Path:
    """The path of generated file ``name``, made (atomically) when missing, outdated or damaged."""
    maker, _ = GENERATED[name]

    def make(path: Path) -> None:
        made = maker()
        if isinstance(made, pd.DataFrame):
            made.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")
        else:
            from atomatlas.io.images import write_png

            write_png(path, made)

    from atomatlas.io.cache import verified_file

    return verified_file(generator_key(name), name, make)
