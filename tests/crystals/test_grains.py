"""Orientations and grains (identify --grains) against polycrystals and stackings whose truth is built in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ase.build import bulk
from ase.io import read, write
from scipy.spatial.transform import Rotation
from sklearn.metrics import adjusted_rand_score

from atomatlas import api
from atomatlas.datasets.polycrystal import voronoi_grains
from atomatlas.datasets.stacking import fault_steps, stacked
from atomatlas.descriptors import orientation
from atomatlas.descriptors.grains import orientations
from atomatlas.descriptors.local_order import VACUUM, nearest_neighbours

LATTICES = {"fcc": bulk("Cu", "fcc", a=3.61, cubic=True).repeat(4), "bcc": bulk("Fe", "bcc", a=2.87, cubic=True).repeat(5),
            "sc": bulk("Po", "sc", a=3.35).repeat(6), "diamond": bulk("Si", "diamond", a=5.43, cubic=True).repeat(3),
            "hcp": bulk("Mg", "hcp", a=3.21, c=5.21, orthorhombic=True).repeat((4, 3, 3))}
GRAINS = [("fcc", 3.61), ("fcc", 3.61), ("bcc", 2.87), ("fcc", 3.61), ("bcc", 2.87), ("hcp", 3.2)]


def _rotated(atoms, rotation, displacement: float, seed: int = 0):
    out = atoms.copy()
    out.set_cell(out.cell[:] @ rotation.T, scale_atoms=False)
    out.positions = out.positions @ rotation.T
    out.positions += np.random.default_rng(seed).normal(0.0, displacement, out.positions.shape)
    return out


@pytest.mark.parametrize("lattice", sorted(LATTICES))
def test_each_lattice_orientation_is_recovered_through_any_rotation_and_heat(lattice):
    """The rotation that made the crystal (crystal -> sample) comes back, inverted, up to the lattice's symmetry."""
    rotation = Rotation.random(random_state=5).as_matrix()
    truth = orientation.as_quaternions(rotation.T[None])
    for displacement, within in ((0.0, 1e-3), (0.1, 4.0)):  # 0.1 A: a warm crystal; measured median 1-2.6 degrees
        atoms = _rotated(LATTICES[lattice], rotation, displacement)
        found, _ = orientations(atoms, [lattice] * len(atoms), nearest_neighbours(atoms), VACUUM)
        angles = orientation.misorientation(found, np.repeat(truth, len(atoms), axis=0), lattice)
        assert np.median(angles) < within, (lattice, displacement, np.median(angles))


def test_misorientation_respects_each_lattice_symmetry():
    q = orientation.as_quaternions(Rotation.random(3, random_state=1).as_matrix())
    for lattice in ("fcc", "hcp"):
        equivalent = orientation._product(orientation.symmetry(lattice)[5][None], q)  # g q: the same crystal
        assert np.allclose(orientation.misorientation(q, equivalent, lattice), 0.0, atol=1e-5)
    twin = orientation.as_quaternions(Rotation.from_rotvec(np.radians(60) * np.ones(3) / np.sqrt(3)).as_matrix()[None])
    identity = np.array([[1.0, 0.0, 0.0, 0.0]])
    assert orientation.misorientation(twin, identity, "fcc")[0] == pytest.approx(60.0, abs=1e-6)  # Sigma 3
    tilt = orientation.as_quaternions(Rotation.from_rotvec([0, 0, np.radians(50)]).as_matrix()[None])
    assert orientation.misorientation(tilt, identity, "fcc")[0] == pytest.approx(40.0, abs=1e-6)  # 90 - 50
    assert orientation.misorientation(tilt, identity, "hcp")[0] == pytest.approx(10.0, abs=1e-6)  # 60 - 50


def _found(grain: np.ndarray, rows: np.ndarray) -> int:
    """The grain found for most of ``rows``."""
    found = grain[rows]
    return int(np.bincount(found[found >= 0]).argmax())


@pytest.fixture(scope="module")
def polycrystal_run(tmp_path_factory):
    """A Voronoi polycrystal of three fcc, two bcc and one hcp grain (every pair of like grains more than 40
    degrees apart), warm, through `identify --grains`."""
    folder = tmp_path_factory.mktemp("grains")
    built = voronoi_grains(40.0, GRAINS, seed=0, too_close=2.0)
    atoms = built.atoms.copy()
    atoms.positions += np.random.default_rng(1).normal(0.0, 0.06, atoms.positions.shape)
    write(folder / "polycrystal.extxyz", atoms)
    return api.identify([str(folder / "polycrystal.extxyz")], folder / "run", grains=True, report=False), built


def test_grains_of_a_polycrystal_are_its_voronoi_cells(polycrystal_run):
    result, built = polycrystal_run
    interior = built.depth > 4.0  # a first shell (up to 3.2 A) clear of the boundary
    grain = result.labels["grain"].to_numpy()
    assert adjusted_rand_score(built.grain[interior], grain[interior]) > 0.97  # measured 0.99
    assert (grain[interior] >= 0).mean() > 0.98
    table = pd.read_csv(result.path / "grains.csv")
    assert len(table) == len(GRAINS) and table["atoms"].sum() == (grain >= 0).sum()
    for g, rotation in enumerate(built.rotations):  # each grain's mean orientation: its construction's, within 1.5
        found = _found(grain, interior & (built.grain == g))
        row = table.loc[table["grain"] == found].iloc[0]
        assert row["lattice"] == GRAINS[g][0]
        angle = orientation.misorientation(row[["qw", "qx", "qy", "qz"]].to_numpy(float)[None],
                                           orientation.as_quaternions(rotation.T[None]), row["lattice"])[0]
        assert angle < 1.5, (g, angle)


