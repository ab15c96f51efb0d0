"""SOAP descriptors: atomatlas against raw DScribe on the same work, and its 2-core speed-up.

    .venv/bin/python bench/bench_descriptors.py [--grid 100] [--repeat 2]

Two workloads:
  probes:     seed 000 (Cu(111) 4x4x4 slab, SOAP sigma 0.1, n_max = l_max = 12, polynomial
              weighting r0 = 12) on a grid x grid probe grid: one structure, many centres;
  structures: 96 rattled bcc iron supercells of 128 atoms, SOAP r_cut 5, n_max 8, l_max 6:
              many structures, every atom.
For each, best-of-N wall times and
  overhead  = atomatlas (n_jobs=1) / DScribe `create` (goal <= 1.05)
  speed-up  = atomatlas n_jobs=1 / atomatlas n_jobs=2 (goal >= 1.7 on 2 cores)
No cache is used: every side computes.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from atomatlas.datasets.structures import build_surface
from atomatlas.descriptors import make_descriptor
from atomatlas.descriptors.centers import surface_grid

PARAMS = {"sigma": 0.1, "n_max": 12, "l_max": 12, "species": ["Cu"], "periodic": True,
          "weighting": {"function": "poly", "r0": 12, "m": 2, "c": 1, "d": 1}}


def best(function, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(name, raw, ours, structures, centers, repeat):
    create_raw = (lambda: raw.create(structures[0], centers[0])) if centers else \
        (lambda: raw.create(structures, n_jobs=1))
    t_raw, d_raw = best(create_raw, repeat)
    t_one, d_one = best(lambda: ours.create(structures, centers=centers, n_jobs=1), repeat)
    t_two, d_two = best(lambda: ours.create(structures, centers=centers, n_jobs=2), repeat)
    d_raw = np.asarray(d_raw).reshape(-1, d_one.shape[1])
    assert np.allclose(d_raw, d_one) and np.array_equal(d_one, d_two), "the sides disagree"
    print(f"{name}: {d_one.shape[0]} rows x {d_one.shape[1]} features")
    print(f"  DScribe create:            {t_raw:.2f} s")
    print(f"  atomatlas create n_jobs=1: {t_one:.2f} s")
    print(f"  atomatlas create n_jobs=2: {t_two:.2f} s")
    print(f"  overhead atomatlas / DScribe (n_jobs=1): {t_one / t_raw:.3f}   (goal <= 1.05)")
    print(f"  speed-up n_jobs=1 / n_jobs=2:            {t_one / t_two:.2f}    (goal >= 1.7)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ["ATOMATLAS_CACHE"] = "off"
    from ase.build import bulk
    from dscribe.descriptors import SOAP

    from atomatlas.datasets.structures import thermal_supercells

    print(f"{os.cpu_count()} cores")
    slab = build_surface("fcc111", "Cu", (4, 4, 4), a=3.597, vacuum=10.0)
    points = surface_grid(slab, n=args.grid, height=1.0)
    measure("probes (seed 000)", SOAP(r_cut=None, **PARAMS), make_descriptor("soap", PARAMS), [slab], [points],
            args.repeat)
    frames = thermal_supercells(bulk("Fe", "bcc", a=2.866, cubic=True), (4, 4, 4), 0.01, copies=96, seed=0)
    small = {"r_cut": 5.0, "n_max": 8, "l_max": 6, "sigma": 0.5, "species": ["Fe"], "periodic": True}
    measure("structures (96 x 128 atoms)", SOAP(**small), make_descriptor("soap", small),
            [f.atoms for f in frames], None, args.repeat)


if __name__ == "__main__":
    main()
