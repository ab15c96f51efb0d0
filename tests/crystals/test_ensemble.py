"""The crystal-class ensemble: a descriptor blind to cell, orientation and size; a safe model file; classify's default."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from ase.build import bulk
from ase.io import write

from atomatlas import api
from atomatlas.datasets.prototypes import as_cluster, supercell
from atomatlas.descriptors.structure_order import StructureOrder
from atomatlas.errors import AtlasError
from atomatlas.learn import crystal_ensemble
from atomatlas.runs.shipped import shipped_model_dir


def _relative_gap(a, b) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(a))


def test_descriptor_is_the_same_for_any_cell_orientation_and_size():
    describe = StructureOrder()
    primitive = bulk("Fe", "bcc", a=2.87)
    reference = describe.one(bulk("Fe", "bcc", a=2.87, cubic=True).repeat(5))
    skewed = primitive.copy()
    from ase.build import make_supercell

    skewed = make_supercell(primitive, [[3, 1, 0], [0, 4, -1], [1, 0, 5]])
    skewed.rotate(37, "x", rotate_cell=True)
    skewed.rotate(71, "z", rotate_cell=True)
    larger = bulk("W", "bcc", a=3.16).repeat(7)  # another element and scale: the same crystal class
    for other in (primitive.repeat(7), skewed, larger):
        assert _relative_gap(reference, describe.one(other)) < 1e-4  # float32
    cluster = as_cluster(supercell(bulk("Fe", "bcc", a=2.87, cubic=True), 3000), np.random.default_rng(0), 600)
    fcc_gap = _relative_gap(reference, describe.one(bulk("Cu", "fcc", a=3.61).repeat(6)))
    assert fcc_gap > 0.1
    assert _relative_gap(reference, describe.one(cluster)) < fcc_gap / 3  # surfaces left out: nearly bulk


def test_descriptor_refuses_a_single_atom_without_a_cell():
    from ase import Atoms

    with pytest.raises(AtlasError, match=r"1 atom\(s\) and no periodic cell"):
        StructureOrder().one(Atoms("Cu", positions=[[0, 0, 0]]))


def _cases(folder):
    """The structures the diffraction CNN got wrong (issue 12), and two outside the classes."""
    from atomatlas.datasets.held_out_crystals import random_gas

    rng = np.random.default_rng(3)
    cases = {"fe-primitive-7.extxyz": ("bcc", bulk("Fe", "bcc", a=2.87).repeat(7)),
             "si-primitive-5.extxyz": ("diamond", bulk("Si", "diamond", a=5.43).repeat(5)),
             "cu-primitive-8.extxyz": ("fcc", bulk("Cu", "fcc", a=3.61).repeat(8)),
             "cu-sphere.extxyz": ("fcc", as_cluster(supercell(bulk("Cu", "fcc", a=3.61, cubic=True), 3000), rng, 300)),
             "si-sphere.extxyz": ("diamond", as_cluster(supercell(bulk("Si", "diamond", a=5.43, cubic=True), 3000),
                                                          rng, 300)),
             "mg-hcp-ideal.extxyz": ("hex_rh", bulk("Mg", "hcp", a=3.21)),  # 12 equidistant neighbours
             "gas.extxyz": ("unknown", random_gas(250, rng))}
    for name, (_, atoms) in cases.items():
        write(folder / name, atoms)
    return {name: truth for name, (truth, _) in cases.items()}


def test_classify_defaults_to_the_ensemble_and_gets_users_cells_right(tmp_path):
    truth = _cases(tmp_path)
    result = api.classify_structures(sorted(str(tmp_path / name) for name in truth), tmp_path / "run")
    said = {row.structure.split("/")[-1]: row[2] for row in result.labels.itertuples(index=False)}
    assert said == truth
    labels = result.labels.set_index(result.labels["structure"].str.split("/").str[-1])
    assert labels.loc["gas.extxyz", "uncertainty"] > 0.5 and labels.loc["gas.extxyz", "probability_outside"] > 0.5
    assert (labels.drop("gas.extxyz")["uncertainty"] < 0.5).all()
    assert result.metrics["model_kind"] == "ensemble"
    assert {"best_class", "novelty", "probability_bcc"} <= set(result.labels.columns)


def test_classify_maps_need_the_cnn(tmp_path):
    write(tmp_path / "fe.extxyz", bulk("Fe", "bcc", a=2.87).repeat(4))
    with pytest.raises(AtlasError, match="--maps .* add --model cnn"):
        api.classify_structures(str(tmp_path / "fe.extxyz"), tmp_path / "run", model="ensemble", maps="")
    assert not (tmp_path / "run").exists()
    result = api.classify_structures(str(tmp_path / "fe.extxyz"), tmp_path / "cnn-run", maps="")
    assert result.metrics["model_kind"] == "cnn" and (tmp_path / "cnn-run" / "maps").is_dir()


@pytest.fixture()
def model_copy(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("crystal_ensemble.npz", "crystal_ensemble.json"):
        shutil.copy(shipped_model_dir() / name, folder / name)
    return folder


def test_shipped_ensemble_round_trips(model_copy):
    model, meta = crystal_ensemble.load(model_copy)
    assert meta["classes"] == ["sc", "bcc", "fcc", "diamond", "hex_rh", "bct139", "bct141", "outside"]
    assert len(model.members) == meta["members"] and model.threshold > 0


def _rewrite_array(folder, name, change):
    path = folder / "crystal_ensemble.npz"
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays[name] = change(arrays[name])
    np.savez(path, **arrays)


@pytest.mark.parametrize("name, change, message", [
    ("member0_weight0", lambda a: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a), "NaN"),
    ("member0_bias0", lambda a: a[:-1], r"float64\["),
    ("scale", lambda a: -a, "non-positive"),
    ("mean", lambda a: a.astype(np.float32), "float32"),
])
def test_damaged_ensemble_arrays_are_refused(model_copy, name, change, message):
    _rewrite_array(model_copy, name, change)
    with pytest.raises(AtlasError, match=message):
        crystal_ensemble.load(model_copy)


@pytest.mark.parametrize("change, message", [
    (lambda meta: {**meta, "classes": [*meta["classes"][:-1], "unknown"]}, "classes"),
    (lambda meta: {**meta, "hidden": ["os.system"]}, "positive integers"),
    (lambda meta: {**meta, "members": 10 ** 9}, "positive integers"),
    (lambda meta: {**meta, "threshold": "nan"}, "threshold"),
    (lambda meta: {**meta, "format_version": 99}, "format v99; this atomatlas .* reads v1 only"),
])
def test_damaged_ensemble_json_is_refused(model_copy, change, message):
    path = model_copy / "crystal_ensemble.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))
    with pytest.raises(AtlasError, match=message):
        crystal_ensemble.load(model_copy)


@pytest.mark.parametrize("edit, message", [
    (lambda json_file: json_file.write_text("[" * 200_000 + "]" * 200_000), "nested too deeply"),
    (lambda json_file: (json_file.unlink(), json_file.symlink_to("/etc/passwd")), "is a symbolic link"),
    (lambda json_file: (json_file.unlink(), os.mkfifo(json_file)), "is a named pipe"),
    (lambda json_file: json_file.write_text('{"format": "atomatlas-crystal-ensemble", "format_version": 7}'),
     "in atomatlas-crystal-ensemble format v7; this atomatlas .* reads v1 only"),
], ids=["nested", "link", "pipe", "newer format"])
def test_a_hostile_model_json_is_refused_in_one_line_by_the_one_loader(model_copy, edit, message):
    """The same checked loader (untrusted.model_meta) reads every model's metadata: the crystal ensemble's,
    the atom ensemble's, the CNN's and a run's model.json."""
    from atomatlas.learn.nn import crystal_cnn

    edit(model_copy / "crystal_ensemble.json")
    with pytest.raises(AtlasError, match=message):
        crystal_ensemble.load(model_copy)
    (model_copy / "crystal_cnn.json").write_text("[" * 200_000 + "]" * 200_000)
    (model_copy / "crystal_cnn.npz").write_bytes(b"")
    with pytest.raises(AtlasError, match="nested too deeply"):
        crystal_cnn.load(model_copy)