def test_grain_boundaries_give_the_misorientation_of_their_grains(polycrystal_run):
    result, built = polycrystal_run
    grains = pd.read_csv(result.path / "grains.csv")
    boundaries = pd.read_csv(result.path / "grain_boundaries.csv")
    assert list(boundaries.columns) == ["structure", "frame", "grain_a", "grain_b", "misorientation",
                                        "boundary_atoms"]
    truth = orientation.as_quaternions(np.transpose(built.rotations, (0, 2, 1)))
    lattice = dict(zip(grains["grain"], grains["lattice"]))
    like = boundaries[[lattice[a] == lattice[b] for a, b in zip(boundaries["grain_a"], boundaries["grain_b"])]]
    assert len(like) >= 3 and boundaries.loc[~boundaries.index.isin(like.index), "misorientation"].isna().all()
    interior = built.depth > 4.0  # a first shell (up to 3.2 A) clear of the boundary
    grain = result.labels["grain"].to_numpy()
    made = {_found(grain, interior & (built.grain == g)): g for g in range(len(GRAINS))}
    for a, b, angle in zip(like["grain_a"], like["grain_b"], like["misorientation"]):
        expected = orientation.misorientation(truth[made[a]][None], truth[made[b]][None], lattice[a])[0]
        assert angle == pytest.approx(expected, abs=1.5)
    frames = read(result.path / "structures.extxyz", ":")
    assert frames[0].arrays["orientation"].shape == (len(frames[0]), 4)
    assert (frames[0].arrays["grain"] == grain).all()
    assert result.metrics["grains"] == {"files": ["grains.csv", "grain_boundaries.csv"], "n_grains": len(grains),
                                        "n_boundaries": len(boundaries)}


def test_a_stacking_fault_stays_inside_its_grain_and_a_twin_makes_a_sigma3_boundary(tmp_path):
    for fault in ("intrinsic", "twin"):
        write(tmp_path / f"{fault}.extxyz", stacked(fault_steps(fault, 24), repeat=(6, 4)))
    result = api.identify([str(tmp_path / "intrinsic.extxyz"), str(tmp_path / "twin.extxyz")], tmp_path / "run",
                          grains=True, report=False)
    labels = result.labels.assign(file=result.labels["structure"].str.split("/").str[-1])
    intrinsic = labels[labels["file"] == "intrinsic.extxyz"]
    assert (intrinsic["fault"] == "intrinsic").sum() == 2 * 48 and (intrinsic["grain"] == 0).all()
    twin = labels[labels["file"] == "twin.extxyz"]
    assert set(twin["grain"]) == {0, 1} and (twin["fault"] == "twin").sum() == 2 * 48
    boundaries = pd.read_csv(tmp_path / "run" / "grain_boundaries.csv")
    twin_boundary = boundaries[boundaries["structure"].str.endswith("twin.extxyz")]
    assert twin_boundary["misorientation"].tolist() == [pytest.approx(60.0, abs=0.01)]


def test_a_low_angle_boundary_is_not_chained_across(tmp_path):
    """Polycrystal seed 1 holds two fcc grains 6.9 degrees apart: linking neighbours by their own misorientation
    (under 5 degrees) chained across it and found one grain; the grains' own means keep them apart."""
    built = voronoi_grains(44.0, GRAINS, seed=1, too_close=2.0)
    q = orientation.as_quaternions(np.transpose(built.rotations, (0, 2, 1)))
    assert orientation.misorientation(q[1][None], q[3][None], "fcc")[0] == pytest.approx(6.9, abs=0.05)
    write(tmp_path / "low-angle.extxyz", built.atoms)
    grain = api.identify([str(tmp_path / "low-angle.extxyz")], tmp_path / "run", grains=True,
                         report=False).labels["grain"].to_numpy()
    interior = built.depth > 4.0
    assert _found(grain, interior & (built.grain == 1)) != _found(grain, interior & (built.grain == 3))


def test_a_grains_setting_that_is_not_a_flag_is_refused_in_one_line(tmp_path):
    from atomatlas.errors import AtlasError

    write(tmp_path / "cu.extxyz", LATTICES["fcc"])
    config = {"name": "identify", "identify": {"paths": [str(tmp_path / "cu.extxyz")], "grains": "yes"}}
    with pytest.raises(AtlasError, match=r"\[identify\] grains must be true or false; got 'yes'"):
        api.run_config(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("lattice", sorted(LATTICES))
def test_a_crystal_in_the_input_axes_reads_as_no_rotation(lattice):
    """Each orientation is written as its smallest rotation under the lattice's symmetry: (1, 0, 0, 0) here."""
    atoms = LATTICES[lattice]
    found, _ = orientations(atoms, [lattice] * len(atoms), nearest_neighbours(atoms), VACUUM)
    assert np.allclose(found, [1.0, 0.0, 0.0, 0.0], atol=1e-6)
