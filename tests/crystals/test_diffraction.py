"""The 2-D diffraction fingerprint: fast == direct, Bragg peaks where the reciprocal lattice puts them, bad input."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, molecule

from atomatlas.descriptors.diffraction import (DEFAULTS, Fingerprinter, detector, fingerprints, pattern,
                                               reference_fingerprint)
from atomatlas.errors import AtlasError

K = 2 * np.pi / (DEFAULTS["wavelength"] * 1e10)
PX_PER_INVERSE_A = DEFAULTS["distance"] / (K * DEFAULTS["pixel_size"])  # small-angle: pixels per 1/A


def _rotated_supercell(name, crystal, a, seed):
    from scipy.spatial.transform import Rotation

    atoms = bulk(name, crystal, a=a, cubic=True).repeat((4, 4, 4))
    atoms.positions = atoms.positions @ Rotation.random(random_state=seed).as_matrix().T
    return atoms


@pytest.mark.parametrize("crystal, name, a, seed", [("fcc", "Cu", 3.6, 0), ("bcc", "Fe", 2.87, 1),
                                                     ("diamond", "Si", 5.43, 2)])
def test_fast_fingerprint_matches_the_direct_sum(crystal, name, a, seed):
    atoms = _rotated_supercell(name, crystal, a, seed)
    fast = Fingerprinter().one(atoms)
    direct = reference_fingerprint(atoms)
    assert fast.shape == direct.shape == (3, 64, 64)
    assert np.abs(fast - direct).max() < 1e-3
    assert fast.max(axis=(1, 2)) == pytest.approx([1, 1, 1])


def test_masks_and_two_species():
    atoms = bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat((3, 3, 3))
    fast = Fingerprinter().one(atoms)
    assert np.abs(fast - reference_fingerprint(atoms)).max() < 1e-3
    keep = detector()["keep"].reshape(64, 64)
    assert (fast[:, ~keep] == 0).all()
    assert keep.sum() == pytest.approx(np.pi * (30 ** 2 - 10 ** 2), rel=0.02)


def _intensity_at(image, q_x, q_y):
    """Pattern value at the pixel nearest in-plane q (1/A), small-angle mapping."""
    centre = (image.shape[0] - 1) / 2
    col = int(round(centre + q_x * PX_PER_INVERSE_A))
    row = int(round(centre + q_y * PX_PER_INVERSE_A))
    return image[row - 1:row + 2, col - 1:col + 2].max()


@pytest.mark.parametrize("crystal, allowed, forbidden", [
    ("sc", [(1, 0), (0, 1), (1, 1)], []),
    ("bcc", [(1, 1), (2, 0), (0, 2)], [(2, 1), (1, 2)]),
    ("fcc", [(2, 0), (0, 2)], [(1, 1), (2, 1), (1, 2)]),
])
def test_bragg_peaks_sit_on_the_analytic_reciprocal_lattice(crystal, allowed, forbidden):
    # lattice constants with a nearest-neighbour distance of 1 A (the fingerprint's own scaling)
    a = {"sc": 1.0, "bcc": 2 / np.sqrt(3), "fcc": np.sqrt(2)}[crystal]
    atoms = bulk("Po" if crystal == "sc" else "Fe", crystal, a=a, cubic=True).repeat((7, 7, 7))
    keep = detector()["keep"].reshape(64, 64)
    image = pattern(atoms) * keep  # beam along [001]: peaks at q = 2 pi / a (h, k), l = 0
    image /= image.max()
    for h, k in allowed:  # the lowest allowed orders; higher ones fade off the Ewald sphere
        assert _intensity_at(image, 2 * np.pi / a * h, 2 * np.pi / a * k) > 0.1, (crystal, h, k)
    for h, k in forbidden:  # systematic absences of the centred lattices
        assert _intensity_at(image, 2 * np.pi / a * h, 2 * np.pi / a * k) < 0.02, (crystal, h, k)
    # the brightest pixel of the annulus is an allowed reflection
    row, col = np.unravel_index(np.argmax(image), image.shape)
    hk = np.array([col - 31.5, row - 31.5]) / PX_PER_INVERSE_A * a / (2 * np.pi)
    assert np.abs(hk - np.round(hk)).max() < 0.1
    assert {"sc": lambda h: True, "bcc": lambda h: h.sum() % 2 == 0,
            "fcc": lambda h: (h % 2 == 0).all()}[crystal](np.round(np.abs(hk)).astype(int))


def test_batch_and_processes_agree():
    structures = [_rotated_supercell("Cu", "fcc", 3.6, s) for s in range(9)]
    assert sum(map(len, structures)) >= Fingerprinter.min_parallel  # enough work for the worker processes
    one = fingerprints(structures, n_jobs=1)
    two = fingerprints(structures, n_jobs=2)
    assert one.shape == (9, 3, 64, 64) and one.dtype == np.float32
    assert np.array_equal(one, two)
    alone = Fingerprinter()
    for structure, image in zip(structures[:3], one):  # a batch is its structures' fingerprints, in order
        np.testing.assert_allclose(image, alone.one(structure), atol=1e-6)


def test_bad_structures():
    with pytest.raises(AtlasError, match="needs at least 2 atoms; this structure has 1"):
        Fingerprinter().one(Atoms("Cu", positions=[[0, 0, 0]], cell=[3, 3, 3], pbc=True))
    with pytest.raises(AtlasError, match="needs at least 2 atoms; this structure has 0"):
        Fingerprinter().one(Atoms())
    with pytest.raises(AtlasError, match="more than the 5000"):
        Fingerprinter().one(bulk("Cu", "fcc", a=3.6, cubic=True).repeat((12, 12, 12)))
    with pytest.raises(AtlasError, match="same position"):
        Fingerprinter().one(Atoms("Cu2", positions=[[0, 0, 0], [0, 0, 0]]))
    with pytest.raises(AtlasError, match="no X-ray form factor for element 'X'"):
        Fingerprinter().one(Atoms("X2", positions=[[0, 0, 0], [1, 0, 0]]))
    with pytest.raises(AtlasError, match="unknown diffraction parameter 'pixels'"):
        Fingerprinter(pixels=32)


def test_a_molecule_without_a_cell_is_a_cluster():
    """Non-periodic input is documented behaviour: the atoms given are the cluster."""
    benzene = molecule("C6H6")
    image = Fingerprinter().one(benzene)
    assert image.shape == (3, 64, 64) and np.isfinite(image).all()
    assert np.abs(image - reference_fingerprint(benzene)).max() < 1e-3  # the same pattern as the direct sum
