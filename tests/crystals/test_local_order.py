"""identify's per-atom descriptor: Steinhardt's numbers, and blind to how the crystal was written."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, fcc111
from scipy.spatial.transform import Rotation

from atomatlas.datasets.prototypes import as_cluster, supercell
from atomatlas.descriptors.local_order import N_FEATURES, NEIGHBOURS, SHELLS, LocalOrder, _system
from atomatlas.errors import AtlasError

ORDER = slice(NEIGHBOURS, NEIGHBOURS + len(SHELLS) * 11)  # own q_l columns: shell-major, l = 2 .. 12
FLOAT32 = 1e-3  # float32: the square root of rounding near q_l = 0


def _thermal(atoms, sigma=0.08, seed=0):
    atoms = atoms.copy()
    atoms.positions += np.random.default_rng(seed).normal(0.0, sigma, atoms.positions.shape)
    return atoms


def test_q_l_equal_freud_steinhardt_where_a_shell_ends_between_neighbour_shells():
    import freud

    atoms = _thermal(bulk("Cu", "fcc", a=3.61, cubic=True).repeat(5))
    X = LocalOrder().per_atom(atoms)
    ours = X[:, ORDER].reshape(len(atoms), len(SHELLS), 11)
    box, points = _system(atoms)
    steinhardt = freud.order.Steinhardt(list(range(2, 13)))
    steinhardt.compute((box.freud(), points), neighbors={"num_neighbors": 12, "exclude_ii": True})
    clear = X[:, 12] - X[:, 11] > 0.2  # the 12th and 13th neighbour far apart: weights are 0 or 1
    assert clear.mean() > 0.9
    np.testing.assert_allclose(ours[clear, SHELLS.index(12)], steinhardt.particle_order[clear], atol=2e-4)
    for name, a, shell in (("Fe", 2.87, 8), ("Fe", 2.87, 14), ("Po", 3.35, 6), ("Si", 5.43, 4)):
        crystal = bulk(name, a=a, cubic=True).repeat(3)
        box, points = _system(crystal)
        steinhardt.compute((box.freud(), points), neighbors={"num_neighbors": shell, "exclude_ii": True})
        found = LocalOrder().per_atom(crystal)[:, ORDER].reshape(len(crystal), len(SHELLS), 11)[:, SHELLS.index(shell)]
        expected = steinhardt.particle_order[:len(crystal)]  # the cell was repeated: its own atoms come first
        np.testing.assert_allclose(found, expected, atol=2 * FLOAT32)  # both in float32


def test_shells_of_bcc_and_the_known_q_values_of_fcc():
    X = LocalOrder().per_atom(bulk("Fe", "bcc", a=2.87))
    np.testing.assert_allclose(X[0, :NEIGHBOURS], [1] * 8 + [2 / np.sqrt(3)] * 6 + [np.sqrt(8 / 3)] * 4, atol=1e-5)
    q = LocalOrder().per_atom(bulk("Cu", "fcc", a=3.61))[0, ORDER].reshape(len(SHELLS), 11)
    twelve = q[SHELLS.index(12)]
    assert twelve[2] == pytest.approx(0.19094, abs=1e-4) and twelve[4] == pytest.approx(0.57452, abs=1e-4)


def test_primitive_conventional_skewed_rotated_scaled_and_other_species_agree():
    reference = LocalOrder().per_atom(bulk("Cu", "fcc", a=3.61))[0]
    conventional = bulk("Cu", "fcc", a=3.61, cubic=True)
    skewed = supercell(bulk("Cu", "fcc", a=3.61), 300)
    turned = bulk("Al", "fcc", a=4.05).repeat((5, 4, 3))
    rotation = Rotation.random(random_state=3).as_matrix()
    turned.set_cell(turned.cell[:] @ rotation.T, scale_atoms=False)
    turned.positions = turned.positions @ rotation.T
    for atoms in (conventional, skewed, turned):
        X = LocalOrder().per_atom(atoms)
        assert X.shape == (len(atoms), N_FEATURES)
        np.testing.assert_allclose(X, np.broadcast_to(reference, X.shape), atol=FLOAT32)


def test_each_phase_on_its_own_scale_in_one_frame():
    """A Cu (fcc) and a Fe (bcc) cluster side by side: each core looks like its own pure crystal."""
    rng = np.random.default_rng(1)
    cu = as_cluster(supercell(bulk("Cu", "fcc", a=3.61, cubic=True), 3000), rng, 800)
    fe = as_cluster(supercell(bulk("Fe", "bcc", a=2.87, cubic=True), 3000), rng, 800)
    fe.positions += cu.positions.max(axis=0) - fe.positions.min(axis=0) + 10.0
    both = cu + fe
    X = LocalOrder().per_atom(both)
    for part, start, pure in ((cu, 0, bulk("Cu", "fcc", a=3.61)), (fe, len(cu), bulk("Fe", "bcc", a=2.87))):
        centre = part.positions.mean(axis=0)
        core = start + np.flatnonzero(np.linalg.norm(part.positions - centre, axis=1) < 6.0)
        np.testing.assert_allclose(X[core], np.broadcast_to(LocalOrder().per_atom(pure)[0], X[core].shape),
                                   atol=FLOAT32)


def test_slabs_and_clusters_have_no_images_across_the_vacuum():
    slab = fcc111("Cu", (4, 4, 6), vacuum=0.0, periodic=False)
    slab.pbc = (True, True, False)
    X = LocalOrder().per_atom(slab)
    top, middle = slab.positions[:, 2].argmax(), np.argsort(np.abs(slab.positions[:, 2] - slab.positions[:, 2].mean()))[0]
    assert X[top, 11] > 1.2  # a surface atom's twelfth neighbour is beyond the first shell
    assert X[middle, 11] == pytest.approx(1.0, abs=1e-5)


def test_refuses_what_cannot_have_enough_neighbours():
    with pytest.raises(AtlasError, match="local order needs 18 neighbours"):
        LocalOrder().per_atom(Atoms("Cu10", positions=np.random.default_rng(0).uniform(0, 8, (10, 3))))
    with pytest.raises(AtlasError, match="frame without atoms"):
        LocalOrder().per_atom(Atoms())
    doubled = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3)
    doubled += doubled[:1]
    with pytest.raises(AtlasError, match="on top of each other"):
        LocalOrder().per_atom(doubled)


def test_features_change_smoothly_through_a_tie():
    """hcp passing its ideal c/a (12 equidistant neighbours): no jump a training set could miss."""
    rows = [LocalOrder().per_atom(bulk("Mg", "hcp", a=3.21, c=3.21 * ratio))[0] for ratio in (1.625, 1.633, 1.641)]
    step = np.abs(rows[1] - rows[0]).max(), np.abs(rows[2] - rows[1]).max()
    assert max(step) < 0.1 and abs(step[0] - step[1]) < 0.05


@pytest.mark.parametrize("pbc", [True, [True, True, False]])
def test_a_left_handed_cell_describes_the_same_atoms_as_the_right_handed_one(pbc):
    right = _thermal(bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3))
    right.pbc = pbc
    left = right.copy()
    left.set_cell(right.cell * [[1], [1], [-1]], scale_atoms=False)  # as some XSF files write it
    assert np.linalg.det(left.cell) < 0
    # float32 points in a box placed differently round the atoms: equal to rounding
    np.testing.assert_allclose(LocalOrder().per_atom(left), LocalOrder().per_atom(right), atol=1e-4)


@pytest.mark.parametrize("atoms", [
    _thermal(bulk("Cu", "fcc", a=3.61, cubic=True).repeat(5)),
    _thermal(bulk("Fe", "bcc", a=2.87, cubic=True).repeat((4, 5, 6)), sigma=0.05),
    _thermal(fcc111("Al", size=(4, 4, 6), vacuum=8.0, orthogonal=True), sigma=0.03),  # a slab: vacuum along z
], ids=["fcc box", "bcc box", "slab"])
def test_the_k_d_tree_finds_freuds_neighbours_in_a_rectangular_box(atoms):
    """Rectangular boxes go to scipy's tree (its query frees the GIL), sheared ones to freud: the same pairs."""
    from atomatlas.descriptors import local_order

    n = len(atoms)
    box, points = _system(atoms)
    assert not (box.xy or box.xz or box.yz)
    tree, ours = local_order._tree_pairs(box, points, n), local_order._freud_pairs(box, points, n)
    np.testing.assert_allclose(tree.distances, ours.distances, atol=1e-5)
    assert np.array_equal(tree.point_indices, ours.point_indices)  # thermal: no two neighbours equidistant
    np.testing.assert_allclose(tree.vectors, ours.vectors, atol=1e-5)


def test_a_sheared_box_goes_to_freud(monkeypatch):
    from atomatlas.descriptors import local_order

    monkeypatch.setattr(local_order, "_tree_pairs", lambda *args: pytest.fail("the tree took a sheared box"))
    atoms = _thermal(bulk("Cu", "fcc", a=3.61).repeat(6))  # the primitive cell: 60-degree angles
    assert LocalOrder().per_atom(atoms).shape == (len(atoms), N_FEATURES)
