"""Classify structure files by crystal class: ``atomatlas classify`` (section ``[crystal_classes]``).

Labels every structure of the files with a trained model, the shipped ensemble unless
told otherwise (runs/shipped.py): a run folder with ``labels.csv`` (structure, frame,
class, probability, uncertainty and the probability of every class), ``metrics.json``,
``config.toml`` and, with ``--maps``, class-activation maps of the CNN. The ensemble
runs as one chunked plan on the local or the Dask executor.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.datasets.prototypes import supercell
from atomatlas.errors import SPGLIB_ERROR_HANDLING, AtlasError, hide_library_warnings
from atomatlas.io.structures import expand_paths
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record
from atomatlas.runs.sections import RunHeader, check_keys, header, input_path, number
from atomatlas.runs.shipped import SHIPPED, model_kind


@dataclass
class CrystalClasses:
    """``[crystal_classes]``: the structure files to classify, the model, and what else to write."""

    paths: list[str]
    format: str | None = None
    model: str | None = None  # "ensemble" (None: the shipped one), "cnn" (the shipped CNN) or a model folder
    mc_samples: int = 20  # Monte Carlo dropout samples; 0 = off
    maps: str | None = None  # "" = class-activation maps in the run folder's maps/; a path: there
    n_jobs: int = 2  # as on the command line and in the api (a test keeps the three alike)

    @classmethod
    def parse(cls, raw, base: Path | None) -> CrystalClasses:
        check_keys(raw, cls.__dataclass_fields__, "crystal_classes")
        out = cls(**raw)
        if not isinstance(out.paths, list) or not out.paths:
            raise AtlasError("config: [crystal_classes] needs paths = [structure files or globs].")
        out.paths = [input_path(p, base, "[crystal_classes] paths") for p in out.paths]
        if out.model is not None and out.model not in SHIPPED:
            out.model = input_path(out.model, base, "[crystal_classes] model")
        if out.maps:
            out.maps = input_path(out.maps, base, "[crystal_classes] maps")
        if isinstance(out.mc_samples, bool) or not isinstance(out.mc_samples, int) or out.mc_samples < 0:
            raise AtlasError(f"--mc must be 0 or more; got {out.mc_samples}.")
        number(out.n_jobs, "n_jobs", "crystal_classes", 1, 256, integer=True)
        return out


@dataclass(kw_only=True)
class ClassifyRun(RunHeader):
    name: str = "classify"
    crystal_classes: CrystalClasses
    dask: object = None  # a runs.sections.DaskSection: the ensemble's work on Dask workers

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> ClassifyRun:
        from atomatlas.runs.sections import DaskSection

        check_keys(raw, {"name", "description", "seed", "crystal_classes", "dask"}, "top level")
        run = cls(**header(raw), crystal_classes=CrystalClasses.parse(raw["crystal_classes"], base),
                  dask=DaskSection.parse(raw["dask"]) if raw.get("dask") is not None else None)
        if run.dask is not None and run.crystal_classes.model not in (None, "ensemble"):
            raise AtlasError("--scheduler classifies with the shipped ensemble only: drop --model, or drop "
                             "--scheduler for the CNN or another model folder.")
        return run

    def to_toml(self) -> dict:
        out = {**self.header_toml(),
               "crystal_classes": {k: v for k, v in asdict(self.crystal_classes).items() if v is not None}}
        return out if self.dask is None else {**out, "dask": self.dask.to_toml()}


def structures_for_classification(paths, format: str | None = None, skipped: list | None = None):
    """Frames of the files; periodic cells are made conventional and repeated to about 250 atoms.

    With ``skipped`` (a list), unusable files and frames are recorded there and left out.
    """
    from atomatlas.io.structures import Skipped, read_frames

    prepared = []
    for frame in read_frames(paths, format=format, skipped=skipped):
        try:
            prepared.append((frame, _prepared(frame)))
        except AtlasError as exc:
            if skipped is None:
                raise AtlasError(f"{frame.source} frame {frame.index}: {exc}") from None
            skipped.append(Skipped(frame.source, frame.index, str(exc)))
    return prepared


def _prepared(frame):
    """One frame ready for a fingerprint: small periodic cells standardised and repeated to about 250 atoms."""
    import spglib
    from ase import Atoms

    atoms = frame.atoms
    if len(atoms) < 2 and not atoms.pbc.any():
        raise AtlasError(f"{len(atoms)} atom(s) and no periodic cell: a diffraction fingerprint needs a crystal "
                         "(a periodic cell or a cluster).")
    if atoms.pbc.all() and len(atoms) < 250:
        cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
        with hide_library_warnings(SPGLIB_ERROR_HANDLING):
            try:
                standard = spglib.standardize_cell(cell, to_primitive=False, symprec=1e-3)
            except Exception:  # no symmetry found: keep the cell as given
                standard = None
        if standard is not None:
            lattice, positions, numbers = standard
            atoms = Atoms(numbers=numbers, scaled_positions=positions, cell=lattice, pbc=True)
        atoms = supercell(atoms, 250)
    return atoms


def classify(config: ClassifyRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """A run folder of predictions, one row per structure; ``out`` may be a folder or ``NAME.csv``.

    ``NAME.csv`` (the form before run folders) writes the run folder ``NAME.run/`` and a copy
    of its labels.csv as ``NAME.csv``. Unusable files or frames are skipped and named in
    ``result.skipped`` and metrics.json.
    """
    from atomatlas.learn.nn import crystal_cnn

    settings, out = config.crystal_classes, Path(out)
    csv = out if out.suffix.lower() == ".csv" else None
    if out.suffix and csv is None:
        raise AtlasError(f"--out {out}: give a .csv file name or a folder (the run folder).")
    target = out.with_suffix(".run") if csv is not None else out
    if csv is not None and csv.exists() and not overwrite:
        raise AtlasError(f"{csv} exists; pass --overwrite to replace it or choose another --out.")
    folder = RunFolder(target, overwrite=overwrite, kind="classify")
    folder.check()
    if settings.maps:  # refuse an unusable --maps before any work
        RunFolder(settings.maps, overwrite=overwrite).check()
    # class-activation maps exist only for the CNN: asking for them without a model means the CNN
    kind, model_dir = model_kind("cnn" if settings.model is None and settings.maps is not None else settings.model)
    if kind == "ensemble" and settings.maps is not None:
        raise AtlasError("--maps draws the diffraction CNN's class-activation maps: add --model cnn.")
    skipped = []
    if kind == "ensemble":
        (frame, meta, model), X = _ensemble_predictions(settings, model_dir, skipped, progress, config.dask), None
    else:
        model, meta = crystal_cnn.load(model_dir)
        X, used = _fingerprints(settings, skipped, progress)
        proba, spread = crystal_cnn.predict(model, X, mc_samples=settings.mc_samples, n_jobs=settings.n_jobs)
        frame = _predictions(meta["classes"], used, proba, spread)
    with folder as tmp:
        write_csv(tmp / "labels.csv", frame)
        if settings.maps is not None:
            _write_maps(Path(settings.maps) if settings.maps else tmp / "maps", model, X, frame, overwrite,
                        own_folder=bool(settings.maps))
        metrics = {"name": config.name, "atomatlas_version": __version__, "n_structures": len(frame),
                   "model": settings.model or "ensemble", "model_kind": kind, "classes": meta["classes"],
                   "counts": frame["class"].value_counts().sort_index().to_dict(),
                   "skipped": [vars(item) for item in skipped]}
        record = config.to_toml()  # the files read, not the globs: a rerun classifies these same files
        record["crystal_classes"]["paths"] = [os.path.abspath(p) for p in expand_paths(settings.paths)]
        write_record(tmp, "crystal classes", metrics, record)
    if csv is not None:
        _copy_atomically(target / "labels.csv", csv)
    return RunResult(path=target, labels=frame, metrics=metrics, skipped=skipped)


def _load_ensemble(model_dir: Path):
    """(model, meta) of a crystal ensemble, refused if trained on another structure descriptor."""
    from atomatlas.descriptors.structure_order import N_FEATURES, SETTINGS
    from atomatlas.learn import crystal_ensemble

    model, meta = crystal_ensemble.load(model_dir)
    if meta.get("descriptor") != {"name": "structure_order", **SETTINGS} or meta["n_features"] != N_FEATURES:
        raise AtlasError(f"{model_dir}: trained on another structure descriptor than this atomatlas computes; "
                         "rebuild it with `atomatlas train-crystal-ensemble`.")
    return model, meta


def _usable_frames(frames, skipped: list) -> list:
    from atomatlas.descriptors.local_order import check_atoms
    from atomatlas.io.structures import Skipped

    used = []
    for frame in frames:
        try:
            check_atoms(frame.atoms)  # before any worker starts
            used.append(frame)
        except AtlasError as exc:
            skipped.append(Skipped(frame.source, frame.index, str(exc)))
    return used


def _ensemble_rows(used: list, rows: np.ndarray, model, meta) -> pd.DataFrame:
    """One row per structure: the class (or unknown), its probability, uncertainty, novelty, every probability."""
    from atomatlas.learn import crystal_ensemble

    proba, uncertainty, novelty = model.predict(rows)
    classes = np.array(meta["classes"])
    in_class = model.in_class()
    best = in_class[proba[:, in_class].argmax(1)]  # the best crystal class; OUTSIDE shows in the uncertainty
    unknown = uncertainty > crystal_ensemble.UNKNOWN_ABOVE
    frame = pd.DataFrame({"structure": [f.source for f in used], "frame": [f.index for f in used],
                          "class": np.where(unknown, crystal_ensemble.UNKNOWN, classes[best]),
                          "probability": proba[np.arange(len(best)), best], "uncertainty": uncertainty,
                          "novelty": novelty, "best_class": classes[best]})
    for i, name in enumerate(classes):
        frame[f"probability_{name}"] = proba[:, i]
    return frame


CHUNK_STRUCTURES = 200  # structures per chunk, in this process or on a Dask worker


def classify_part(frames: list, model, meta: dict, n_jobs: int, path=None) -> tuple[pd.DataFrame, list]:
    """One chunk of structures classified; returns (rows, skipped). ``path``: unused (classify keeps no parts:
    its rows come back whole)."""
    from atomatlas.descriptors.structure_order import StructureOrder

    skipped = []
    used = _usable_frames(frames, skipped)
    if not used:
        return pd.DataFrame(), skipped
    return _ensemble_rows(used, StructureOrder().create([f.atoms for f in used], n_jobs=n_jobs), model, meta), skipped


def _ensemble_predictions(settings: CrystalClasses, model_dir: Path, skipped: list, progress: bool, dask):
    """(labels frame, model meta, model): the structure order of every usable frame through the ensemble, the
    files read in chunks on the run's executor (in this process, or on Dask workers with ``dask``)."""
    from atomatlas.engine.executors import chunks, executor
    from atomatlas.io.structures import iter_frames, nothing_usable

    model, meta = _load_ensemble(model_dir)
    with executor(dask, progress) as engine:
        frames = iter_frames(settings.paths, format=settings.format, skipped=skipped)
        n_jobs = settings.n_jobs if engine.name == "local" else 1
        parts = engine.map_chunks(classify_part, chunks(frames, lambda frame: 1, CHUNK_STRUCTURES),
                                  (engine.share(model), meta, n_jobs), part_path=lambda part: None,
                                  desc="classify", progress=progress)
    for _, left_out in parts:
        skipped += left_out
    rows = [rows for rows, _ in parts if len(rows)]
    if not rows:
        raise nothing_usable(skipped) if skipped else AtlasError("no structure to classify.")
    return pd.concat(rows, ignore_index=True), meta, model


