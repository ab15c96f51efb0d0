"""Crystal-structure classification runs: train the CNN on generated structures, classify files.

``train_run`` generates balanced, defective structures of the seven classes
(:mod:`atomatlas.datasets.crystals`), computes their diffraction fingerprints, trains
the CNN (:mod:`atomatlas.learn.nn.crystal_cnn`) and scores it on freshly generated test
sets (pristine, 25% vacancies, 5% displacements). ``classify`` labels structure files
with a trained model: the one shipped in the package unless told otherwise.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.datasets.crystals import CLASSES, generate, supercell
from atomatlas.errors import SPGLIB_ERROR_HANDLING, AtlasError, hide_library_warnings
from atomatlas.runfiles import save_figure, write_csv, write_json

TEST_SETS = {"pristine": (0.0, 0.0), "vacancies 25%": (0.25, 0.0), "displacement 5%": (0.0, 0.05)}


def shipped_model_dir() -> Path:
    return Path(str(resources.files("atomatlas") / "models"))


def fingerprint_structures(structures, n_jobs: int = 2, progress: bool = False) -> np.ndarray:
    from atomatlas.descriptors.diffraction import fingerprints

    return fingerprints(structures, n_jobs=n_jobs, progress=progress)


def labels_of(structures) -> np.ndarray:
    return np.array([CLASSES.index(a.info["crystal_class"]) for a in structures])


def train_run(out: str | Path, *, per_class: int = 500, epochs: int = 5, seed: int = 0, test_per_class: int = 50,
              vacancies=(0.0, 0.5), displacement=(0.0, 0.08), n_jobs: int = 2, overwrite: bool = False,
              progress: bool = False) -> dict:
    """Generate, fingerprint, train and test; writes the model and its record into the run folder ``out``."""
    import time

    from atomatlas.io.rundir import RunFolder
    from atomatlas.learn.nn import crystal_cnn
    from atomatlas.plots.crystals import training_curves

    if per_class < 2 or epochs < 1:
        raise AtlasError("--per-class must be at least 2 and --epochs at least 1.")
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    start = time.perf_counter()
    train = generate(per_class, seed=seed, vacancies=vacancies, displacement=displacement)
    X = fingerprint_structures(train, n_jobs=n_jobs, progress=progress)
    y = labels_of(train)
    fingerprint_seconds = time.perf_counter() - start
    model, history = crystal_cnn.train(X, y, n_classes=len(CLASSES), epochs=epochs, seed=seed, n_jobs=n_jobs,
                                       progress=progress)
    train_seconds = time.perf_counter() - start - fingerprint_seconds
    tests = {}
    with folder as tmp:
        for number, (name, (vacancy, shift)) in enumerate(TEST_SETS.items()):
            structures = generate(test_per_class, seed=seed + 1000 + number, vacancies=(vacancy, vacancy),
                                  displacement=(shift, shift))
            proba, spread = crystal_cnn.predict(model, fingerprint_structures(structures, n_jobs), n_jobs=n_jobs)
            truth = labels_of(structures)
            tests[name] = {"n": len(structures), "accuracy": float((proba.argmax(1) == truth).mean()),
                           "mean_uncertainty": float(spread.max(axis=1).mean())}
            if name == "pristine":
                confusion = pd.crosstab(pd.Series(np.array(CLASSES)[truth], name="true"),
                                        pd.Series(np.array(CLASSES)[proba.argmax(1)], name="predicted"))
                write_csv(tmp / "confusion_pristine.csv", confusion.reset_index())
        meta = {"classes": list(CLASSES), "fingerprint": "diffraction2d (atomatlas.descriptors.diffraction defaults)",
                "training": {"per_class": per_class, "epochs": epochs, "seed": seed, "vacancies": list(vacancies),
                             "displacement": list(displacement), "n_structures": len(train),
                             "fingerprint_seconds": round(fingerprint_seconds, 1),
                             "train_seconds": round(train_seconds, 1), "history": history},
                "tests": tests}
        crystal_cnn.save(model, tmp, meta)
        figures = [save_figure(tmp, "training.png", training_curves(history))]
        write_json(tmp / "metrics.json", {**meta, "figures": figures})
    return meta


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


def classify(paths, out_csv: str | Path, *, model_dir: str | Path | None = None, mc_samples: int = 20,
             maps: str | Path | None = None, n_jobs: int = 1, format: str | None = None,
             overwrite: bool = False, skipped: list | None = None) -> pd.DataFrame:
    """One row per structure: file, frame, class, probability, uncertainty (+ probability per class).

    With ``skipped`` (a list), a file or frame that cannot be classified is recorded there
    (by name, with its reason) and the others are classified; without it, it is an error.
    """
    from atomatlas.io.structures import Skipped
    from atomatlas.learn.nn import crystal_cnn

    out_csv = Path(out_csv)
    if out_csv.exists() and not overwrite:
        raise AtlasError(f"{out_csv} exists; pass --overwrite to replace it or choose another --out.")
    if out_csv.suffix.lower() != ".csv":
        raise AtlasError(f"--out {out_csv}: give a .csv file name.")
    if maps is not None:  # refuse an unusable --maps before any work
        from atomatlas.io.rundir import RunFolder

        RunFolder(maps, overwrite=overwrite).check()
    model, meta = crystal_cnn.load(model_dir or shipped_model_dir())
    prepared = structures_for_classification(paths, format=format, skipped=skipped)
    from atomatlas.descriptors.diffraction import Fingerprinter

    from tqdm.auto import tqdm

    maker = Fingerprinter()
    X, used = [], []
    for frame, atoms in tqdm(prepared, desc="diffraction fingerprints", unit="structure", leave=False,
                             disable=None if len(prepared) > 20 else True):
        try:
            X.append(maker.one(atoms))
            used.append(frame)
        except AtlasError as exc:
            if skipped is None:
                raise AtlasError(f"{frame.source} frame {frame.index}: {exc}") from None
            skipped.append(Skipped(frame.source, frame.index, str(exc)))
    if not X:
        from atomatlas.io.structures import nothing_usable

        raise nothing_usable(skipped) if skipped else AtlasError("no structure to classify.")
    X = np.stack(X)
    proba, spread = crystal_cnn.predict(model, X, mc_samples=mc_samples, n_jobs=n_jobs)
    classes = np.array(meta["classes"])
    best = proba.argmax(1)
    frame = pd.DataFrame({"file": [f.source for f in used], "frame": [f.index for f in used],
                          "class": classes[best], "probability": proba[np.arange(len(best)), best],
                          "uncertainty": spread[np.arange(len(best)), best]})
    for i, name in enumerate(classes):
        frame[f"probability_{name}"] = proba[:, i]
    if maps is not None:
        _write_maps(Path(maps), model, X, frame, overwrite)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_csv.with_name(f".{out_csv.name}.{os.getpid()}.tmp")
    write_csv(tmp, frame)
    tmp.replace(out_csv)
    return frame


def _write_maps(folder: Path, model, X: np.ndarray, frame: pd.DataFrame, overwrite: bool) -> None:
    from atomatlas.io.rundir import RunFolder
    from atomatlas.learn.nn.crystal_cnn import class_activation_maps
    from atomatlas.plots.crystals import attention_figure

    cams = class_activation_maps(model, X)
    with RunFolder(folder, overwrite=overwrite) as tmp:
        for i, row in enumerate(frame.itertuples(index=False)):
            name = f"{Path(row.file).stem}_{row.frame}.png"
            save_figure(tmp, name, attention_figure(X[i], cams[i], f"{Path(row.file).name} #{row.frame}: "
                                                                  f"{row[2]} ({row.probability:.2f})"))
