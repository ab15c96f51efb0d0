"""Crystals written the way users hand them in, for evaluation only (never for training).

Two sources, neither of them the training generator's draws:

* ``elements``: every element whose ASE reference state (``ase.data.reference_states``)
  falls in one of the seven classes, built by ``ase.build.bulk`` (class from spglib);
* ``prototypes``: the generator's prototypes drawn from another seed.

Each crystal is written as one of :data:`INPUT_KINDS` (a conventional supercell, a repeat
of the primitive cell, a skewed supercell matrix, a large supercell, a cluster without a
cell), rotated at random, and then made defective (:data:`DEFECTS`). Outside the classes,
:func:`outside_structures` builds A15, sigma phase, a random gas and a quenched
("amorphous") and a hot ("liquid") random packing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atomatlas.datasets.prototypes import CLASSES, PROTOTYPES, SPACE_GROUPS, as_cluster, nearest_neighbour, supercell
from atomatlas.errors import SPGLIB_ERROR_HANDLING, hide_library_warnings

DEFECTS = {"pristine": (0.0, 0.0), "vacancies 25%": (0.25, 0.0), "displacement 5%": (0.0, 0.05)}
REFERENCE_SYMMETRIES = ("sc", "bcc", "fcc", "diamond", "hcp", "rhombohedral", "bct")


@dataclass
class Crystal:
    name: str  # element symbol or prototype name
    crystal_class: str
    conventional: object  # ase.Atoms
    primitive: object
    bond: float  # nearest-neighbour distance (A)


def _spglib_cell(atoms):
    return atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers


def space_group_class(atoms, symprec: float = 1e-3) -> str | None:
    """The class whose space groups hold spglib's answer for ``atoms``, or None."""
    import spglib

    with hide_library_warnings(SPGLIB_ERROR_HANDLING):
        try:
            dataset = spglib.get_symmetry_dataset(_spglib_cell(atoms), symprec=symprec)
        except Exception:  # spglib raises where it finds no symmetry
            dataset = None
    number = 0 if dataset is None else int(dataset.number)
    return next((name for name, groups in SPACE_GROUPS.items() if number in groups), None)


def _standard(atoms, primitive: bool):
    import spglib
    from ase import Atoms

    lattice, positions, numbers = spglib.standardize_cell(_spglib_cell(atoms), to_primitive=primitive, symprec=1e-3)
    return Atoms(numbers=numbers, scaled_positions=positions, cell=lattice, pbc=True)


def _crystal(name: str, atoms, crystal_class: str) -> Crystal:
    conventional = _standard(atoms, primitive=False)
    return Crystal(name, crystal_class, conventional, _standard(atoms, primitive=True),
                   nearest_neighbour(supercell(conventional, 250)))


def element_crystals() -> list[Crystal]:
    """Elements whose reference state ASE can build and spglib puts in one of the classes."""
    from ase.build import bulk
    from ase.data import chemical_symbols, reference_states

    out = []
    for number, state in enumerate(reference_states):
        if not state or state["symmetry"] not in REFERENCE_SYMMETRIES:
            continue
        try:
            atoms = bulk(chemical_symbols[number])
        except (ValueError, KeyError, RuntimeError):  # e.g. Se, Te: ASE needs a basis it does not hold
            continue
        crystal_class = space_group_class(atoms)
        if crystal_class is not None:
            out.append(_crystal(chemical_symbols[number], atoms, crystal_class))
    return out


def prototype_crystals(per_prototype: int = 2, seed: int = 12345) -> list[Crystal]:
    rng = np.random.default_rng(seed)
    return [_crystal(prototype.subclass, prototype.build(rng), crystal_class)
            for crystal_class in CLASSES for prototype in PROTOTYPES[crystal_class] for _ in range(per_prototype)]


def _rotated(atoms, rng):
    from scipy.spatial.transform import Rotation

    rotation = Rotation.random(random_state=int(rng.integers(2 ** 31))).as_matrix()
    out = atoms.copy()
    if out.pbc.all():
        out.set_cell(out.cell[:] @ rotation.T, scale_atoms=False)
    out.positions = out.positions @ rotation.T
    return out


def _skewed(crystal: Crystal, rng):
    from ase.build import make_supercell

    n = len(crystal.primitive)
    while True:
        matrix = rng.integers(-3, 4, size=(3, 3)) + np.diag(rng.integers(1, 8, size=3))
        det = int(round(np.linalg.det(matrix)))
        if det > 0 and 50 <= det * n <= 5000:
            return make_supercell(crystal.primitive, matrix)


INPUT_KINDS = {
    "conventional supercell (~250 atoms)": lambda c, rng: supercell(c.conventional, 250),
    "primitive repeated n x n x n (n = 4-10)": lambda c, rng: c.primitive.repeat(int(rng.integers(4, 11))),
    "skewed supercell matrix (50-5000 atoms)": _skewed,
    "large supercell (~2000 atoms)": lambda c, rng: supercell(c.conventional, 2000),
    "cluster without a cell (150-800 atoms)": lambda c, rng: as_cluster(supercell(c.conventional, 3000), rng,
                                                                         int(rng.integers(150, 801))),
}


def written_as(crystal: Crystal, kind: str, defect: str, rng):
    """``crystal`` written as input kind ``kind``, rotated, with the defects named ``defect``."""
    vacancies, displacement = DEFECTS[defect]
    atoms = _rotated(INPUT_KINDS[kind](crystal, rng), rng)
    if vacancies:
        keep = np.sort(rng.permutation(len(atoms))[: len(atoms) - int(round(vacancies * len(atoms)))])
        atoms = atoms[keep]
    if displacement:
        atoms.positions += rng.normal(0.0, displacement * crystal.bond, size=atoms.positions.shape)
    atoms.info.update({"crystal_class": crystal.crystal_class, "name": crystal.name, "kind": kind, "defect": defect})
    return atoms


def stress_set(crystals: list[Crystal], seed: int = 0):
    """Every crystal in every input kind and defect level: {(kind, defect): [atoms]}."""
    rng = np.random.default_rng(seed)
    return {(kind, defect): [written_as(c, kind, defect, rng) for c in crystals]
            for kind in INPUT_KINDS for defect in DEFECTS}


def random_gas(n_atoms: int, rng, volume_per_atom: float = 15.0, min_distance: float = 2.0, symbol: str = "Cu"):
    """Atoms placed at random in a periodic cube, none closer than ``min_distance`` (no order at all).

    Random sequential addition: the packing fraction must stay well below its jamming limit
    (about 0.38), so dense or hard packings are refused rather than looped on.
    """
    from ase import Atoms

    from atomatlas.errors import AtlasError

    fraction = np.pi / 6 * min_distance ** 3 / volume_per_atom
    if fraction > 0.33:
        raise AtlasError(f"random gas: packing fraction {fraction:.2f} is too dense for random addition (at most 0.33).")
    box = (n_atoms * volume_per_atom) ** (1 / 3)
    placed = np.empty((n_atoms, 3))
    count = 0
    for _ in range(200 * n_atoms):
        point = rng.uniform(0.0, box, 3)
        gap = placed[:count] - point
        gap -= box * np.round(gap / box)  # minimum image in the cube
        if not count or (gap * gap).sum(axis=1).min() >= min_distance ** 2:
            placed[count] = point
            count += 1
            if count == n_atoms:
                return Atoms(f"{symbol}{n_atoms}", positions=placed, cell=[box] * 3, pbc=True)
    raise AtlasError(f"random gas: could not place {n_atoms} atoms; lower min_distance or raise volume_per_atom.")