def _copy_atomically(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)


def _fingerprints(settings: CrystalClasses, skipped: list, progress: bool):
    """Fingerprints of every usable frame, and those frames; the unusable ones are recorded in ``skipped``."""
    from atomatlas.descriptors.diffraction import Fingerprinter
    from atomatlas.io.structures import Skipped, nothing_usable
    from atomatlas.learn.progress import bar, progress_bars

    prepared = structures_for_classification(settings.paths, format=settings.format, skipped=skipped)
    maker = Fingerprinter()
    X, used = [], []
    with progress_bars(progress and len(prepared) > 20):
        for frame, atoms in bar(prepared, "diffraction fingerprints", "structure"):
            try:
                X.append(maker.one(atoms))
                used.append(frame)
            except AtlasError as exc:
                skipped.append(Skipped(frame.source, frame.index, str(exc)))
    if not X:
        raise nothing_usable(skipped) if skipped else AtlasError("no structure to classify.")
    return np.stack(X), used


def _predictions(classes, used, proba: np.ndarray, spread: np.ndarray) -> pd.DataFrame:
    classes = np.array(classes)
    best = proba.argmax(1)
    frame = pd.DataFrame({"structure": [f.source for f in used], "frame": [f.index for f in used],
                          "class": classes[best], "probability": proba[np.arange(len(best)), best],
                          "uncertainty": spread[np.arange(len(best)), best]})
    for i, name in enumerate(classes):
        frame[f"probability_{name}"] = proba[:, i]
    return frame


def _write_maps(folder: Path, model, X: np.ndarray, frame: pd.DataFrame, overwrite: bool, own_folder: bool) -> None:
    """Each fingerprint beside its class-activation map: in the run folder, or (``--maps DIR``) a folder of its own."""
    from atomatlas.learn.nn.crystal_cnn import class_activation_maps
    from atomatlas.plots.crystals import attention_figure

    cams = class_activation_maps(model, X)

    def draw(into: Path) -> None:
        for i, row in enumerate(frame.itertuples(index=False)):
            name = f"{Path(row.structure).stem}_{row.frame}.png"
            save_figure(into, name, attention_figure(X[i], cams[i], f"{Path(row.structure).name} #{row.frame}: "
                                                                   f"{row[2]} ({row.probability:.2f})"))

    if not own_folder:
        folder.mkdir()
        draw(folder)
        return
    with RunFolder(folder, overwrite=overwrite) as tmp:
        draw(tmp)
