"""Environments of structure files described and clustered through Dask (``atomatlas environments --scheduler``).

The files are streamed frame by frame (a trajectory is never held whole): a first pass
takes the species (unless given) and a second sends chunks of about
:data:`CHUNK_CENTRES` centres to the workers, a few per worker in flight, so this
process holds a few chunks at a time. Each worker describes its chunk with the run's
descriptor (one process, one thread) and writes it, ids and features, as one file of
``features.parquet/`` in the run folder, atoms with their ``identify`` labels and averages
(runs/cluster_names.py). That folder is then clustered like a table through Dask
(runs/scale_out.py); a pass over it names the clusters and counts them frame by frame
(cluster_fractions.csv); runs/dask_stream.py does the streaming. Only
``[structures] paths`` (files, globs, frames) are read this way; built structures and
thermal copies are for in-memory runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.runs.cluster_names import AVERAGE_PREFIX
from atomatlas.runs.describe import Centers, Descriptor, Structures, frame_centers, saved_description
from atomatlas.runs.folder import RunFolder, RunResult, write_record
from atomatlas.engine.parts import file_stamps, finite_columns, partial_work
from atomatlas.engine.executors import executor
from atomatlas.runs.scale_out import DaskFlow, fit, refuse_other_sections, write_outputs
from atomatlas.runs.sections import header

KEYS = {"name", "description", "seed", "structures", "centers", "descriptor", "scale", "reduce", "cluster", "dask"}
CHUNK_CENTRES = 20_000
FEATURES = "features.parquet"


@dataclass(kw_only=True)
class ScaleOutStructuresRun(DaskFlow):
    """Structures described on the workers, then clustered through Dask."""

    name: str = "environments"
    structures: Structures
    centers: Centers = field(default_factory=Centers)
    descriptor: Descriptor = field(default_factory=Descriptor)

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> ScaleOutStructuresRun:
        refuse_other_sections(raw, KEYS, "[structures], [centers], [descriptor], [scale], [reduce] and [cluster]")
        structures = Structures.parse(raw.get("structures"), base)
        if structures.fit_frames is not None:  # Dask fits on a row sample already ([dask] sample_size)
            raise AtlasError("--fit-frames (fit_frames) runs in this process; on --scheduler the fit takes a "
                             "sample of rows (--sample-size): drop one of them.")
        if structures.build or structures.repeat is not None or structures.displacement or structures.copies > 1:
            raise AtlasError("--scheduler reads structure files only: built structures, repeats, displacements and "
                             "copies are for in-memory runs (drop --scheduler).")
        run = cls(**header(raw), structures=structures, centers=Centers.parse(raw.get("centers"), structures.label),
                  descriptor=Descriptor.parse(raw.get("descriptor")))
        run.parse_flow(raw)
        return run

    def to_toml(self) -> dict:
        return {**self.header_toml(), "structures": self.structures.to_toml(), "centers": self.centers.to_toml(),
                "descriptor": self.descriptor.to_toml(), **self.flow_toml()}


def _frames(config: ScaleOutStructuresRun, skipped: list):
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


def _tally_part(part: pd.DataFrame, features: list, fitted, share: float, seed: list) -> dict:
    from atomatlas.runs.cluster_names import part_tallies
    from atomatlas.runs.scale_out import partition_clusters

    return part_tallies(part, partition_clusters(part, features, fitted)[0], share, seed)


def name_on_workers(table, fitted, seed: int) -> tuple[dict, pd.DataFrame, int]:
    """({cluster: record}, per-frame cluster counts, rows the spreads were measured on): one pass over the rows."""
    import dask

    from atomatlas.runs.cluster_names import SPREAD_ROWS, records_from_tallies

    share = min(1.0, SPREAD_ROWS / max(fitted.rows, 1))
    small, tally = fitted.small(), dask.delayed(_tally_part)
    parts = [tally(part, table.feature_names, small, share, [seed, i]) for i, part in
             enumerate(table.frame.to_delayed())]
    return records_from_tallies(dask.compute(*parts))


def write_names(folder: Path, metrics: dict, named: tuple) -> None:
    """The clusters' names into metrics.json, the per-frame shares into cluster_fractions.csv (and .png)."""
    from atomatlas.runs.structure_outputs import write_fraction_table

    records, counts, sampled = named
    metrics["cluster"]["names"] = records
    metrics["cluster"]["names_spread_on"] = f"a seeded sample of {sampled} rows"
    shares = counts.unstack("cluster", fill_value=0).sort_index(axis=1)
    shares = shares.div(shares.sum(axis=1), axis=0)
    shares.columns = [f"{c}: {records[str(int(c))]['name']}" for c in shares.columns]
    metrics["structures"].update(write_fraction_table(folder, shares.reset_index()))


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


def run(config: ScaleOutStructuresRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Describe the structures on the workers into features.parquet/, then cluster it through Dask."""
    from atomatlas.datasets import resolve
    from atomatlas.io.lazy_tables import read_lazy_table
    from atomatlas.io.structures import expand_paths

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
        table = read_lazy_table(tmp / FEATURES, features=names, label_column=config.structures.label)
        table.id_columns = [c for c in table.frame.columns if c not in names and c != config.structures.label
                            and not c.startswith(AVERAGE_PREFIX)]
        table.path = f"{described['n_frames']} structure(s)"
        fitted = fit(config, table, progress, allow_constant=True, work=work)
        named = name_on_workers(table, fitted, config.seed) if "identify" in table.id_columns else None
        labels, metrics = write_outputs(config, table, fitted, tmp, model_extra={"structures": saved_description(
            config.descriptor, config.centers, descriptor.species)}, names=named and {
            k: r["name"] for k, r in named[0].items()})
        metrics["structures"] = {**described, "features_file": FEATURES, "skipped": [vars(s) for s in skipped],
                                 "descriptor": {"method": config.descriptor.method,
                                                "params": config.descriptor.params, "species": descriptor.species,
                                                "n_features": len(names)}}
        if named is not None:
            write_names(tmp, metrics, named)
        metrics["dask"] = engine.record(work)
        write_record(tmp, metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics, skipped=skipped)
