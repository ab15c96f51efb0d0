"""Label every atom by its local structure (``atomatlas identify``, section ``[identify]``).

Each atom is described by the distances and bond-orientational order (Steinhardt q_l) of
its 18 nearest neighbours on its own scale, averaged with its neighbours', species ignored
(:class:`atomatlas.descriptors.local_order.LocalOrder`), and labelled by the shipped atom
ensemble (``fcc``, ``bcc``, ``hcp``, ``diamond``, ``hex_diamond``, ``sc`` or ``other``)
with a probability and an uncertainty, and each fcc or hcp atom with the fcc planar fault
its layer belongs to (:mod:`atomatlas.descriptors.stacking`). The run folder holds
``labels.csv`` (structure, frame, atom, x, y, z, class, probability, uncertainty, fault),
``structures.extxyz`` with those as per-atom arrays (OVITO colours by them),
``fractions.csv`` (the share of each class per frame) and, for trajectories,
``fractions.png``; with ``grains``, each crystalline atom's orientation and grain, and
``grains.csv`` and ``grain_boundaries.csv`` (:mod:`atomatlas.descriptors.grains`).
``train-identify`` (:mod:`atomatlas.runs.identify_model`) rebuilds the model.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.descriptors.stacking import FAULTS
from atomatlas.errors import AtlasError
from atomatlas.runs.shipped import shipped_model_dir
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record
from atomatlas.runs.sections import RunHeader, check_keys, header, input_path, number
from atomatlas.runs.structure_outputs import fractions

STEM = "atom_ensemble"
ORIENTATION = ("qw", "qx", "qy", "qz")  # unit quaternion from the sample's frame to the crystal's
GRAIN_FILES = ("grains.csv", "grain_boundaries.csv")
BATCH_ATOMS = 8192  # atoms per task of the pool (on processes the model travels with each task)
CHUNK_ATOMS = 50_000  # atoms labelled per chunk (whole frames), in this process or on a worker


@dataclass
class Identify:
    """``[identify]``: the structure files (and frames) to label, the model, the workers."""

    paths: list[str]
    format: str | None = None
    index: str = ":"
    model: str | None = None  # a folder from train-identify; None: the shipped model
    n_jobs: int = 2  # as on the command line and in the api (a test keeps the three alike)
    grains: bool = False  # orientations, grain ids, grains.csv and grain_boundaries.csv

    @classmethod
    def parse(cls, raw, base: Path | None) -> Identify:
        check_keys(raw, cls.__dataclass_fields__, "identify")
        out = cls(**raw)
        if not isinstance(out.paths, list) or not out.paths:
            raise AtlasError("config: [identify] needs paths = [structure files or globs].")
        out.paths = [input_path(p, base, "[identify] paths") for p in out.paths]
        if out.model is not None:
            out.model = input_path(out.model, base, "[identify] model")
        if not isinstance(out.index, str):
            raise AtlasError(f"config: [identify] index must be a frame selection such as \":\" or \"-1\"; got "
                             f"{out.index!r}.")
        number(out.n_jobs, "n_jobs", "identify", 1, 256, integer=True)
        if not isinstance(out.grains, bool):
            raise AtlasError(f"config: [identify] grains must be true or false; got {out.grains!r}.")
        return out


@dataclass(kw_only=True)
class IdentifyRun(RunHeader):
    name: str = "identify"
    identify: Identify

    dask: object = None  # a runs.sections.DaskSection: the chunks labelled on Dask workers

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> IdentifyRun:
        from atomatlas.runs.sections import DaskSection

        check_keys(raw, {"name", "description", "seed", "identify", "dask"}, "top level")
        dask = DaskSection.parse(raw["dask"]) if raw.get("dask") is not None else None
        return cls(**header(raw), identify=Identify.parse(raw["identify"], base), dask=dask)

    def to_toml(self) -> dict:
        out = {**self.header_toml(), "identify": {k: v for k, v in asdict(self.identify).items() if v is not None}}
        return out if self.dask is None else {**out, "dask": self.dask.to_toml()}


def described(frames, n_jobs: int = 1, then=None):
    """Every frame's per-atom vectors (or ``then(atoms, vectors, neighbour pairs)``), in order; batches of about
    :data:`BATCH_ATOMS` atoms go to ``n_jobs`` workers of the descriptors' one pool (``LocalOrder.pool``; ``then``
    travels with each)."""
    from atomatlas.descriptors.local_order import LocalOrder, per_atom_batch
    from atomatlas.descriptors.workers import map_ordered
    from atomatlas.engine.executors import chunks

    size = min(BATCH_ATOMS, sum(map(len, frames)) // (2 * n_jobs))  # at least two batches per worker
    batches = list(chunks(frames, len, max(size, 1)))
    for rows in map_ordered(partial(per_atom_batch, then=then), batches, n_jobs, LocalOrder.pool):
        yield from rows


def _labelled_frame(atoms, vectors, pairs, model, names, grains: bool = False) -> dict:
    """Every atom's class, probability, uncertainty and planar fault (and with ``grains`` its orientation and grain,
    and the frame's grain tables) for one frame, on a worker of the pool."""
    from atomatlas.descriptors.stacking import planar_faults

    proba, uncertainty, _ = model.predict(vectors)
    best = proba.argmax(1)
    classes = names[best]
    out = {"class": classes, "probability": proba[np.arange(len(best)), best], "uncertainty": uncertainty,
           "fault": planar_faults(atoms, classes, pairs)}
    if grains:
        from atomatlas.descriptors import grains as grain_maps
        from atomatlas.descriptors.local_order import VACUUM

        orientation, residual = grain_maps.orientations(atoms, classes, pairs, VACUUM)
        out["grain"] = grain_maps.segment(classes, orientation, pairs, out["fault"], residual)
        out.update(zip(ORIENTATION, orientation.T))
        out["tables"] = grain_maps.tables(classes, orientation, out["grain"], pairs, residual)
    return out


