"""Any ASE structure as a periodic box that neighbour queries accept: freud's, or scipy's k-d tree for a
rectangular box (:meth:`Box.rectangular`; most MD, and clusters in vacuum: no freud import, a query without the GIL).

freud wants an upper-triangular periodic box at least twice as wide as the farthest
neighbour asked for, so a cell is rotated to ASE's standard form, a small cell is
repeated (ASE keeps the original atoms first, so point ``i < len(atoms)`` is atom ``i``
and an image of atom ``i`` is any point ``p`` with ``p % len(atoms) == i``), and the
directions without periodicity (a cluster, a slab) are put in vacuum. The cell is first
Minkowski-reduced (the same lattice, spanned by its shortest vectors): a strongly skewed
cell (a tilt of 10^5 A) otherwise loses its heights to round-off in freud. A left-handed
cell (as some files write, or a reduction gives) becomes right-handed by turning its third
vector round: the lattice is the same.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Box(NamedTuple):
    """A periodic box as freud describes it: lengths and tilt factors of an upper-triangular box matrix."""

    Lx: float
    Ly: float
    Lz: float
    xy: float
    xz: float
    yz: float

    def rectangular(self) -> bool:
        return not (self.xy or self.xz or self.yz)

    def freud(self):
        import freud

        return freud.box.Box(Lx=self.Lx, Ly=self.Ly, Lz=self.Lz, xy=self.xy, xz=self.xz, yz=self.yz)


def tree_pairs_within(box: Box, points: np.ndarray, n: int, r_max: float):
    """(i, j, distance) of every pair closer than ``r_max`` with ``i`` one of the first ``n`` points (both as atom
    indices: ``% n``), in a rectangular ``box``, from scipy's cKDTree."""
    from scipy.spatial import cKDTree

    lengths, inside = tree_points(box, points)
    pairs = cKDTree(inside, boxsize=lengths).query_pairs(r_max, output_type="ndarray")
    vectors = inside[pairs[:, 1]] - inside[pairs[:, 0]]
    vectors -= lengths * np.round(vectors / lengths)
    return pairs[:, 0] % n, pairs[:, 1] % n, np.linalg.norm(vectors, axis=1)


def tree_points(box: Box, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(box lengths, the points moved into [0, L)) for a periodic cKDTree of a rectangular box."""
    lengths = np.array([box.Lx, box.Ly, box.Lz])
    inside = np.mod(points.astype(np.float64) + lengths / 2, lengths)
    inside[inside >= lengths] = 0.0  # a coordinate a rounding below 0 wraps to exactly L, outside the tree's box
    return lengths, inside


def _reduced(atoms, vacuum: float):
    """``atoms`` periodic in every direction (``vacuum`` A round the open ones), its cell Minkowski-reduced and
    right-handed: the same lattice and positions."""
    if not atoms.pbc.all():
        atoms = atoms.copy()
        atoms.center(vacuum=vacuum, axis=tuple(np.flatnonzero(~atoms.pbc)) if atoms.cell.rank == 3 else (0, 1, 2))
        atoms.pbc = True
    from ase.geometry.minkowski_reduction import minkowski_reduce

    reduced, _ = minkowski_reduce(atoms.cell.array)
    if not np.allclose(reduced, atoms.cell.array):
        atoms = atoms.copy()
        atoms.set_cell(reduced, scale_atoms=False)  # positions stay: they are images in the same lattice
    if np.linalg.det(atoms.cell) < 0:  # left-handed: freud's box would get a negative height
        atoms = atoms.copy()
        atoms.set_cell(atoms.cell * [[1], [1], [-1]], scale_atoms=False)  # -c spans the same lattice
    return atoms


def box_rotation(atoms, vacuum: float) -> np.ndarray:
    """The rotation Q (3, 3) that :func:`periodic_box` applies to ``atoms`` (a vector v of theirs is Q v among
    its points): repeating the cell scales its vectors, which leaves the standard form's rotation alone."""
    return np.asarray(_reduced(atoms, vacuum).cell.standard_form()[1])


def periodic_box(atoms, vacuum: float, width: float = 0.0, width_in_bonds: float = 0.0):
    """(:class:`Box`, float32 points): ``vacuum`` A around open directions, then every box height at least
    ``width`` A and ``width_in_bonds`` bonds, a bond being 1.2 (volume per point)^(1/3) of the padded
    box (generous: taken from the density, never from distances, which may be broken)."""
    atoms = _reduced(atoms, vacuum)
    volume = abs(atoms.cell.volume)
    width = max(width, width_in_bonds * 1.2 * (volume / len(atoms)) ** (1 / 3))
    heights = volume / np.linalg.norm(np.cross(atoms.cell[[1, 2, 0]], atoms.cell[[2, 0, 1]]), axis=1)
    repeats = np.maximum(1, np.ceil(width / heights)).astype(int)
    if (repeats > 1).any():
        atoms = atoms.repeat(tuple(repeats))
    cell, rotation = atoms.cell.standard_form()
    cell = np.asarray(cell)
    box = Box(cell[0, 0], cell[1, 1], cell[2, 2], cell[1, 0] / cell[1, 1], cell[2, 0] / cell[2, 2],
              cell[2, 1] / cell[2, 2])  # freud.box.Box.from_matrix(cell.T)'s numbers
    fractions = np.linalg.solve(cell.T, (atoms.positions @ rotation.T - cell.sum(axis=0) / 2).T).T
    fractions -= np.round(fractions)  # into the box centred on the origin, as freud's wrap
    return box, np.ascontiguousarray(fractions @ cell, dtype=np.float32)
