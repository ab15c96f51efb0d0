"""Train the crystal-class ensemble (``atomatlas train-crystal-ensemble``, section ``[crystal_ensemble]``).

Generates structures of the seven classes (:func:`atomatlas.datasets.prototypes.generate_any_cell`:
rotated periodic supercells and clusters without a cell, pristine and defective) and, as the
class ``outside``, lattices displaced far beyond melting and random packings (disorder,
which the networks would otherwise put in some class); describes them by their atoms' scale-free local order, averaged (:mod:`atomatlas.descriptors.structure_order`), trains
the ensemble (:mod:`atomatlas.learn.crystal_ensemble`) and sets its novelty threshold on a
second generated set. ``atomatlas classify`` uses the shipped one by default. How well it
does on crystals written differently is measured by docs/crystal_stress.py, never here.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.datasets.atom_environments import HCP_COMMON, melted_lattices
from atomatlas.datasets.prototypes import CLASSES, generate_any_cell
from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunFolder, RunResult, write_record
from atomatlas.runs.sections import RunHeader, check_keys, header, number


@dataclass
class CrystalEnsembleSettings:
    """``[crystal_ensemble]``: how many generated structures, how defective, how many networks."""

    per_class: int = 300
    calibration_per_class: int = 40
    members: int = 5
    vacancies: list[float] = field(default_factory=lambda: [0.0, 0.5])
    displacement: list[float] = field(default_factory=lambda: [0.0, 0.08])
    cluster_fraction: float = 0.25
    pristine_fraction: float = 0.25
    outside: int = 300  # melted lattices and random packings in the class `outside` (0: none)
    n_jobs: int = 2

    @classmethod
    def parse(cls, raw) -> CrystalEnsembleSettings:
        check_keys(raw or {}, cls.__dataclass_fields__, "crystal_ensemble")
        out = cls(**(raw or {}))
        number(out.per_class, "per_class", "crystal_ensemble", 4, 100_000, integer=True)
        number(out.calibration_per_class, "calibration_per_class", "crystal_ensemble", 2, 100_000, integer=True)
        number(out.members, "members", "crystal_ensemble", 1, 32, integer=True)
        number(out.outside, "outside", "crystal_ensemble", 0, 100_000, integer=True)
        number(out.cluster_fraction, "cluster_fraction", "crystal_ensemble", 0.0, 1.0)
        number(out.pristine_fraction, "pristine_fraction", "crystal_ensemble", 0.0, 1.0)
        number(out.n_jobs, "n_jobs", "crystal_ensemble", 1, 256, integer=True)
        for name in ("vacancies", "displacement"):
            value = getattr(out, name)
            if not isinstance(value, list) or len(value) != 2:
                raise AtlasError(f"config: [crystal_ensemble] {name} must be [low, high]; got {value!r}.")
        return out


@dataclass(kw_only=True)
class TrainEnsembleRun(RunHeader):
    name: str = "train-crystal-ensemble"
    crystal_ensemble: CrystalEnsembleSettings = field(default_factory=CrystalEnsembleSettings)

    @classmethod
    def parse(cls, raw: dict, base: Path | None = None) -> TrainEnsembleRun:
        check_keys(raw, {"name", "description", "seed", "crystal_ensemble"}, "top level")
        return cls(**header(raw), crystal_ensemble=CrystalEnsembleSettings.parse(raw.get("crystal_ensemble")))

    def to_toml(self) -> dict:
        return {**self.header_toml(), "crystal_ensemble": asdict(self.crystal_ensemble)}


def _generated(settings: CrystalEnsembleSettings, n_per_class: int, seed: int) -> list:
    return generate_any_cell(n_per_class, seed=seed, vacancies=tuple(settings.vacancies),
                             displacement=tuple(settings.displacement), cluster_fraction=settings.cluster_fraction,
                             pristine_fraction=settings.pristine_fraction)


def _outside(count: int, seed: int) -> list:
    """Structures of no class: lattices displaced far beyond melting and random packings, half each."""
    from atomatlas.datasets.held_out_crystals import random_gas

    rng = np.random.default_rng(seed)
    packings = [random_gas(300, rng, volume_per_atom=rng.uniform(13.0, 17.0), min_distance=rng.uniform(1.7, 2.0))
                for _ in range(count // 2)]
    # the lattices the shipped crystal ensemble was trained on: hcp c/a as identify's generator drew it before
    return melted_lattices(count - len(packings), rng, n_atoms=300, hcp_c_over_a=HCP_COMMON) + packings


def train(config: TrainEnsembleRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Generate, describe, train and calibrate; the model files and their record go into the run folder ``out``."""
    from atomatlas.descriptors.structure_order import SETTINGS, StructureOrder
    from atomatlas.learn import crystal_ensemble

    settings, seed = config.crystal_ensemble, config.seed
    folder = RunFolder(out, overwrite=overwrite, kind="crystal-ensemble")
    folder.check()
    start = time.perf_counter()
    structures = _generated(settings, settings.per_class, seed)
    calibration = _generated(settings, settings.calibration_per_class, seed + 1000)
    outside = _outside(settings.outside, seed + 2000)
    describe = StructureOrder()
    X = describe.create(structures + outside, n_jobs=settings.n_jobs, progress=progress)
    X_calibration = describe.create(calibration, n_jobs=settings.n_jobs, progress=progress)
    classes = list(CLASSES) + ([crystal_ensemble.OUTSIDE] if outside else [])
    y = np.array([CLASSES.index(atoms.info["crystal_class"]) for atoms in structures] + [len(CLASSES)] * len(outside))
    describe_seconds = time.perf_counter() - start
    model = crystal_ensemble.fit(X, y, classes, X_calibration, members=settings.members, seed=seed,
                                 progress=progress)
    proba, uncertainty, _ = model.predict(X_calibration)
    truth = np.array([CLASSES.index(atoms.info["crystal_class"]) for atoms in calibration])
    meta = {"descriptor": {"name": "structure_order", **SETTINGS},
            "training": {**asdict(settings), "seed": seed, "n_structures": len(structures),
                         "n_calibration": len(calibration), "describe_seconds": round(describe_seconds, 1),
                         "train_seconds": round(time.perf_counter() - start - describe_seconds, 1),
                         "calibration_accuracy": float((proba.argmax(1) == truth).mean()),
                         "calibration_unknown": float((uncertainty > crystal_ensemble.UNKNOWN_ABOVE).mean())}}
    with folder as tmp:
        crystal_ensemble.save(model, tmp, meta)
        write_record(tmp, "crystal ensemble", meta, config.to_toml())
    return RunResult(path=Path(out), labels=pd.DataFrame(), metrics=meta)