def label_atoms(frames, model, classes, n_jobs: int = 1, progress: bool = False, grains: bool = False):
    """(labels frame, per-frame columns, grain tables (grains, boundaries) or None) for every atom of ``frames``."""
    from atomatlas.learn.progress import bar, progress_bars

    parts, columns, grain_tables = [], [], ([], [])
    predictions = described([frame.atoms for frame in frames], n_jobs,
                            then=partial(_labelled_frame, model=model, names=np.array(classes), grains=grains))
    with progress_bars(progress and len(frames) > 1):
        for frame, found in zip(bar(frames, "identify", "frame"), predictions):
            where = {"structure": frame.source, "frame": frame.index}
            if grains:
                for kept, table in zip(grain_tables, found.pop("tables")):
                    kept.append(table.assign(**where)[[*where, *table.columns]])
            positions = frame.atoms.positions
            parts.append(pd.DataFrame({**where, "atom": np.arange(len(positions)), "x": positions[:, 0],
                                       "y": positions[:, 1], "z": positions[:, 2], **found}))
            columns.append(found)
    tables = tuple(pd.concat(kept, ignore_index=True) for kept in grain_tables) if grains else None
    return pd.concat(parts, ignore_index=True), columns, tables


def _write_structures(path: Path, frames, arrays) -> None:
    from ase.io import write

    annotated = []
    for frame, found in zip(frames, arrays):
        atoms = frame.atoms.copy()
        for name in ("class", "fault"):
            atoms.new_array(name, np.asarray(found[name]).astype(str))
        for name in ("probability", "uncertainty", "grain"):
            if name in found:
                atoms.new_array(name, np.asarray(found[name]))
        if ORIENTATION[0] in found:  # one (n, 4) array OVITO reads as an orientation
            atoms.new_array("orientation", np.column_stack([found[name] for name in ORIENTATION]))
        atoms.info = {"structure": frame.source, "frame": frame.index}
        annotated.append(atoms)
    write(path, annotated, format="extxyz")


