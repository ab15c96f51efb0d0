"""SOAP of a trajectory through Dask beside DScribe in one process, in one run.

    .venv/bin/python bench/bench_soap_dask.py [--frames 40] [--workers 2]

Writes an extxyz trajectory of ``--frames`` rattled 2000-atom bcc Fe frames, then times
(1) DScribe's ``SOAP.create`` on all frames in this process (n_jobs 1: its single-process
throughput), with and without ASE reading the file first, and (2) atomatlas's ``environments --scheduler`` path that streams the frames
to ``--workers`` Dask workers, which describe them with the same SOAP and write
features.parquet/ (the LocalCluster is started before the clock). Prints atoms per second
and the speed-up; the target is at least 0.9 x the number of workers (1.8 on 2).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
from verdict import no_target, verdict
from ase.build import bulk
from ase.io import write

SOAP = {"r_cut": 5.0, "n_max": 6, "l_max": 6, "sigma": 0.5}


def trajectory(path: Path, frames: int) -> int:
    rng = np.random.default_rng(0)
    images = []
    for _ in range(frames):
        atoms = bulk("Fe", "bcc", a=2.87, cubic=True).repeat((10, 10, 10))
        atoms.positions += rng.normal(0, 0.08, atoms.positions.shape)
        images.append(atoms)
    write(path, images)
    return sum(len(a) for a in images)


def main() -> None:
    from ase.io import read
    from distributed import Client, LocalCluster
    from dscribe.descriptors import SOAP as DScribeSOAP

    from atomatlas import runs
    from atomatlas.engine.parts import partial_work
    from atomatlas.runs.scale_out_structures import _species, describe_on_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        atoms_total = trajectory(tmp / "md.extxyz", args.frames)
        start = time.perf_counter()
        frames = read(tmp / "md.extxyz", index=":")
        reading = time.perf_counter() - start
        soap = DScribeSOAP(species=["Fe"], periodic=True, **SOAP)
        start = time.perf_counter()
        reference = soap.create(frames, n_jobs=1)
        single = time.perf_counter() - start
        del frames, reference
        config = runs.parse({"structures": {"paths": [str(tmp / "md.extxyz")]},
                             "descriptor": {"method": "soap", **SOAP}, "cluster": {"k": 2},
                             "dask": {"scheduler": "local", "workers": args.workers}})
        descriptor = config.descriptor.build()
        _species(config, descriptor, [])
        descriptor.prepare()
        with (LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           silence_logs=logging.ERROR, dashboard_address=None) as cluster, Client(cluster) as client,
              partial_work(tmp / "run", {"bench": "soap"}) as work):  # chunks kept for --resume, as in a run
            start = time.perf_counter()
            done = describe_on_workers(config, descriptor, client, tmp / "features.parquet", [], False, work)
            spread = time.perf_counter() - start
        assert done["n_centres"] == atoms_total
    print(f"{args.frames} frames, {atoms_total:,} atoms, SOAP {SOAP}")
    print(f"DScribe create, one process              : {atoms_total / single:8.0f} atoms/s")
    print(f"ASE read + DScribe create, one process   : {atoms_total / (reading + single):8.0f} atoms/s")
    print(f"atomatlas through Dask ({args.workers} workers)        : {atoms_total / spread:8.0f} atoms/s "
          "(reading, checking, describing, writing parquet)")
    print(f"speed-up Dask / DScribe create           : {single / spread:8.2f} "
          f"{verdict(single / spread, 0.9 * args.workers, True, 1)}")
    print(f"speed-up Dask / ASE read + DScribe create: {(reading + single) / spread:8.2f} {no_target()}")


if __name__ == "__main__":
    main()
