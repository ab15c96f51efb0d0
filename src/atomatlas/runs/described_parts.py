"""A structure run on Dask workers (``environments --scheduler``): the frames described in parts, then the table
flow fitted on a sample of their rows (runs/on_sample.py).

The files are streamed frame by frame (a trajectory is never held whole): a first pass
takes the species (unless given) and a second maps chunks of about :data:`CHUNK_CENTRES`
centres over the executor (engine/executors.py), a few per worker in flight. Each worker
describes its chunk with the run's descriptor (one process, one thread) and writes it, ids
and features, as one part of ``features.parquet/`` in the run folder; atoms carry their
``identify`` label and the model's averages beside them (runs/cluster_names.py), which name
the clusters. ``--resume`` takes up the finished parts (engine/parts.py). Only
``[structures] paths`` (files, globs, frames) are read this way; built structures and
thermal copies are for in-memory runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.engine.executors import executor
from atomatlas.engine.parts import file_stamps, finite_columns, partial_work
from atomatlas.errors import AtlasError
from atomatlas.runs.cluster_names import AVERAGE_PREFIX
from atomatlas.runs.describe import Centers, frame_centers
from atomatlas.runs.folder import RunFolder, RunResult, write_record

CHUNK_CENTRES = 20_000
FEATURES = "features.parquet"


def refuse_on_dask(structures) -> None:
    """What the workers do not read, refused in one line."""
    if structures.fit_frames is not None:  # Dask fits on a row sample already ([dask] sample_size)
        raise AtlasError("--fit-frames (fit_frames) runs in this process; on --scheduler the fit takes a "
                         "sample of rows (--sample-size): drop one of them.")
    if structures.build or structures.repeat is not None or structures.displacement or structures.copies > 1:
        raise AtlasError("--scheduler reads structure files only: built structures, repeats, displacements and "
                         "copies are for in-memory runs (drop --scheduler).")


def _frames(config, skipped: list):
    from atomatlas.datasets import resolve
    from atomatlas.io.structures import iter_frames

    section = config.structures
    return iter_frames([resolve(p) for p in section.paths], index=section.index, format=section.format,
                       skipped=skipped)


def usable(config, descriptor, frame, skipped: list) -> bool:
    from atomatlas.io.structures import Skipped

    where = f"{frame.source}, frame {frame.index}"
    try:
        descriptor.check_structure(frame.atoms, where)
        frame_centers(frame, config.centers)
    except AtlasError as exc:
        text = str(exc)
        skipped.append(Skipped(frame.source, frame.index, text[len(where) + 2:] if text.startswith(where) else text))
        return False
    return True


def described_table(descriptor, frames: list, centers: Centers, label: str | None) -> pd.DataFrame:
    """One chunk of frames described: the ids of every centre and its features (on a worker)."""
    from atomatlas.runs.describe import centre_ids

    chosen = [frame_centers(f, centers) for f in frames]
    use = None if all(c is None for c in chosen) else [
        np.arange(len(f.atoms)) if c is None else c for f, c in zip(frames, chosen)]
    X = descriptor.create([f.atoms for f in frames], use, n_jobs=1)
    if not np.isfinite(X).all():
        raise AtlasError(f"the descriptor gave non-finite values for {frames[0].source}, frames "
                         f"{frames[0].index}-{frames[-1].index}; check their coordinates and the descriptor "
                         "parameters.")
    parts = [centre_ids(frames, chosen, label), pd.DataFrame(X, columns=descriptor.feature_names())]
    if centers.kind != "surface_grid":  # atoms: each one's identify label, which names the clusters
        from atomatlas.runs.cluster_names import annotation_columns

        parts.append(annotation_columns(frames, chosen, X if descriptor.name == "local_order" else None))
    return pd.concat(parts, axis=1)


def describe_part(frames: list, descriptor, centers: Centers, label: str | None, path: str) -> tuple[int, int]:
    """One chunk of frames described (on a worker) and written to ``path``; returns (rows, frames)."""
    from atomatlas.engine.parts import write_part

    table = described_table(descriptor, frames, centers, label)
    write_part(table, path)
    return len(table), len(frames)


def describe_on_workers(config, descriptor, engine, folder: Path, skipped: list, progress: bool, work) -> dict:
    """The frames described in chunks on the executor; every chunk becomes one parquet file of ``folder``
    (written into the run's partial folder first, so that --resume takes up the finished ones: engine/parts.py)."""
    from atomatlas.engine.executors import chunks

    def size_of(frame) -> int:
        centres = frame_centers(frame, config.centers)
        return len(frame.atoms) if centres is None else len(centres)

    names = descriptor.feature_names()
    if config.centers.kind != "surface_grid":  # what a worker writes beside the features of atoms
        from atomatlas.runs.cluster_names import average_columns

        names = [*names, *average_columns()]

    def finished(batch, part):
        def summarise(table):
            finite_columns(table, names)
            if config.centers.kind != "surface_grid" and not table["identify"].map(type).eq(str).all():
                raise ValueError("identify labels missing")
            return len(table), len(batch)

        return work.finished_part(part, batch, sum(map(size_of, batch)), summarise)

    frames = (frame for frame in _frames(config, skipped) if usable(config, descriptor, frame, skipped))
    rows = engine.map_chunks(describe_part, chunks(frames, size_of, CHUNK_CENTRES),
                             (engine.share(descriptor), config.centers, config.structures.label),
                             part_path=work.part_path, desc=f"{descriptor.name} on the workers", progress=progress,
                             finished=finished)
    if not rows:
        from atomatlas.io.structures import nothing_usable

        raise nothing_usable(skipped) if skipped else AtlasError("no structure to describe.")
    work.adopt_parts(len(rows), folder)
    return {"n_frames": int(sum(frames for _, frames in rows)), "n_centres": int(sum(n for n, _ in rows)),
            "parts": len(rows)}


def _species(config, descriptor, skipped: list) -> None:
    """A first pass over the files for the species, unless the descriptor was given them."""
    if descriptor.species is not None or not descriptor.uses_species:
        return
    from ase.data import atomic_numbers

    present = set()
    for frame in _frames(config, []):  # unusable frames are named by the second pass
        present.update(frame.atoms.get_chemical_symbols())
    if not present:
        raise AtlasError("no structure to describe.")
    descriptor.species = sorted(present, key=lambda s: atomic_numbers[s])


def run(config, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Describe the structures on the workers into features.parquet/, then fit on a sample and label every row."""
    from atomatlas.datasets import resolve
    from atomatlas.io.lazy_tables import read_lazy_table
    from atomatlas.io.structures import expand_paths
    from atomatlas.runs.on_sample import fit_on_sample, label_every_row

    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    descriptor = config.descriptor.build()
    if descriptor.averaged:
        raise AtlasError("average = 'inner'/'outer' gives one row per structure; environments are per atom: use "
                         "average = 'off'.")
    skipped = []
    _species(config, descriptor, skipped)
    descriptor.prepare()
    names = descriptor.feature_names()
    identity = {"config": config.to_toml(), "species": descriptor.species, "chunk": CHUNK_CENTRES,
                "inputs": file_stamps(expand_paths([resolve(p) for p in config.structures.paths]))}
    with executor(config.dask, progress) as engine, folder as tmp, partial_work(folder.target, identity) as work:
        described = describe_on_workers(config, descriptor, engine, tmp / FEATURES, skipped, progress, work)
        lazy = read_lazy_table(tmp / FEATURES, features=names, label_column=config.structures.label)
        averages = [c for c in lazy.frame.columns if c.startswith(AVERAGE_PREFIX)]
        lazy.id_columns = [c for c in lazy.frame.columns if c not in names and c != config.structures.label
                           and c not in averages]
        lazy.path = f"{described['n_frames']} structure(s)"
        species = descriptor.species or _species_described(lazy)
        sample, _, metrics = fit_on_sample(config, lazy, tmp, progress, allow_constant=True, extra_columns=averages,
                                           model_extra={"structures": config.saved(species)},
                                           annotate=_namer if averages else None)
        labels, frames = label_every_row(lazy, tmp, sample, metrics, by_frame=bool(averages))
        metrics["structures"] = {**described, "features_file": FEATURES, "skipped": [vars(s) for s in skipped],
                                 "descriptor": {"method": config.descriptor.method,
                                                "params": config.descriptor.params, "species": species,
                                                "n_features": len(names)}}
        if frames is not None:
            _write_fractions(tmp, metrics, frames)
        _write_annotated_frames(config, tmp, labels)
        metrics["dask"] = engine.record(work)
        write_record(tmp, "structures", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics, skipped=skipped)


def _write_annotated_frames(config, folder: Path, labels: pd.DataFrame | None) -> None:
    """structures.extxyz / .db with each atom's labels, as in memory: the frames read again in order, the labels
    from labels.csv's frame, or part by part from labels.parquet/ (bounded memory on any trajectory)."""
    from atomatlas.runs.structure_outputs import write_atoms_in_order

    if labels is not None:
        chunks = [labels]
    else:
        chunks = (pd.read_parquet(part) for part in sorted((folder / "labels.parquet").glob("*.parquet")))
    write_atoms_in_order(folder, _frames(config, []), chunks)


def _species_described(lazy) -> list[str]:
    """The elements of the described atoms (a descriptor blind to species was not given them)."""
    from ase.data import atomic_numbers

    present = lazy.frame["species"].unique().compute() if "species" in lazy.frame.columns else []
    return sorted((str(s) for s in present), key=lambda s: atomic_numbers.get(s, 0))


def _namer(sample):
    """fit_flow's annotate step on the sample: each cluster named by its atoms' identify labels (the workers'),
    its novel_order flag from their averages."""
    def annotate(frame, metrics) -> None:
        from atomatlas.runs.cluster_names import average_columns, describe_clusters

        averages = sample.frame[average_columns()].to_numpy(dtype=float)
        records = describe_clusters(frame["cluster"].to_numpy(), frame["identify"].to_numpy(), averages)
        frame["cluster_name"] = frame["cluster"].astype(str).map({k: r["name"] for k, r in records.items()})
        frame["cluster_name"] = frame["cluster_name"].fillna("noise")
        metrics["cluster"]["names"] = records

    return annotate


def _write_fractions(folder: Path, metrics: dict, counts: pd.Series) -> None:
    """The per-frame shares of every cluster (over every atom) into cluster_fractions.csv (and .png)."""
    from atomatlas.runs.structure_outputs import write_fraction_table

    records = metrics["cluster"].get("names", {})
    shares = counts.unstack("cluster", fill_value=0).sort_index(axis=1)
    shares = shares[[c for c in shares.columns if c >= 0]]
    shares = shares.div(shares.sum(axis=1), axis=0)
    shares.columns = [f"{c}: {records[str(int(c))]['name']}" if str(int(c)) in records else str(c)
                      for c in shares.columns]
    metrics["structures"].update(write_fraction_table(folder, shares.reset_index()))