def load_model(folder=None):
    """(model, meta) of a train-identify folder (None: the shipped model), refused if its descriptor is not ours."""
    from atomatlas.descriptors.local_order import N_FEATURES, SETTINGS
    from atomatlas.learn import crystal_ensemble

    model, meta = crystal_ensemble.load(folder or shipped_model_dir(), stem=STEM)
    if meta.get("descriptor") != {"name": "local_order", **SETTINGS} or meta["n_features"] != N_FEATURES:
        raise AtlasError(f"{folder or 'the shipped model'}: trained on another per-atom descriptor than this "
                         "atomatlas computes; rebuild it with `atomatlas train-identify`.")
    return model, meta


def label_part(frames: list, model, classes: list, n_jobs: int, grains: bool, path: str) -> tuple:
    """One chunk of frames labelled (in this process or on a worker): its labels written to the part ``path``,
    its annotated frames beside it (``.extxyz``) and with ``grains`` its grain tables (all written first: the part
    marks the chunk done); returns (fractions per frame, class counts, fault counts, atoms)."""
    from atomatlas.engine.parts import write_part, write_whole

    labels, arrays, tables = label_atoms(frames, model, classes, n_jobs=n_jobs, grains=grains)
    write_whole(lambda tmp: _write_structures(tmp, frames, arrays), _structures_part(path))
    for table, name in zip(tables or (), GRAIN_FILES):
        write_whole(lambda tmp, table=table: table.to_csv(tmp, index=False), _grains_part(path, name))
    write_part(labels, path)
    return summarise(labels, classes)


def _structures_part(path) -> Path:
    return Path(path).with_suffix(".extxyz")


def _grains_part(path, name: str) -> Path:
    return Path(path).with_suffix(f".{name}")


def summarise(labels: pd.DataFrame, classes: list, checked: bool = False,
              grains: bool = False) -> tuple[pd.DataFrame, dict, dict, int]:
    """What a chunk's step returns, from its labels (also those of a chunk an interrupted run finished: then
    ``checked``, the classes and probabilities are checked first, raising ValueError)."""
    from atomatlas.engine.parts import finite_columns

    if checked:
        finite_columns(labels, ["probability"])
        if not labels["class"].isin(classes).all() or not labels["fault"].isin(FAULTS).all():
            raise ValueError("unknown classes or faults")
        if grains:
            finite_columns(labels, ["grain"])
    faults = labels["fault"][labels["fault"] != FAULTS[0]].value_counts().to_dict()
    return fractions(labels, classes), labels["class"].value_counts().to_dict(), faults, len(labels)


