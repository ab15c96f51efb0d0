"""identify's per-atom labelling beside OVITO's Polyhedral Template Matching, in one run.

    .venv/bin/python bench/bench_identify.py [--snapshots 50] [--n-jobs 2]

Snapshots: 2048-atom fcc Cu boxes with thermal-like displacements; 50 of them make the
issue's 102,400-atom trajectory. In process: atomatlas (`atomatlas identify`'s labelling of
frames already read: per-atom local order and the shipped atom ensemble on --n-jobs threads,
the labels table) and OVITO's PTM (default settings; needs the `validate` extra)
on the same snapshots, atoms per second and the ratio. As whole processes, file in and
labels out: `atomatlas identify FILE --out DIR --no-report` (labels.csv, structures.extxyz,
fractions) and a Python script that imports OVITO, reads the same extxyz file, runs PTM with
every structure type enabled and writes each atom's label, position and RMSD to a CSV; wall
clock of each and the ratio. Then identify through Dask (``scheduler=`` the address of a
running 2-worker LocalCluster) from the same file, beside the in-memory api call.
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


def atomatlas_rate(frames, n_jobs: int, grains: bool = False) -> float:
    from atomatlas.io.structures import Frame
    from atomatlas.runs.identify import label_atoms, load_model

    model, meta = load_model()
    labelled = [Frame(atoms, "bench", i) for i, atoms in enumerate(frames)]
    label_atoms(labelled[:1], model, meta["classes"], grains=grains)  # warm up
    seconds, _ = median_time(lambda: label_atoms(labelled, model, meta["classes"], n_jobs=n_jobs, grains=grains))
    return sum(len(a) for a in frames) / seconds


def ptm_rate(frames, grains: bool = False) -> float | None:
    """OVITO's PTM (default settings), or with ``grains`` PTM's orientations and OVITO's grain segmentation."""
    try:
        from ovito.io.ase import ase_to_ovito
        from ovito.modifiers import GrainSegmentationModifier, PolyhedralTemplateMatchingModifier
        from ovito.pipeline import Pipeline, StaticSource
    except ImportError:
        return None
    def label_all():
        for atoms in frames:
            pipeline = Pipeline(source=StaticSource(data=ase_to_ovito(atoms)))
            pipeline.modifiers.append(PolyhedralTemplateMatchingModifier(output_orientation=grains))
            if grains:
                pipeline.modifiers.append(GrainSegmentationModifier())
            pipeline.compute()

    seconds, _ = median_time(label_all)
    return sum(len(a) for a in frames) / seconds


OVITO_SCRIPT = """
import sys
import numpy as np, pandas as pd
from ovito.io import import_file
from ovito.modifiers import PolyhedralTemplateMatchingModifier
pipeline = import_file(sys.argv[1])
ptm = PolyhedralTemplateMatchingModifier(output_rmsd=True)
for structure in ptm.structures:
    structure.enabled = True
pipeline.modifiers.append(ptm)
names = np.array([structure.name for structure in ptm.structures])
parts = []
for frame in range(pipeline.source.num_frames):
    data = pipeline.compute(frame)
    positions = np.asarray(data.particles.positions)
    parts.append(pd.DataFrame({"frame": frame, "atom": np.arange(len(positions)), "x": positions[:, 0],
                               "y": positions[:, 1], "z": positions[:, 2],
                               "class": names[np.asarray(data.particles["Structure Type"])],
                               "rmsd": np.asarray(data.particles["RMSD"])}))
pd.concat(parts).to_csv(sys.argv[2], index=False)
"""


def whole_process_seconds(path, tmp, n_jobs: int) -> tuple[float, float | None]:
    """(atomatlas identify, OVITO PTM script) wall seconds, each a fresh process from the file to its labels."""
    import subprocess
    import sys
    from pathlib import Path

    atomatlas = [str(Path(sys.executable).with_name("atomatlas")), "identify", str(path), "--n-jobs", str(n_jobs),
                 "--no-report", "--out"]
    ours = median_time(lambda: subprocess.run([*atomatlas, str(tmp / "whole"), "--overwrite"], check=True,
                                              capture_output=True))[0]
    from importlib.util import find_spec

    if find_spec("ovito") is None:
        return ours, None
    ptm = median_time(lambda: subprocess.run([sys.executable, "-c", OVITO_SCRIPT, str(path), str(tmp / "ptm.csv")],
                                             check=True, capture_output=True))[0]
    return ours, ptm


