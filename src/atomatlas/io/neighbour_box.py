"""Any ASE structure as a periodic box that freud's neighbour queries accept.

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

import numpy as np


def periodic_box(atoms, vacuum: float, width: float = 0.0, width_in_bonds: float = 0.0):
    """(freud box, float32 points): ``vacuum`` A around open directions, then every box height at least
    ``width`` A and ``width_in_bonds`` bonds, a bond being 1.2 (volume per point)^(1/3) of the padded
    box (generous: taken from the density, never from distances, which may be broken)."""
    import freud

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
    volume = abs(atoms.cell.volume)
    width = max(width, width_in_bonds * 1.2 * (volume / len(atoms)) ** (1 / 3))
    heights = volume / np.linalg.norm(np.cross(atoms.cell[[1, 2, 0]], atoms.cell[[2, 0, 1]]), axis=1)
    repeats = np.maximum(1, np.ceil(width / heights)).astype(int)
    if (repeats > 1).any():
        atoms = atoms.repeat(tuple(repeats))
    cell, rotation = atoms.cell.standard_form()
    box = freud.box.Box.from_matrix(cell.T)
    points = box.wrap(atoms.positions @ rotation.T - cell.sum(axis=0) / 2)
    return box, np.ascontiguousarray(points, dtype=np.float32)
