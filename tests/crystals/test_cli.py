"""train-classifier, classify and make-crystals from the command line; the shipped model on real file formats."""

import json
import re

import ase.io
import numpy as np
import pandas as pd
import pytest
from ase import Atoms
from ase.build import bulk

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from atomatlas.cli.main import main

    out = tmp_path_factory.mktemp("cnn") / "model"
    assert main(["train-classifier", "--per-class", "4", "--epochs", "1", "--test-per-class", "1",
                 "--out", str(out)]) == 0
    return out


def test_train_classifier_writes_a_loadable_model(tiny_model):
    from atomatlas.learn.nn.crystal_cnn import load

    model, meta = load(tiny_model)
    assert meta["classes"] == ["sc", "bcc", "fcc", "diamond", "hex_rh", "bct139", "bct141"]
    assert meta["training"]["n_structures"] == 28 and len(meta["training"]["history"]) == 1
    assert set(meta["tests"]) == {"pristine", "vacancies 25%", "displacement 5%"}
    assert (tiny_model / "training.png").exists()
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    assert metrics["tests"]["pristine"]["n"] == 7


def test_classify_cif_poscar_and_extxyz_with_the_shipped_model(cli, tmp_path):
    cif, poscar, frames = tmp_path / "Cu.cif", tmp_path / "POSCAR", tmp_path / "frames.extxyz"
    ase.io.write(cif, bulk("Cu", "fcc", a=3.61))  # a primitive cell: made conventional, then repeated
    ase.io.write(poscar, bulk("W", "bcc", a=3.16, cubic=True), format="vasp")
    ase.io.write(frames, [bulk("Si", "diamond", a=5.43, cubic=True), bulk("Mg", "hcp", a=3.21, c=5.21)])
    status, out, err = cli("classify", cif, poscar, frames, "--out", tmp_path / "preds.csv", "--maps",
                           tmp_path / "maps")
    assert status == 0, err
    preds = pd.read_csv(tmp_path / "preds.csv")
    assert list(preds.columns[:5]) == ["structure", "frame", "class", "probability", "uncertainty"]
    assert preds["frame"].tolist() == [0, 0, 0, 1]
    assert preds["class"].tolist() == ["fcc", "bcc", "diamond", "hex_rh"]
    p, spread = preds["probability"].to_numpy(), preds["uncertainty"].to_numpy()
    assert (p > 0.5).all()
    # the CNN's uncertainty is the spread of p over dropout samples: a spread of values in [0, 1] with mean p is at
    # most sqrt(p (1 - p)), dropout makes it non-zero, and on perfect crystals it is small
    assert (spread <= np.sqrt(p * (1 - p)) + 1e-9).all() and (spread > 0).all() and (spread < 0.25).all()
    probabilities = preds[[c for c in preds.columns if c.startswith("probability_")]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert len(list((tmp_path / "maps").glob("*.png"))) == 4


def test_classify_with_a_trained_model_folder(cli, tmp_path, tiny_model):
    path = tmp_path / "Fe.cif"
    ase.io.write(path, bulk("Fe", "bcc", a=2.87, cubic=True))
    status, _, err = cli("classify", path, "--model", tiny_model, "--mc", "0", "--out", tmp_path / "p.csv")
    assert status == 0, err
    assert pd.read_csv(tmp_path / "p.csv")["uncertainty"].tolist() == [0.0]


def test_classify_bad_input(cli, tmp_path):
    lone = tmp_path / "lone.xyz"
    ase.io.write(lone, Atoms("Cu", positions=[[0, 0, 0]]))
    status, _, err = cli("classify", lone, "--out", tmp_path / "p.csv")
    assert status == 2 and "1 atom(s) and no periodic cell" in err
    odd = tmp_path / "odd.extxyz"
    ase.io.write(odd, Atoms("Cu2", positions=[[0, 0, 0], [2.5, 0, 0]], cell=[[0, 0, 0]] * 3))
    status, _, err = cli("classify", odd, "--out", tmp_path / "p.txt")
    assert status == 2 and "give a .csv file name" in err
    huge = tmp_path / "huge.extxyz"
    ase.io.write(huge, bulk("Cu", "fcc", a=3.6, cubic=True).repeat((12, 12, 12)))
    status, _, err = cli("classify", huge, "--model", "cnn", "--out", tmp_path / "p.csv")
    assert status == 2 and "more than the 5000" in err  # the CNN's fingerprint; the ensemble samples 96 atoms
    status, _, err = cli("classify", tmp_path / "missing.cif", "--out", tmp_path / "p.csv")
    assert status == 2
    status, _, err = cli("classify", lone, "--model", tmp_path, "--out", tmp_path / "p.csv")
    assert status == 2 and "no crystal_cnn.json" in err
    assert not (tmp_path / "p.csv").exists()


def test_classify_refuses_non_finite_coordinates_before_spglib(cli, tmp_path):
    """NaN positions made spglib crash with a segmentation fault (exit 139)."""
    atoms = bulk("Fe", "bcc", a=2.87, cubic=True).repeat(2)
    atoms.positions[3, 0] = np.nan
    ase.io.write(tmp_path / "nan.extxyz", atoms)
    status, _, err = cli("classify", tmp_path / "nan.extxyz", "--out", tmp_path / "p.csv")
    assert status == 2 and "nan.extxyz, frame 0: atom 3 has a non-finite coordinate" in err
    assert not (tmp_path / "p.csv").exists()


def test_one_bad_file_does_not_cost_the_other_classifications(cli, tmp_path):
    good = tmp_path / "W.vasp"
    ase.io.write(good, bulk("W", "bcc", a=3.16, cubic=True), format="vasp")
    nan = bulk("Fe", "bcc", a=2.87, cubic=True).repeat(2)
    nan.positions[0, 2] = np.inf
    ase.io.write(tmp_path / "broken.extxyz", [bulk("Cu", "fcc", a=3.61, cubic=True), nan])
    (tmp_path / "empty.xyz").write_text("")
    status, out, err = cli("classify", good, tmp_path / "broken.extxyz", tmp_path / "empty.xyz", "--out",
                           tmp_path / "p.csv")
    assert status == 3, err
    lines = err.strip().splitlines()
    assert re.search(r"skipped .*broken\.extxyz, frame 1: atom 0 has a non-finite coordinate", lines[0])
    assert re.search(r"skipped .*empty\.xyz: the file is empty", lines[1])
    assert "done with 2 structures; 2 input(s) skipped" in lines[2]
    preds = pd.read_csv(tmp_path / "p.csv")
    assert [(p.rsplit("/", 1)[-1], f) for p, f in zip(preds["structure"], preds["frame"])] == \
        [("W.vasp", 0), ("broken.extxyz", 0)]
    assert preds["class"].tolist() == ["bcc", "fcc"]


def test_make_crystals_writes_a_labelled_dataset(cli, tmp_path):
    status, out, err = cli("make-crystals", "--per-class", "2", "--vacancies", "0.25,0.25", "--out",
                           tmp_path / "c.extxyz")
    assert status == 0, err
    frames = ase.io.read(tmp_path / "c.extxyz", ":")
    assert len(frames) == 14 and frames[0].info["crystal_class"] == "sc" and frames[0].info["vacancies"] == 0.25
    status, _, err = cli("make-crystals", "--per-class", "2", "--out", tmp_path / "c.xyz")
    assert status == 2 and ".extxyz" in err


def test_bad_training_and_classify_options(cli, tmp_path):
    status, _, err = cli("train-classifier", "--per-class", "1", "--out", tmp_path / "m")
    assert status == 2 and "--per-class must be at least 2" in err
    status, _, err = cli("train-classifier", "--vacancies", "0.5,0.2", "--out", tmp_path / "m")
    assert status == 2 and "vacancies range 0.5,0.2 must satisfy 0 <= low <= high <= 0.9" in err
    assert not (tmp_path / "m").exists()
    path = tmp_path / "Fe.cif"
    ase.io.write(path, bulk("Fe", "bcc", a=2.87, cubic=True))
    status, _, err = cli("classify", path, "--mc", "-1", "--out", tmp_path / "p.csv")
    assert status == 2 and "--mc must be 0 or more" in err
    (tmp_path / "maps").write_text("a file")
    status, _, err = cli("classify", path, "--maps", tmp_path / "maps", "--out", tmp_path / "p.csv")
    assert status == 2 and "is an existing file, not a folder" in err
    assert not (tmp_path / "p.csv").exists()


def _copy_shipped(tmp_path):
    import shutil

    from atomatlas.runs.shipped import shipped_model_dir

    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("crystal_cnn.npz", "crystal_cnn.json"):
        shutil.copy(shipped_model_dir() / name, folder / name)
    return folder


def _rewrite_weights(folder, change):
    with np.load(folder / "crystal_cnn.npz") as weights:
        arrays = {name: np.array(weights[name]) for name in weights.files}
    change(arrays)
    np.savez(folder / "crystal_cnn.npz", **arrays)


@pytest.mark.parametrize("damage, message", [
    (lambda f: _rewrite_weights(f, lambda a: a["0.weight"].__setitem__((0, 0, 0, 0), np.nan)),
     r"array '0.weight' holds NaN or infinite values"),
    (lambda f: _rewrite_weights(f, lambda a: a.update({"0.weight": a["0.weight"][:, :2]})),
     r"array '0.weight' is float32\[32, 2, 7, 7\], the network needs float32\[32, 3, 7, 7\]"),
    (lambda f: _rewrite_weights(f, lambda a: a.update({"0.weight": a["0.weight"].astype(np.float64)})),
     r"array '0.weight' is float64"),
    (lambda f: _rewrite_weights(f, lambda a: a.pop("0.bias")), r"missing \['0.bias'\]"),
    (lambda f: (f / "crystal_cnn.npz").write_bytes(b"PK\x03\x04 not really"), r"not a readable weights file"),
    (lambda f: (f / "crystal_cnn.json").write_text('{"format": "atomatlas-crystal-cnn", '),
     r"crystal_cnn.json is not valid JSON"),
    (lambda f: (f / "crystal_cnn.json").write_text(json.dumps({"format": "atomatlas-crystal-cnn",
                                                               "format_version": 1, "classes": ["sc", "sc"]})),
     r"'classes' must list 2 to 1000 distinct class names"),
    (lambda f: (f / "crystal_cnn.json").write_text(json.dumps({"format": "atomatlas-crystal-cnn",
                                                               "format_version": 1, "classes": list("abc")})),
     r"array '19.weight' is float32\[7, 128\], the network needs float32\[3, 128\]"),
])
def test_damaged_cnn_files_are_refused(cli, tmp_path, damage, message):
    folder = _copy_shipped(tmp_path)
    damage(folder)
    path = tmp_path / "Fe.cif"
    ase.io.write(path, bulk("Fe", "bcc", a=2.87, cubic=True))
    status, out, err = cli("classify", path, "--model", folder, "--out", tmp_path / "p.csv")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err
    assert not (tmp_path / "p.csv").exists()


def test_classify_says_how_probability_and_uncertainty_relate_and_records_the_files_it_read(cli, tmp_path):
    for name, atoms in (("a.vasp", bulk("W", "bcc", a=3.16, cubic=True)), ("b.vasp", bulk("Cu", "fcc", a=3.61))):
        ase.io.write(tmp_path / name, atoms, format="vasp")
    status, out, err = cli("classify", str(tmp_path / "*.vasp"), "--out", tmp_path / "run")
    assert status == 0, err
    assert "uncertainty = max(1 - probability, novelty / 2)" in out and "above 0.5 the class is 'unknown'" in out
    import tomllib

    config = tomllib.loads((tmp_path / "run" / "config.toml").read_text())
    assert config["crystal_classes"]["paths"] == [str(tmp_path / "a.vasp"), str(tmp_path / "b.vasp")]
    (tmp_path / "c.vasp").write_text((tmp_path / "a.vasp").read_text())  # a rerun classifies the same files
    assert cli("run", tmp_path / "run" / "config.toml", "--out", tmp_path / "again")[0] == 0
    assert len(pd.read_csv(tmp_path / "again" / "labels.csv")) == 2
