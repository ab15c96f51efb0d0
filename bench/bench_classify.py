"""classify end to end (files in, run folder out, with uncertainty): the ensemble beside the CNN, in one run.

    .venv/bin/python bench/bench_classify.py [--structures 300] [--n-jobs 2]

Writes --structures rotated ~250-atom crystals of the seven classes into one extxyz file,
then times ``atomatlas.api.classify_structures`` on it with the shipped ensemble (the
default) and with the shipped diffraction CNN (``model="cnn"``, Monte Carlo dropout 20),
both with --n-jobs workers, and the ensemble through Dask (``scheduler=`` the address of a
running 2-worker LocalCluster, as on a cluster that is already up), and prints structures
per second and the ratios. Each is run once on a few structures first, so none pays for
imports or worker start-up, and the median of --repeat runs is reported (a target "met" by
one lucky run of a thin wrapper is noise).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from ase.io import write
from distributed import LocalCluster

from atomatlas import api
from atomatlas.datasets.prototypes import generate

from verdict import no_target, verdict

def rate(path: Path, out: Path, model: str, n_jobs: int, count: int, scheduler: str | None = None) -> float:
    start = time.perf_counter()
    api.classify_structures(str(path), out, model=model, n_jobs=n_jobs, scheduler=scheduler)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structures", type=int, default=300, help="structures (default 300)")
    parser.add_argument("--n-jobs", type=int, default=2, help="workers for both models (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each model; the median counts (default 3)")
    args = parser.parse_args()
    structures = generate(max(1, args.structures // 7), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write(tmp / "all.extxyz", structures)
        write(tmp / "warm.extxyz", structures[:20])
        rates = {}
        for model in ("ensemble", "cnn"):
            api.classify_structures(str(tmp / "warm.extxyz"), tmp / f"warm-{model}", model=model, n_jobs=args.n_jobs)
            rates[model] = statistics.median(rate(tmp / "all.extxyz", tmp / f"run-{model}-{i}", model, args.n_jobs,
                                                  len(structures)) for i in range(args.repeat))
        with LocalCluster(n_workers=args.n_jobs, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
                          dashboard_address=None) as cluster:
            address = cluster.scheduler_address
            api.classify_structures(str(tmp / "warm.extxyz"), tmp / "warm-dask", scheduler=address)
            rates["dask"] = statistics.median(rate(tmp / "all.extxyz", tmp / f"run-dask-{i}", "ensemble", 1,
                                                   len(structures), address) for i in range(args.repeat))
    atoms = sum(len(s) for s in structures) / len(structures)
    print(f"{len(structures)} structures, {atoms:.0f} atoms on average, {args.n_jobs} workers, files in, run folder out, "
          f"median of {args.repeat}")
    print(f"ensemble (local order, default)  : {rates['ensemble']:7.1f} structures/s "
          f"{verdict(rates['ensemble'], 100, True, 0)}")
    print(f"diffraction CNN (--model cnn)     : {rates['cnn']:7.1f} structures/s")
    print(f"ratio ensemble / CNN              : {rates['ensemble'] / rates['cnn']:7.2f}x {no_target()}")
    print(f"ensemble through Dask ({args.n_jobs} workers) : {rates['dask']:7.1f} structures/s (a running LocalCluster)")
    print(f"ratio Dask / in memory (ensemble)  : {rates['dask'] / rates['ensemble']:7.2f}x {no_target()}")


if __name__ == "__main__":
    main()
