"""Train the per-atom model of ``atomatlas identify`` (``atomatlas train-identify``, section ``[identify_model]``).

Synthetic labelled atoms (:mod:`atomatlas.datasets.atom_environments`) are described by
identify's local order and fitted by the crystal ensemble; a second synthetic set, from
another seed, calibrates its novelty threshold. Writes atom_ensemble.npz and .json.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.runs.folder import RunFolder, RunResult, write_record
from atomatlas.runs.identify import STEM, described
from atomatlas.runs.sections import RunHeader, check_keys, header, number


@dataclass
class IdentifyModel:
    """``[identify_model]``: how many synthetic frames per lattice, how many networks."""

    per_lattice: int = 10
    calibration_per_lattice: int = 1
    liquid_snapshots: int = 3  # per EMT metal (0: no molecular dynamics, for a quick model)
    members: int = 5
    n_jobs: int = 2

    @classmethod
    def parse(cls, raw) -> IdentifyModel:
        check_keys(raw or {}, cls.__dataclass_fields__, "identify_model")
        out = cls(**(raw or {}))
        number(out.per_lattice, "per_lattice", "identify_model", 1, 10_000, integer=True)
        number(out.calibration_per_lattice, "calibration_per_lattice", "identify_model", 1, 10_000, integer=True)
        number(out.members, "members", "identify_model", 1, 32, integer=True)
        number(out.liquid_snapshots, "liquid_snapshots", "identify_model", 0, 1000, integer=True)
        number(out.n_jobs, "n_jobs", "identify_model", 1, 256, integer=True)
        return out


@dataclass(kw_only=True)
class TrainIdentifyRun(RunHeader):
    name: str = "train-identify"
    identify_model: IdentifyModel = field(default_factory=IdentifyModel)

    @classmethod
    def parse(cls, raw: dict, base: Path | None = None) -> TrainIdentifyRun:
        check_keys(raw, {"name", "description", "seed", "identify_model"}, "top level")
        return cls(**header(raw), identify_model=IdentifyModel.parse(raw.get("identify_model")))

    def to_toml(self) -> dict:
        return {**self.header_toml(), "identify_model": asdict(self.identify_model)}


def _labelled_vectors(frames, n_jobs: int):
    """(X, y) of the labelled atoms of synthetic frames (label -1: left out)."""
    X = np.concatenate(list(described(frames, n_jobs)))
    y = np.concatenate([atoms.arrays["label"] for atoms in frames])
    return X[y >= 0], y[y >= 0]


def train(config: TrainIdentifyRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Synthetic labelled atoms -> the atom ensemble, written into the run folder ``out``."""
    from atomatlas.datasets.atom_environments import (CLASSES, HCP_C_OVER_A, MAX_THERMAL, MAX_VACANCIES, MELTED,
                                                      PERFECT_PER_FRAME, UNSTRAINED,
                                                      training_frames)
    from atomatlas.descriptors.local_order import SETTINGS
    from atomatlas.learn import crystal_ensemble

    settings, seed = config.identify_model, config.seed
    folder = RunFolder(out, overwrite=overwrite, kind="identify-model")
    folder.check()
    start = time.perf_counter()
    X, y = _labelled_vectors(training_frames(settings.per_lattice, seed=seed, liquid_snapshots=settings.liquid_snapshots),
                      settings.n_jobs)
    calibration = training_frames(settings.calibration_per_lattice, seed=seed + 1000,
                                  liquid_snapshots=min(1, settings.liquid_snapshots))
    X_calibration, y_calibration = _labelled_vectors(calibration, settings.n_jobs)
    describe_seconds = time.perf_counter() - start
    model = crystal_ensemble.fit(X, y, list(CLASSES), X_calibration, members=settings.members, seed=seed,
                                 progress=progress)
    proba, _, _ = model.predict(X_calibration)
    meta = {"descriptor": {"name": "local_order", **SETTINGS},
            "training": {**asdict(settings), "seed": seed, "n_atoms": int(len(y)),
                         "atoms_per_class": {c: int((y == i).sum()) for i, c in enumerate(CLASSES)},
                         "thermal_sigma_max": MAX_THERMAL, "perfect_per_thermal": PERFECT_PER_FRAME,
                         "perfect_unstrained": UNSTRAINED,
                         "vacancies_max": MAX_VACANCIES,
                         "hcp_c_over_a": list(HCP_C_OVER_A), "melted_sigma": list(MELTED),
                         "describe_seconds": round(describe_seconds, 1),
                         "train_seconds": round(time.perf_counter() - start - describe_seconds, 1),
                         "calibration_accuracy": float((proba.argmax(1) == y_calibration).mean())}}
    with folder as tmp:
        crystal_ensemble.save(model, tmp, meta, stem=STEM)
        write_record(tmp, "identify model", meta, config.to_toml())
    return RunResult(path=Path(out), labels=pd.DataFrame(), metrics=meta)
