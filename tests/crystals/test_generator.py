"""The crystal-class generator: labels checked by spglib, balanced, deterministic, defects as asked."""

import numpy as np
import pytest

from atomatlas.datasets.prototypes import (CLASSES, PROTOTYPES, SPACE_GROUPS, generate, make_structure,
                                         nearest_neighbour, space_group)
from atomatlas.descriptors.diffraction import Fingerprinter
from atomatlas.errors import AtlasError


@pytest.mark.parametrize("crystal_class", CLASSES)
def test_every_prototype_has_its_space_group(crystal_class):
    rng = np.random.default_rng(0)
    for prototype in PROTOTYPES[crystal_class]:
        for _ in range(3):
            cell = prototype.build(rng)
            assert space_group(cell) in SPACE_GROUPS[crystal_class], prototype.subclass


def test_classes_are_balanced_and_sized_and_deterministic():
    structures = generate(4, seed=3)
    assert [a.info["crystal_class"] for a in structures] == [c for c in CLASSES for _ in range(4)]
    assert all(180 <= len(a) <= 320 for a in structures)
    again = generate(4, seed=3)
    assert all(np.array_equal(a.positions, b.positions) for a, b in zip(structures, again))
    assert {a.info["subclass"] for a in generate(20, seed=0, classes=["hex_rh"])} == {
        "hcp", "graphite", "rhombohedral", "alpha-Hg", "Sm-type"}


def test_vacancies_and_displacements():
    rng = np.random.default_rng(1)
    pristine = make_structure("bcc", np.random.default_rng(1))
    defective = make_structure("bcc", rng, vacancies=0.25, displacement=0.05)
    assert len(defective) == len(pristine) - round(0.25 * len(pristine))
    assert defective.info["vacancies"] == 0.25 and defective.info["displacement"] == 0.05
    assert nearest_neighbour(defective) < nearest_neighbour(pristine)


def test_displacements_are_gaussian_with_the_asked_size():
    """Same seed, no vacancies: the difference to the pristine structure is the displacement itself, drawn
    independently per coordinate from N(0, (0.05 x the bond length)^2)."""
    from scipy import stats

    pristine = make_structure("fcc", np.random.default_rng(4), n_atoms=2000)
    shaken = make_structure("fcc", np.random.default_rng(4), displacement=0.05, n_atoms=2000)
    steps = (shaken.positions - pristine.positions).ravel()
    sigma = 0.05 * nearest_neighbour(pristine)
    assert abs(steps.mean()) < 4 * sigma / np.sqrt(len(steps))
    assert steps.std() == pytest.approx(sigma, rel=0.03)
    assert stats.kstest(steps / sigma, "norm").pvalue > 0.01  # Gaussian, not uniform or a fixed step
    moved = np.linalg.norm(shaken.positions - pristine.positions, axis=1)
    assert np.mean(moved) == pytest.approx(sigma * np.sqrt(8 / np.pi), rel=0.03)  # Maxwell mean in 3-D


def test_orientation_does_not_change_the_fingerprint():
    a = make_structure("hex_rh", np.random.default_rng(5), prototype=0)
    b = a.copy()
    from scipy.spatial.transform import Rotation

    rotation = Rotation.random(random_state=9).as_matrix()
    b.set_cell(b.cell[:] @ rotation.T, scale_atoms=False)
    b.positions = b.positions @ rotation.T
    maker = Fingerprinter()
    assert np.abs(maker.one(a) - maker.one(b)).max() < 1e-3


def test_unknown_class():
    with pytest.raises(AtlasError, match="unknown crystal class 'hcp'"):
        generate(1, classes=["hcp"])


def test_defect_ranges_are_checked():
    with pytest.raises(AtlasError, match=r"displacement range 0,0.7 must satisfy 0 <= low <= high <= 0.5"):
        generate(1, displacement=(0.0, 0.7))