def phases(path, n_jobs: int) -> dict[str, float]:
    """Seconds of each phase of identify's run from the file (api, in this process), and of importing it (a new
    process): what dominates a whole process."""
    import subprocess
    import sys

    from atomatlas import api
    from atomatlas.io import structures
    from atomatlas.runs import folder, identify

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import atomatlas.cli.main, atomatlas.api, atomatlas.runs.identify"],
                   check=True)
    spent = {"start Python and import": time.perf_counter() - started}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return wrapper

    def read_timed(*args, **kwargs):
        frames = read_frames(*args, **kwargs)
        while True:
            start = time.perf_counter()
            frame = next(frames, None)
            spent["read frames (ASE)"] = spent.get("read frames (ASE)", 0.0) + time.perf_counter() - start
            if frame is None:
                return
            yield frame

    read_frames, originals = structures.iter_frames, (identify.label_atoms, identify._write_structures, folder.write_csv)
    structures.iter_frames = read_timed
    identify.label_atoms = timed("describe and label", identify.label_atoms)
    identify._write_structures = timed("write structures.extxyz (ASE)", identify._write_structures)
    folder.write_csv = timed("write labels.csv, fractions.csv (pandas)", folder.write_csv)
    try:
        start = time.perf_counter()
        api.identify(path, path.parent / "phases", n_jobs=n_jobs, report=False)
        total = time.perf_counter() - start
    finally:
        structures.iter_frames = read_frames
        identify.label_atoms, identify._write_structures, folder.write_csv = originals
    return {**spent, "everything else": total - sum(v for k, v in spent.items() if k != "start Python and import")}


def dask_rates(path, atoms: int, n_jobs: int) -> tuple[float, float]:
    """(in memory, through Dask) atoms/s of identify's api from the file to a finished run folder, wall clock."""
    import logging
    from distributed import LocalCluster

    from atomatlas import api

    out = path.parent
    with LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True, silence_logs=logging.ERROR,
                      dashboard_address=None) as cluster:
        start = time.perf_counter()
        api.identify(path, out / "memory", n_jobs=n_jobs, report=False)
        memory = atoms / (time.perf_counter() - start)
        start = time.perf_counter()
        api.identify(path, out / "dask", scheduler=cluster.scheduler_address, report=False)
        dask = atoms / (time.perf_counter() - start)
    return memory, dask


def main() -> None:
    import tempfile
    from pathlib import Path

    from ase.io import write

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=50, help="snapshots of 2048 atoms (default 50)")
    parser.add_argument("--n-jobs", type=int, default=2, help="threads for atomatlas (default 2)")
    args = parser.parse_args()
    frames = snapshots(args.snapshots)
    atoms = sum(len(a) for a in frames)
    ours = atomatlas_rate(frames, args.n_jobs)
    ptm = ptm_rate(frames)
    print(f"{len(frames)} snapshots of {len(frames[0])} atoms ({atoms} atoms)")
    print("in process, frames already read:")
    print(f"  atomatlas identify ({args.n_jobs} threads) : {ours:9.0f} atoms/s, median of 3 "
          f"{verdict(ours, 20_000, True, 0)}")
    if ptm is None:
        print("  OVITO PTM                     : not installed (pip install -e '.[validate]')")
    else:
        print(f"  OVITO PTM (default settings)  : {ptm:9.0f} atoms/s")
        print(f"  ratio atomatlas / PTM         : {ours / ptm:9.2f}x {verdict(ours / ptm, 1.0, True)}")
    ours_grains, ptm_grains = atomatlas_rate(frames, args.n_jobs, grains=True), ptm_rate(frames, grains=True)
    print("in process, with orientations and grains:")
    print(f"  atomatlas identify --grains   : {ours_grains:9.0f} atoms/s {no_target()}")
    if ptm_grains is not None:
        print(f"  OVITO PTM + grain segmentation: {ptm_grains:9.0f} atoms/s")
        print(f"  ratio atomatlas / OVITO       : {ours_grains / ptm_grains:9.2f}x {no_target()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frames.extxyz"
        write(path, frames)
        mine, theirs = whole_process_seconds(path, Path(tmp), args.n_jobs)
        print("whole process, extxyz file in, labels out (medians of 3):")
        print(f"  atomatlas identify --no-report  : {mine:6.2f} s")
        if theirs is not None:
            print(f"  OVITO PTM script, every structure: {theirs:6.2f} s")
            print(f"  speed ratio atomatlas / PTM     : {theirs / mine:6.2f}x {verdict(theirs / mine, 1.0, True)}")
        spent = phases(path, args.n_jobs)
        print("  where atomatlas identify's whole process spends its time (one run):")
        for name, seconds in spent.items():
            print(f"    {name:40s}: {seconds:5.2f} s")
        memory, dask = dask_rates(path, atoms, args.n_jobs)
    print("identify's api, file to run folder:")
    print(f"  in memory ({args.n_jobs} threads)            : {memory:9.0f} atoms/s")
    print(f"  through Dask ({args.n_jobs} workers)         : {dask:9.0f} atoms/s (a running LocalCluster) "
          f"{no_target('one run each; a comparison, no target set')}")


if __name__ == "__main__":
    main()
