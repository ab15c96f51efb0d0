"""SOAP descriptors: atomatlas against raw DScribe on the same work, and its 2-core speed-up.

    .venv/bin/python bench/bench_descriptors.py [--grid 100] [--repeat 2]

Two workloads:
  probes:     seed 000 (Cu(111) 4x4x4 slab, SOAP sigma 0.1, n_max = l_max = 12, polynomial
              weighting r0 = 12) on a grid x grid probe grid: one structure, many centres;
  structures: 96 rattled bcc iron supercells of 128 atoms, SOAP r_cut 5, n_max 8, l_max 6:
              many structures, every atom.
For each, median wall times of --repeat runs, every side with BLAS pinned to one thread
(threadpoolctl), so that no side gets a core's worth of hidden threads:
  overhead  = atomatlas (n_jobs=1) / DScribe `create` (target <= 1.05)
  speed-up  = atomatlas running n_jobs=2's own chunks one after the other in this process
              / atomatlas n_jobs=2 (target >= 1.7 on 2 cores): the same work, chunked the same way
  DScribe's own `create(n_jobs=2)` beside it, with its speed-up over `create(n_jobs=1)`.
(The last run compared an unpinned, unchunked n_jobs=1 with pinned chunked workers: a
super-linear 2.53 on 2 cores that measured BLAS threading, not the parallel path.)
No cache is used: every side computes.
"""

from __future__ import annotations

import argparse
import os
import warnings

import numpy as np
from verdict import median_time, no_target, verdict

from atomatlas.datasets.structures import build_surface
from atomatlas.descriptors import make_descriptor
from atomatlas.descriptors.centers import surface_grid

PARAMS = {"sigma": 0.1, "n_max": 12, "l_max": 12, "species": ["Cu"], "periodic": True,
          "weighting": {"function": "poly", "r0": 12, "m": 2, "c": 1, "d": 1}}


def same_chunks_in_one_process(ours, structures, centers):
    """The batches n_jobs=2 hands its workers, run here one after the other, single-threaded as the workers are."""
    from functools import partial

    from atomatlas.descriptors.base import _batches, _cost, _create_batch
    from atomatlas.descriptors.workers import _single_threaded

    structures = list(structures)
    ours.prepare()
    tasks = list(ours._tasks(structures, centers))
    rows = []
    for batch in _batches(tasks, [_cost(structures[s], c) for s, c in tasks], 2):
        rows += _single_threaded(partial(_create_batch, ours), ([structures[s] for s, _ in batch],
                                                                [c for _, c in batch]))
    return np.vstack([np.atleast_2d(r) for r in rows])


def measure(name, raw, ours, structures, centers, repeat):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # every side single-threaded BLAS: the workers pin theirs too
        create_raw = (lambda: raw.create(structures[0], centers[0])) if centers else \
            (lambda: raw.create(structures, n_jobs=1))
        t_raw, d_raw = median_time(create_raw, repeat)
        t_one, d_one = median_time(lambda: ours.create(structures, centers=centers, n_jobs=1), repeat)
        t_chunks, d_chunks = median_time(lambda: same_chunks_in_one_process(ours, structures, centers), repeat)
        t_two, d_two = median_time(lambda: ours.create(structures, centers=centers, n_jobs=2), repeat)
        t_raw_two = median_time(lambda: raw.create(structures, n_jobs=2), repeat)[0] if not centers else None
    d_raw = np.asarray(d_raw).reshape(-1, d_one.shape[1])
    assert np.allclose(d_raw, d_one) and np.array_equal(d_one, d_two) and np.allclose(d_one, d_chunks), \
        "the sides disagree"
    print(f"{name}: {d_one.shape[0]} rows x {d_one.shape[1]} features (medians of {repeat}, BLAS 1 thread)")
    print(f"  DScribe create n_jobs=1:               {t_raw:.2f} s")
    if t_raw_two is not None:
        print(f"  DScribe create n_jobs=2:               {t_raw_two:.2f} s")
    print(f"  atomatlas create n_jobs=1:             {t_one:.2f} s")
    print(f"  atomatlas n_jobs=2's chunks, 1 process: {t_chunks:.2f} s")
    print(f"  atomatlas create n_jobs=2:             {t_two:.2f} s")
    print(f"  overhead atomatlas / DScribe (n_jobs=1): {t_one / t_raw:.3f} {verdict(t_one / t_raw, 1.05, False, 2)}")
    print(f"  speed-up same chunks / n_jobs=2:         {t_chunks / t_two:.2f} {verdict(t_chunks / t_two, 1.7, True, 1)}")
    if t_raw_two is not None:
        print(f"  DScribe's own speed-up n_jobs=1 / n_jobs=2: {t_raw / t_raw_two:.2f} {no_target('the reference')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
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