def test_unreadable_ensemble_files_are_refused(model_copy):
    (model_copy / "crystal_ensemble.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(AtlasError, match="not a readable weights file"):
        crystal_ensemble.load(model_copy)
    (model_copy / "crystal_ensemble.json").write_text("{")
    with pytest.raises(AtlasError, match="not valid JSON"):
        crystal_ensemble.load(model_copy)


def test_the_shipped_ensemble_is_what_train_crystal_ensemble_makes_of_its_calibration_set():
    """The calibration figures recorded in the shipped model's JSON come back from its own calibration structures
    (the generator at the recorded seed): accuracy, share unknown, and the novelty threshold at their 99th
    percentile. A retrained model shipped without its record, or a changed generator, fails here."""
    from atomatlas.datasets.prototypes import CLASSES
    from atomatlas.descriptors.structure_order import StructureOrder
    from atomatlas.runs.crystal_ensemble import CrystalEnsembleSettings, _generated
    from atomatlas.runs.crystal_classes import _load_ensemble
    from atomatlas.runs.shipped import shipped_model_dir

    model, meta = _load_ensemble(shipped_model_dir())
    training = meta["training"]
    settings = CrystalEnsembleSettings(**{k: training[k] for k in CrystalEnsembleSettings.__dataclass_fields__
                                          if k in training})
    calibration = _generated(settings, settings.calibration_per_class, training["seed"] + 1000)
    assert len(calibration) == training["n_calibration"]
    proba, uncertainty, novelty = model.predict(StructureOrder().create(calibration, n_jobs=2))
    truth = np.array([CLASSES.index(atoms.info["crystal_class"]) for atoms in calibration])
    assert (proba.argmax(1) == truth).mean() == pytest.approx(training["calibration_accuracy"], abs=1e-12)
    assert (uncertainty > 0.5).mean() == pytest.approx(training["calibration_unknown"], abs=1e-12)
    assert np.quantile(novelty, 0.99) == pytest.approx(1.0, abs=1e-4)
