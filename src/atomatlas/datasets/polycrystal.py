"""A periodic Voronoi polycrystal whose every atom's grain, lattice and orientation are known by construction
(for judging identify's grains, and the validation pages' interfaces).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Polycrystal(NamedTuple):
    atoms: object  # ase.Atoms in a cubic periodic box
    grain: np.ndarray  # each atom's grain index
    lattice: np.ndarray  # each atom's lattice name
    depth: np.ndarray  # each atom's distance to its grain's boundary (A)
    rotations: np.ndarray  # (grains, 3, 3): grain g's positions are R_g x of its lattice's


def voronoi_grains(box: float, lattices: list[tuple[str, float]], *, seed: int = 0, symbol: str = "Cu",
                   too_close: float | None = None, blocks: list | None = None):
    """A periodic Voronoi polycrystal: one grain per (lattice, lattice constant), each in a random orientation.

    Lattices are ASE ``bulk`` names ('fcc', 'bcc', 'hcp' with ideal c/a, 'diamond'); where two grains put atoms
    closer than ``too_close`` (default 0.6 of the smallest bond), one of each pair is removed. Returns a
    :class:`Polycrystal`. ``blocks``: one periodic orthorhombic block
    per grain (a molecular dynamics snapshot, say) tiled instead of the perfect lattice, so the grains carry its
    thermal displacements.
    """
    from ase import Atoms
    from ase.build import bulk
    from scipy.spatial import cKDTree
    from scipy.spatial.transform import Rotation

    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, box, (len(lattices), 3))
    shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * 3)).reshape(3, -1).T
    images = (centres[None] + box * shifts[:, None]).reshape(-1, 3)
    home = int(np.flatnonzero((shifts == 0).all(axis=1))[0]) * len(lattices)  # index of the unshifted centres
    positions, grain, bonds, rotations = [], [], [], []
    for g, (name, constant) in enumerate(lattices):
        kwargs = {"orthorhombic": True} if name == "hcp" else {"cubic": True}
        cell = bulk(symbol, name, a=constant, **kwargs)
        bonds.append(float(np.sort(cell.get_all_distances(mic=True)[0])[1]))
        if blocks is not None:
            cell = blocks[g]
        n = int(np.ceil(box * 2.6 / cell.cell.lengths().min()))  # any Voronoi cell of the periodic tiling fits
        points = cell.repeat(n).positions - cell.cell.lengths() * n / 2
        rotations.append(Rotation.random(random_state=int(rng.integers(2 ** 31))).as_matrix())
        points = points @ rotations[-1].T + centres[g]
        _, nearest = cKDTree(images).query(points)
        keep = nearest == home + g  # the grain's own (unwrapped) Voronoi cell: one piece of lattice
        positions.append(points[keep] % box)
        grain += [g] * int(keep.sum())
    positions, grain = np.concatenate(positions), np.array(grain)
    tree = cKDTree(positions, boxsize=box)
    drop = {j for _, j in tree.query_pairs(too_close or 0.6 * min(bonds))}  # atoms from two grains on top of each other
    keep = np.array([i not in drop for i in range(len(positions))])
    positions, grain = positions[keep], grain[keep]
    # distance to the cell boundary: the nearest bisector plane between the atom's seed and any other seed image
    squared = ((positions[:, None, :] - images[None]) ** 2).sum(axis=2)
    own = squared.argmin(axis=1)
    spacing = np.linalg.norm(images[None] - images[own][:, None], axis=2)
    planes = (squared - squared[np.arange(len(own)), own][:, None]) / (2 * np.where(spacing > 0, spacing, np.inf))
    planes[np.arange(len(own)), own] = np.inf
    lattice = np.array([lattices[g][0] for g in grain])
    atoms = Atoms(f"{symbol}{len(positions)}", positions=positions, cell=[box] * 3, pbc=True)
    return Polycrystal(atoms, grain, lattice, planes.min(axis=1), np.array(rotations))