def run(config: IdentifyRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Label every atom of every usable frame, chunk by chunk, in this process or on Dask workers (``[dask]``);
    unusable files or frames are skipped and named."""
    from atomatlas.engine.executors import chunks, executor
    from atomatlas.engine.parts import file_stamps, partial_work
    from atomatlas.io.structures import expand_paths, iter_frames, nothing_usable

    settings = config.identify
    folder = RunFolder(out, overwrite=overwrite, kind="identify")
    folder.check()
    model, meta = load_model(settings.model)
    classes, skipped = meta["classes"], []
    identity = {"config": config.to_toml(), "chunk": CHUNK_ATOMS, "inputs": file_stamps(expand_paths(settings.paths)),
                "model": file_stamps([settings.model]) if settings.model else "shipped"}
    with (executor(config.dask, progress) as engine, folder as tmp,
          partial_work(folder.target, identity) as work):
        def finished(batch, part):
            path = work.part_path(part)
            if not _structures_part(path).exists() or (settings.grains and not _grain_parts_readable(path)):
                return None
            return work.finished_part(part, batch, sum(len(f.atoms) for f in batch),
                                      lambda labels: summarise(labels, classes, checked=True, grains=settings.grains))

        start = time.perf_counter()
        frames = iter_frames(settings.paths, index=settings.index, format=settings.format, skipped=skipped)
        done = engine.map_chunks(label_part, chunks(frames, lambda frame: len(frame.atoms), CHUNK_ATOMS),
                                 (engine.share(model), classes, settings.n_jobs if engine.name == "local" else 1,
                                  settings.grains),
                                 part_path=work.part_path, desc="identify", progress=progress, finished=finished)
        seconds = time.perf_counter() - start
        if not done:
            raise nothing_usable(skipped) if skipped else AtlasError("no structure to label.")
        grains = _write_grains(tmp, work, len(done)) if settings.grains else None  # before the parts are adopted
        labels, metrics = _write_outputs(tmp, work, done, classes)
        if grains:
            metrics["grains"] = grains
        metrics = {"name": config.name, "atomatlas_version": __version__, **metrics,
                   "atoms_per_second": metrics["n_atoms"] / seconds, "model": settings.model or "shipped",
                   "skipped": [vars(item) for item in skipped]}
        if (where := engine.record(work)) is not None:
            metrics["dask"] = where
        elif work.resume:
            metrics["resume"] = work.record()
        write_record(tmp, "identify", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics, skipped=skipped)


def _grain_parts_readable(path) -> bool:
    """Whether a finished chunk's grain tables are there, with their columns and finite numbers (else: label the
    chunk again; a boundary between two lattices has no misorientation, so that one may be empty)."""
    from atomatlas.engine.parts import finite_columns

    columns = {"grains.csv": (["grain", "atoms", *ORIENTATION], "lattice"),  # (finite numbers, also there)
               "grain_boundaries.csv": (["grain_a", "grain_b", "boundary_atoms"], "misorientation")}
    try:
        for name, (numbers, other) in columns.items():
            table = pd.read_csv(_grains_part(path, name))
            finite_columns(table, numbers)
            table[other]  # noqa: B018 - a KeyError when the column is missing
        return True
    except Exception:  # noqa: BLE001 - missing or damaged: computed again
        return False


def _write_grains(folder: Path, work, n_parts: int) -> dict:
    """grains.csv and grain_boundaries.csv from every chunk's; what metrics.json says of them."""
    counts = {}
    for name in GRAIN_FILES:
        tables = [pd.read_csv(_grains_part(work.part_path(part), name)) for part in range(n_parts)]
        table = pd.concat(tables, ignore_index=True)
        write_csv(folder / name, table)
        counts[name] = len(table)
    return {"files": list(GRAIN_FILES), "n_grains": counts["grains.csv"],
            "n_boundaries": counts["grain_boundaries.csv"]}


def _write_outputs(folder: Path, work, done: list, classes: list) -> tuple[pd.DataFrame | None, dict]:
    """The chunks' parts as labels.csv (or labels.parquet/ beyond LABELS_CSV_MAX_ROWS atoms) and
    structures.extxyz; fractions.csv (.png for a trajectory); what metrics.json says of them."""
    import shutil
    from collections import Counter

    from atomatlas.plots.identify import fractions_figure
    from atomatlas.runs.folder import join_parts
    from atomatlas.runs.on_sample import LABELS_CSV_MAX_ROWS

    with open(folder / "structures.extxyz", "wb") as structures:
        for part in range(len(done)):
            with open(_structures_part(work.part_path(part)), "rb") as chunk:
                shutil.copyfileobj(chunk, structures)
    parts = folder / "labels.parquet"
    work.adopt_parts(len(done), parts)
    shares = pd.concat([share for share, *_ in done], ignore_index=True)
    n_atoms = sum(n for *_, n in done)
    labels = join_parts(parts, folder) if n_atoms <= LABELS_CSV_MAX_ROWS else None
    write_csv(folder / "fractions.csv", shares)
    figures = [save_figure(folder, "fractions.png", fractions_figure(shares, classes))] \
        if shares.groupby("structure").size().max() > 1 else []
    counts, faults = ({name: int(n) for name, n in sum((Counter(part[i]) for part in done), Counter()).items()}
                      for i in (1, 2))
    return labels, {"n_frames": len(shares), "n_atoms": int(n_atoms), "classes": classes,
                    "counts": dict(sorted(counts.items())),
                    "faults": {name: faults.get(name, 0) for name in FAULTS[1:]},
                    "figures": figures, "labels_file": "labels.csv" if labels is not None else "labels.parquet"}
