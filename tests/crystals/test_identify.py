"""atomatlas identify: every atom labelled, on inputs built differently from its synthetic training atoms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ase.build import bulk
from ase.io import read, write

from atomatlas import api
from atomatlas.datasets.held_out_crystals import random_gas
from atomatlas.datasets.prototypes import as_cluster, supercell
from atomatlas.errors import AtlasError

COLUMNS = ["structure", "frame", "atom", "x", "y", "z", "class", "probability", "uncertainty", "fault"]


def _thermal(atoms, fraction_of_bond: float, bond: float, seed: int):
    """Real elements and lattice constants (not the training's), displaced like atoms at temperature."""
    atoms = atoms.copy()
    atoms.positions += np.random.default_rng(seed).normal(0.0, fraction_of_bond * bond, atoms.positions.shape)
    return atoms


CRYSTALS = {"fcc": (bulk("Al", "fcc", a=4.05).repeat(7), 4.05 / np.sqrt(2)),
            "bcc": (bulk("Fe", "bcc", a=2.87, cubic=True).repeat(6), 2.87 * np.sqrt(3) / 2),
            "hcp": (bulk("Mg", "hcp", a=3.21, c=5.21).repeat((7, 7, 5)), 3.19),
            "diamond": (bulk("Si", "diamond", a=5.43).repeat(6), 5.43 * np.sqrt(3) / 4),
            "sc": (bulk("Po", "sc", a=3.35).repeat(7), 3.35)}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("identify")
    trajectory = [_thermal(CRYSTALS["fcc"][0], 0.04, CRYSTALS["fcc"][1], seed) for seed in range(2)]
    write(folder / "al.extxyz", trajectory)
    for name, (atoms, bond) in CRYSTALS.items():
        if name != "fcc":
            write(folder / f"{name}.extxyz", _thermal(atoms, 0.04, bond, 7))
    write(folder / "gas.extxyz", random_gas(300, np.random.default_rng(1)))
    files = [str(folder / f"{name}.extxyz") for name in ("al", "bcc", "hcp", "diamond", "sc", "gas")]
    return api.identify(files, folder / "run"), folder


def test_labels_every_atom_of_real_crystals_at_temperature(run):
    result, _ = run
    labels = result.labels
    assert list(labels.columns) == COLUMNS
    share = labels.groupby(labels["structure"].str.split("/").str[-1])["class"].agg(
        lambda c: c.value_counts(normalize=True).to_dict())
    expected = {"al.extxyz": "fcc", "bcc.extxyz": "bcc", "hcp.extxyz": "hcp", "diamond.extxyz": "diamond",
                "sc.extxyz": "sc", "gas.extxyz": "other"}
    for name, truth in expected.items():
        assert share[name].get(truth, 0.0) >= 0.95, (name, share[name])
    probability, uncertainty = labels["probability"].to_numpy(), labels["uncertainty"].to_numpy()
    assert (uncertainty >= 1 - probability - 1e-6).all()  # uncertainty = max(1 - probability, novelty / 2)
    crystal = ~labels["structure"].str.endswith("gas.extxyz").to_numpy()
    # measured: median probability 1.000, uncertainty 0.17 (its novelty half: these atoms are hotter than the
    # training's) against 0.26 for the gas; the uncertainty does not flag disorder well (docs/identify.md)
    assert np.median(probability[crystal]) > 0.99 and np.median(uncertainty[crystal]) < 0.25


def test_run_folder_holds_per_atom_arrays_fractions_and_the_figure(run):
    result, _ = run
    frames = read(result.path / "structures.extxyz", index=":")
    assert len(frames) == 7 and sum(len(a) for a in frames) == len(result.labels)
    assert set(frames[0].arrays["class"]) == {"fcc"} or (frames[0].arrays["class"] == "fcc").mean() > 0.95
    assert frames[0].arrays["probability"].shape == (len(frames[0]),)
    shares = pd.read_csv(result.path / "fractions.csv")
    assert len(shares) == 7 and np.allclose(shares[["fcc", "bcc", "hcp", "diamond", "hex_diamond", "sc",
                                                    "other"]].sum(axis=1), 1.0)
    assert (result.path / "fractions.png").exists() and result.metrics["figures"] == ["fractions.png"]


def test_cluster_surface_is_other_and_its_core_is_the_lattice(tmp_path):
    cluster = as_cluster(supercell(bulk("Cu", "fcc", a=3.61, cubic=True), 4000), np.random.default_rng(2), 1500)
    write(tmp_path / "np.extxyz", cluster)
    labels = api.identify(str(tmp_path / "np.extxyz"), tmp_path / "run").labels
    radius = np.linalg.norm(cluster.positions - cluster.positions.mean(axis=0), axis=1)
    core, shell = radius < radius.max() - 6.0, radius > radius.max() - 1.0
    assert (labels["class"][core] == "fcc").mean() >= 0.95
    assert (labels["class"][shell] == "other").mean() >= 0.8


def test_identify_refuses_bad_input_with_one_line(tmp_path, cli):
    status, _, err = cli("identify", tmp_path / "missing.extxyz", "--out", tmp_path / "run")
    assert status == 2 and "missing.extxyz" in err and "Traceback" not in err
    write(tmp_path / "fe.extxyz", bulk("Fe", "bcc", a=2.87, cubic=True).repeat(3))
    status, _, err = cli("identify", tmp_path / "fe.extxyz", "--model", tmp_path, "--out", tmp_path / "run")
    assert status == 2 and "no atom_ensemble.json" in err
    status, _, err = cli("identify", tmp_path / "fe.extxyz", "--n-jobs", "0", "--out", tmp_path / "run")
    assert status == 2 and "n_jobs" in err
    assert not (tmp_path / "run").exists()


def test_random_gas_refuses_packings_it_cannot_reach():
    with pytest.raises(AtlasError, match="too dense"):
        random_gas(100, np.random.default_rng(0), volume_per_atom=8.0, min_distance=2.2)


def test_fcc_and_bcc_of_different_bond_lengths_in_one_frame(tmp_path):
    """Each atom on its own scale: a Cu (fcc) and a Fe (bcc) nanoparticle side by side, both cores right."""
    rng = np.random.default_rng(4)
    cu = as_cluster(supercell(bulk("Cu", "fcc", a=3.61, cubic=True), 4000), rng, 1200)
    fe = as_cluster(supercell(bulk("Fe", "bcc", a=2.87, cubic=True), 4000), rng, 1200)
    fe.positions += cu.positions.max(axis=0) - fe.positions.min(axis=0) + 10.0
    write(tmp_path / "pair.extxyz", _thermal(cu + fe, 0.04, 2.5, 3))
    labels = api.identify(str(tmp_path / "pair.extxyz"), tmp_path / "run").labels
    for start, part, truth in ((0, cu, "fcc"), (len(cu), fe, "bcc")):
        radius = np.linalg.norm(part.positions - part.positions.mean(axis=0), axis=1)
        core = start + np.flatnonzero(radius < radius.max() - 6.0)
        assert (labels["class"].to_numpy()[core] == truth).mean() >= 0.95, truth


def test_a_model_trained_on_another_descriptor_is_refused(tmp_path, cli):
    import json
    import shutil

    from atomatlas.runs.shipped import shipped_model_dir

    for suffix in ("json", "npz"):
        shutil.copy(shipped_model_dir() / f"atom_ensemble.{suffix}", tmp_path)
    record = json.loads((tmp_path / "atom_ensemble.json").read_text())
    record["descriptor"] = {"name": "crystal_soap per atom", "r_cut": 5.5}
    (tmp_path / "atom_ensemble.json").write_text(json.dumps(record))
    write(tmp_path / "fe.extxyz", bulk("Fe", "bcc", a=2.87, cubic=True).repeat(3))
    status, _, err = cli("identify", tmp_path / "fe.extxyz", "--model", tmp_path, "--out", tmp_path / "run")
    assert status == 2 and "another per-atom descriptor" in err and "train-identify" in err
    assert not (tmp_path / "run").exists()


def _without(atoms, share: float, seed: int):
    rng = np.random.default_rng(seed)
    return atoms[np.sort(rng.permutation(len(atoms))[: len(atoms) - int(share * len(atoms))])]


@pytest.fixture(scope="module")
def harder(tmp_path_factory):
    """Inputs beyond the training's defects: twice the thermal displacement (8% of the bond, the training's
    Gaussian noise stops lower), 5% vacancies under 4% displacement, and hcp metals whose c/a (Zn 1.86, Cd 1.89) is
    far from the ideal 1.63 of the training's hcp."""
    folder = tmp_path_factory.mktemp("identify-harder")
    made = {}
    for name, (atoms, bond) in CRYSTALS.items():
        made[f"{name}-hot"] = _thermal(atoms, 0.08, bond, 7)
        made[f"{name}-vacancies"] = _thermal(_without(atoms, 0.05, 3), 0.04, bond, 7)
    made["zn-hcp"] = _thermal(bulk("Zn", "hcp", a=2.66, c=4.95).repeat((7, 7, 5)), 0.04, 2.66, 7)
    made["cd-hcp"] = _thermal(bulk("Cd", "hcp", a=2.98, c=5.62).repeat((7, 7, 5)), 0.04, 2.98, 7)
    for name, atoms in made.items():
        write(folder / f"{name}.extxyz", atoms)
    labels = api.identify([str(folder / f"{name}.extxyz") for name in made], folder / "run", report=False).labels
    name = labels["structure"].str.split("/").str[-1].str.replace(".extxyz", "", regex=False)
    return labels.assign(name=name).groupby("name")["class"].agg(lambda c: c.value_counts(normalize=True).to_dict())


# measured on the shipped model: 100% on every one (they were part of the development set of its design, see
# docs/identify-crystals.md); floors a regression of two points misses, unlike the 95% of the gentle inputs above.
# hcp with 5% vacancies, Zn and Cd were known misses of the model before (65%, 62%, 21%)
FLOORS = {**{f"{name}-hot": 0.98 for name in CRYSTALS}, **{f"{name}-vacancies": 0.98 for name in CRYSTALS},
          "zn-hcp": 0.98, "cd-hcp": 0.98}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_crystals_beyond_the_training_defects_keep_their_class(harder, name):
    truth = name.split("-")[-1] if name.endswith("-hcp") else name.split("-")[0]
    assert harder[name].get(truth, 0.0) >= FLOORS[name], harder[name]


@pytest.mark.parametrize("name, atoms", [("diamond", bulk("Si", "diamond", a=5.43)), ("hcp", bulk("Zn")),
                                         ("hcp", bulk("Cd")), ("fcc", bulk("Cu")), ("bcc", bulk("Fe")),
                                         ("sc", bulk("Po"))])
def test_perfect_crystals_are_their_class_and_trusted(name, atoms):
    """0 K crystals as a database holds them (every shell tied exactly): the model before called diamond `other`,
    Zn and Cd not hcp, and gave fcc and bcc an uncertainty above the 0.5 cut."""
    from atomatlas.descriptors.local_order import LocalOrder
    from atomatlas.runs.identify import load_model

    model, meta = load_model()
    proba, uncertainty, _ = model.predict(LocalOrder().per_atom(atoms.repeat(4)))
    assert (np.array(meta["classes"])[proba.argmax(1)] == name).all()
    assert uncertainty.max() < 0.5


def test_the_shipped_model_is_what_train_identify_makes_of_its_calibration_set():
    """The calibration accuracy recorded in the shipped model comes back from its own calibration atoms (the
    training generator at the recorded seed, EMT liquids included: about a minute of molecular dynamics), and the
    novelty threshold sits at their 99th percentile. A model shipped without its record fails here."""
    from atomatlas.datasets.atom_environments import training_frames
    from atomatlas.runs.identify import load_model
    from atomatlas.runs.identify_model import _labelled_vectors

    model, meta = load_model()
    training = meta["training"]
    calibration = training_frames(training["calibration_per_lattice"], seed=training["seed"] + 1000,
                                  liquid_snapshots=min(1, training["liquid_snapshots"]))
    X, y = _labelled_vectors(calibration, 2)
    proba, _, novelty = model.predict(X)
    assert (proba.argmax(1) == y).mean() == pytest.approx(training["calibration_accuracy"], abs=1e-3)
    assert np.quantile(novelty, 0.99) == pytest.approx(1.0, abs=1e-3)
