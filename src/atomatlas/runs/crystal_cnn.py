"""Train the crystal-structure CNN: ``atomatlas train-crystal-cnn`` (section ``[crystal_cnn]``).

Generates balanced, defective structures of the seven classes
(:mod:`atomatlas.datasets.prototypes`), computes their diffraction fingerprints, trains
the CNN (:mod:`atomatlas.learn.nn.crystal_cnn`) and scores it on fresh draws of the same
generator (:data:`TEST_SETS`). ``atomatlas classify --model DIR`` then uses it
(runs/crystal_classes.py).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.datasets.prototypes import CLASSES, generate
from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record
from atomatlas.runs.sections import RunHeader, check_keys, header, number

TEST_SETS = {"pristine": (0.0, 0.0), "vacancies 25%": (0.25, 0.0), "displacement 5%": (0.0, 0.05)}


def fingerprint_structures(structures, n_jobs: int = 2, progress: bool = False) -> np.ndarray:
    from atomatlas.descriptors.diffraction import fingerprints

    return fingerprints(structures, n_jobs=n_jobs, progress=progress)


def labels_of(structures) -> np.ndarray:
    return np.array([CLASSES.index(a.info["crystal_class"]) for a in structures])


@dataclass
class CrystalCNN:
    """``[crystal_cnn]``: how many generated structures, how defective, how long to train."""

    per_class: int = 500
    epochs: int = 5
    test_per_class: int = 50
    vacancies: list[float] = field(default_factory=lambda: [0.0, 0.5])
    displacement: list[float] = field(default_factory=lambda: [0.0, 0.08])
    n_jobs: int = 2

    @classmethod
    def parse(cls, raw) -> CrystalCNN:
        check_keys(raw or {}, cls.__dataclass_fields__, "crystal_cnn")
        out = cls(**(raw or {}))
        if not isinstance(out.per_class, int) or out.per_class < 2 or not isinstance(out.epochs, int) \
                or out.epochs < 1:
            raise AtlasError("--per-class must be at least 2 and --epochs at least 1.")
        number(out.test_per_class, "test_per_class", "crystal_cnn", 1, float("inf"), integer=True)
        number(out.n_jobs, "n_jobs", "crystal_cnn", 1, 256, integer=True)
        return out


@dataclass(kw_only=True)
class TrainRun(RunHeader):
    name: str = "train-crystal-cnn"
    crystal_cnn: CrystalCNN = field(default_factory=CrystalCNN)

    @classmethod
    def parse(cls, raw: dict, base: Path | None = None) -> TrainRun:
        check_keys(raw, {"name", "description", "seed", "crystal_cnn"}, "top level")
        return cls(**header(raw), crystal_cnn=CrystalCNN.parse(raw.get("crystal_cnn")))

    def to_toml(self) -> dict:
        return {**self.header_toml(),
                "crystal_cnn": asdict(self.crystal_cnn)}


def train(config: TrainRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Generate, fingerprint, train and test; writes the model and its record into the run folder ``out``."""
    from atomatlas.learn.nn import crystal_cnn
    from atomatlas.plots.crystals import training_curves

    settings, seed = config.crystal_cnn, config.seed
    folder = RunFolder(out, overwrite=overwrite, kind="crystal-cnn")
    folder.check()
    start = time.perf_counter()
    structures = generate(settings.per_class, seed=seed, vacancies=tuple(settings.vacancies),
                          displacement=tuple(settings.displacement))
    X = fingerprint_structures(structures, n_jobs=settings.n_jobs, progress=progress)
    fingerprint_seconds = time.perf_counter() - start
    model, history = crystal_cnn.train(X, labels_of(structures), n_classes=len(CLASSES), epochs=settings.epochs,
                                       seed=seed, n_jobs=settings.n_jobs, progress=progress)
    with folder as tmp:
        tests = _test(model, settings, seed, tmp)
        meta = {"classes": list(CLASSES), "fingerprint": "diffraction2d (atomatlas.descriptors.diffraction defaults)",
                "training": {"per_class": settings.per_class, "epochs": settings.epochs, "seed": seed,
                             "vacancies": list(settings.vacancies), "displacement": list(settings.displacement),
                             "n_structures": len(structures), "fingerprint_seconds": round(fingerprint_seconds, 1),
                             "train_seconds": round(time.perf_counter() - start - fingerprint_seconds, 1),
                             "history": history},
                "tests": tests}
        crystal_cnn.save(model, tmp, meta)
        metrics = {**meta, "figures": [save_figure(tmp, "training.png", training_curves(history))]}
        write_record(tmp, "crystal cnn", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=pd.DataFrame(), metrics=metrics)


def _test(model, settings: CrystalCNN, seed: int, folder: Path) -> dict:
    """Accuracy on fresh draws of the training generator: pristine, 25% vacancies, 5% displacements."""
    from atomatlas.learn.nn import crystal_cnn

    tests = {}
    for number_, (name, (vacancy, shift)) in enumerate(TEST_SETS.items()):
        structures = generate(settings.test_per_class, seed=seed + 1000 + number_, vacancies=(vacancy, vacancy),
                              displacement=(shift, shift))
        proba, spread = crystal_cnn.predict(model, fingerprint_structures(structures, settings.n_jobs),
                                            n_jobs=settings.n_jobs)
        truth = labels_of(structures)
        tests[name] = {"n": len(structures), "accuracy": float((proba.argmax(1) == truth).mean()),
                       "mean_uncertainty": float(spread.max(axis=1).mean())}
        if name == "pristine":
            confusion = pd.crosstab(pd.Series(np.array(CLASSES)[truth], name="true"),
                                    pd.Series(np.array(CLASSES)[proba.argmax(1)], name="predicted"))
            write_csv(folder / "confusion_pristine.csv", confusion.reset_index())
    return tests
