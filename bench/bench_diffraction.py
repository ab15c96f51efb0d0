"""Diffraction fingerprints: the fast implementation against the direct per-pixel sum, side by side.

    .venv/bin/python bench/bench_diffraction.py [--structures 40]

Prints structures per second for (1) the direct evaluation in float32 on every pixel, one
core; (2) atomatlas's fingerprint on one core; (3) on two processes; and the ratios.
Structures: rotated ~250-atom clusters of all seven classes (seed 001's setting).
"""

from __future__ import annotations

import argparse

import numpy as np
from verdict import median_time, no_target

from atomatlas.datasets.prototypes import generate
from atomatlas.descriptors.diffraction import Fingerprinter, reference_fingerprint


def rate(function, structures) -> float:
    return len(structures) / median_time(lambda: function(structures))[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structures", type=int, default=42, help="structures per measurement (default 42)")
    args = parser.parse_args()
    per_class = max(1, args.structures // 7)
    structures = generate(per_class, seed=0)
    atoms = np.mean([len(s) for s in structures])
    fast = Fingerprinter()
    fast.create(structures[:2])  # warm up form-factor tables
    direct = rate(lambda batch: [reference_fingerprint(a, dtype=np.float32) for a in batch], structures)
    one = rate(lambda batch: fast.create(batch, n_jobs=1), structures)
    fast.create(structures[:16], n_jobs=2)  # start the worker processes
    two = rate(lambda batch: fast.create(batch, n_jobs=2), structures)
    print(f"{len(structures)} structures, {atoms:.0f} atoms on average")
    print(f"direct per-pixel sum, float32, 1 core : {direct:7.1f} structures/s")
    print(f"atomatlas, 1 core                      : {one:7.1f} structures/s  ({one / direct:.2f}x direct)")
    print(f"atomatlas, 2 processes                 : {two:7.1f} structures/s  ({two / direct:.2f}x direct) "
          f"{no_target('medians of 3; a comparison, no target set')}")


if __name__ == "__main__":
    main()
