"""fcc planar faults (identify's ``fault``) against stackings built layer by layer, whose truth is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ase.build import bulk
from ase.io import read, write
from scipy.spatial.transform import Rotation

from atomatlas import api
from atomatlas.datasets.held_out_crystals import random_gas
from atomatlas.datasets.stacking import fault_steps, layer_faults, stacked
from atomatlas.descriptors.stacking import FAULTS, planar_faults
from atomatlas.errors import AtlasError

BUILT = ("fcc", "intrinsic", "extrinsic", "twin")


def _built(fault: str, seed: int, displacement: float = 0.03, rotate: bool = True):
    """A stacking holding ``fault``, rotated (so its cell is no longer rectangular) and displaced like a warm
    crystal (``displacement`` x bond per component); returns (atoms, each atom's fault by construction)."""
    steps = fault_steps(fault)
    atoms = stacked(steps, a=3.615, repeat=(5, 3))
    truth = np.array(layer_faults(steps, "none" if fault == "fcc" else fault))[atoms.arrays["layer"]]
    rng = np.random.default_rng(seed)
    if rotate:
        rotation = Rotation.random(random_state=seed).as_matrix()
        atoms.set_cell(atoms.cell[:] @ rotation.T, scale_atoms=False)
        atoms.positions = atoms.positions @ rotation.T
    atoms.positions += rng.normal(0.0, displacement * 3.615 / np.sqrt(2), atoms.positions.shape)
    del atoms.arrays["layer"]
    return atoms, truth


@pytest.fixture(scope="module")
def faults_run(tmp_path_factory):
    """One identify run over every built fault: each its own file."""
    folder = tmp_path_factory.mktemp("faults")
    truth = {}
    for seed, fault in enumerate(BUILT):
        atoms, truth[fault] = _built(fault, seed)
        write(folder / f"{fault}.extxyz", atoms)
    result = api.identify([str(folder / f"{fault}.extxyz") for fault in BUILT], folder / "run", report=False)
    return result, truth


@pytest.mark.parametrize("fault", BUILT)
def test_every_built_fault_is_found_on_its_layers_and_nowhere_else(faults_run, fault):
    result, truth = faults_run
    labels = result.labels[result.labels["structure"].str.endswith(f"/{fault}.extxyz")]
    found = labels.sort_values("atom")["fault"].to_numpy()
    faulted = truth[fault] != "none"
    assert (found[~faulted] == "none").mean() >= 0.995  # measured 100% at 3% displacement
    if fault != "fcc":
        assert faulted.sum() in (30, 60)  # two hcp layers of 15 atoms (a twin lamella has two boundaries)
        assert (found[faulted] == fault).mean() >= 0.95, pd.Series(found[faulted]).value_counts().to_dict()


def test_faults_reach_labels_structures_and_the_record(faults_run):
    result, truth = faults_run
    assert list(result.labels.columns)[-1] == "fault" and set(result.labels["fault"]) <= set(FAULTS)
    frames = read(result.path / "structures.extxyz", index=":")
    assert all(frame.arrays["fault"].shape == (len(frame),) for frame in frames)
    second = result.labels["fault"].iloc[len(frames[0]):len(frames[0]) + len(frames[1])]
    assert list(frames[1].arrays["fault"]) == list(second)
    counts = result.metrics["faults"]
    assert set(counts) == set(FAULTS[1:])
    assert counts == {name: int((result.labels["fault"] == name).sum()) for name in FAULTS[1:]}
    assert counts["intrinsic"] >= 0.95 * (truth["intrinsic"] == "intrinsic").sum()


def _classes(truth: np.ndarray, fault_layer: str = "hcp") -> np.ndarray:
    """identify's classes as it gives them around a fault: the fault's layers hcp (or other), the rest fcc."""
    return np.where(truth != "none", fault_layer, "fcc")


def test_perfect_stackings_are_exact_on_both_neighbour_searches():
    """Undisplaced, in the rectangular cell (scipy's tree) and rotated (freud): every atom right. Only atoms that
    identify does not call fcc, and their neighbours, are looked at: a crystal it calls all fcc has no fault."""
    for fault in BUILT:
        for rotate in (False, True):
            atoms, truth = _built(fault, 7, displacement=0.0, rotate=rotate)
            assert (planar_faults(atoms, _classes(truth)) == truth).all(), (fault, rotate)
    assert set(planar_faults(atoms, ["fcc"] * len(atoms))) == {"none"}


def test_an_hcp_lamella_in_fcc_is_multilayer_but_an_hcp_crystal_has_no_fault():
    steps = [1] * 19 + [-1, 1, -1]  # four hcp-stacked layers in a row
    atoms = stacked(steps, repeat=(5, 3))
    truth = np.array(layer_faults(steps, "multilayer"))[atoms.arrays["layer"]]
    assert (truth == "multilayer").sum() == 4 * 30
    assert (planar_faults(atoms, _classes(truth)) == truth).all()
    hcp = bulk("Mg", "hcp", a=3.21, c=5.21).repeat((5, 5, 4))
    assert set(planar_faults(hcp, ["hcp"] * len(hcp))) == {"none"}
    bcc = bulk("Fe", "bcc", a=2.87, cubic=True).repeat(5)
    assert set(planar_faults(bcc, ["bcc"] * len(bcc))) == {"none"}
    # a single hcp layer that identify calls `other` is still judged by its own shell; a gas's shells are not
    # close-packed, though identify called one of its atoms fcc
    atoms, truth = _built("twin", 3, displacement=0.0, rotate=False)
    classes = np.where(truth == "twin", "other", "fcc")
    assert (planar_faults(atoms, classes) == truth).all()
    gas = random_gas(200, np.random.default_rng(0))
    assert set(planar_faults(gas, ["fcc"] + ["other"] * (len(gas) - 1))) == {"none"}


def test_stackings_that_cannot_be_periodic_or_unknown_faults_are_refused():
    with pytest.raises(AtlasError, match="unknown fault 'screw'"):
        fault_steps("screw")
    with pytest.raises(AtlasError, match="add up to a multiple of 3"):
        stacked([1, 1, 1, 1])
    assert sum(fault_steps("intrinsic", 24)) % 3 == 0 and fault_steps("intrinsic", 24).count(-1) == 1
