"""identify's per-atom labelling beside OVITO's Polyhedral Template Matching, in one run.

    .venv/bin/python bench/bench_identify.py [--snapshots 5] [--n-jobs 2]

Snapshots: 2048-atom fcc Cu boxes with thermal-like displacements. Times atomatlas
(`atomatlas identify`'s labelling of frames already read: per-atom local order on --n-jobs
threads, the shipped atom ensemble, the labels table) and OVITO's PTM (default settings; needs the `validate` extra) on the
same snapshots, and prints atoms per second and the ratio. Then ``atomatlas identify`` end to
end (an extxyz file of 100 snapshots in, a run folder out) in memory and through Dask
(``scheduler=`` the address of a running 2-worker LocalCluster): atoms per second from the
file to the finished run folder (reading, checks, labelling, labels.csv, fractions), wall clock.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from verdict import median_time, no_target, verdict
from ase.build import bulk


def snapshots(count: int) -> list:
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(count):
        atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(8)
        atoms.positions += rng.normal(0.0, 0.12, atoms.positions.shape)
        frames.append(atoms)
    return frames


def atomatlas_rate(frames, n_jobs: int) -> float:
    from atomatlas.io.structures import Frame
    from atomatlas.runs.identify import label_atoms, load_model

    model, meta = load_model()
    labelled = [Frame(atoms, "bench", i) for i, atoms in enumerate(frames)]
    label_atoms(labelled[:1], model, meta["classes"])  # warm up
    seconds, _ = median_time(lambda: label_atoms(labelled, model, meta["classes"], n_jobs=n_jobs))
    return sum(len(a) for a in frames) / seconds


def ptm_rate(frames) -> float | None:
    try:
        from ovito.io.ase import ase_to_ovito
        from ovito.modifiers import PolyhedralTemplateMatchingModifier
        from ovito.pipeline import Pipeline, StaticSource
    except ImportError:
        return None
    def label_all():
        for atoms in frames:
            pipeline = Pipeline(source=StaticSource(data=ase_to_ovito(atoms)))
            pipeline.modifiers.append(PolyhedralTemplateMatchingModifier())
            pipeline.compute()

    seconds, _ = median_time(label_all)
    return sum(len(a) for a in frames) / seconds


def end_to_end_rates(frames, n_jobs: int) -> tuple[float, float]:
    """(in memory, through Dask) atoms/s of identify from a file to a finished run folder, wall clock."""
    import logging
    import tempfile
    from pathlib import Path

    from ase.io import write
    from distributed import LocalCluster

    from atomatlas import api

    with tempfile.TemporaryDirectory() as tmp, LocalCluster(
            n_workers=n_jobs, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
            dashboard_address=None) as cluster:
        write(Path(tmp) / "frames.extxyz", frames)
        atoms = sum(len(a) for a in frames)
        start = time.perf_counter()
        api.identify(Path(tmp) / "frames.extxyz", Path(tmp) / "memory", n_jobs=n_jobs, report=False)
        memory = atoms / (time.perf_counter() - start)
        start = time.perf_counter()
        api.identify(Path(tmp) / "frames.extxyz", Path(tmp) / "dask", scheduler=cluster.scheduler_address,
                     report=False)
        dask = atoms / (time.perf_counter() - start)
    return memory, dask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=5, help="snapshots of 2048 atoms (default 5)")
    parser.add_argument("--n-jobs", type=int, default=2, help="threads for atomatlas (default 2)")
    args = parser.parse_args()
    frames = snapshots(args.snapshots)
    ours = atomatlas_rate(frames, args.n_jobs)
    ptm = ptm_rate(frames)
    print(f"{len(frames)} snapshots of {len(frames[0])} atoms")
    print(f"atomatlas identify ({args.n_jobs} threads) : {ours:9.0f} atoms/s, median of 3 "
          f"{verdict(ours, 20_000, True, 0)}")
    if ptm is None:
        print("OVITO PTM                       : not installed (pip install -e '.[validate]')")
    else:
        print(f"OVITO PTM (default settings)    : {ptm:9.0f} atoms/s")
        print(f"ratio atomatlas / PTM           : {ours / ptm:9.2f}x {verdict(ours / ptm, 1.0, True)}")
    copies = 20  # 100 snapshots, 204,800 atoms: several of identify_dask's 50,000-atom chunks per worker
    memory, dask = end_to_end_rates(frames * copies, args.n_jobs)
    print(f"identify, file to run folder, {copies * len(frames)} snapshots:")
    print(f"  in memory ({args.n_jobs} threads)          : {memory:9.0f} atoms/s")
    print(f"  through Dask ({args.n_jobs} workers)       : {dask:9.0f} atoms/s (a running LocalCluster) "
          f"{no_target('one run each; a comparison, no target set')}")


if __name__ == "__main__":
    main()
