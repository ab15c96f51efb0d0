"""Crystal-structure classes for diffraction fingerprints (seed 001, after Ziletti et al. 2018).

Seven classes, named as in every output:

========  =====================  =============================================================
class     space groups           prototypes
========  =====================  =============================================================
sc        Pm-3m (221)            alpha-Po
bcc       Im-3m (229)            W (A2)
fcc       Fm-3m (225)            Cu (A1)
diamond   Fd-3m (227)            C, Si, Ge, alpha-Sn (A4)
hex_rh    P6_3/mmc (194),        hcp metals (A3, c/a 1.55-1.90), graphite (A9 AB stacking);
          R-3m (166)             alpha-As (A7, rhombohedral: As, Sb, Bi), alpha-Hg (A10), Sm-type (C19)
bct139    I4/mmm (139)           In-type bct (c/a 4% or more from 1 and sqrt 2), MoSi2 (C11b)
bct141    I4_1/amd (141)         beta-Sn (A5), anatase TiO2 (C5)
========  =====================  =============================================================

hcp and rhombohedral structures share one class, as in the paper (their fingerprints
look alike); ``subclass`` (``hcp``, ``graphite``, ``rhombohedral``...) keeps them apart for
a separate report. Every pristine conventional cell is checked with spglib. Structures
are rotated at random, repeated to about 250 atoms and made defective by removing a
fraction of atoms (vacancies) and by Gaussian displacements given as a fraction of the
nearest-neighbour distance. Deterministic for a seed; classes are balanced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atomatlas.errors import SPGLIB_ERROR_HANDLING, AtlasError, hide_library_warnings

CLASSES = ("sc", "bcc", "fcc", "diamond", "hex_rh", "bct139", "bct141")
SPACE_GROUPS = {"sc": (221,), "bcc": (229,), "fcc": (225,), "diamond": (227,), "hex_rh": (194, 166),
                "bct139": (139,), "bct141": (141,)}
METALS = ("Al", "Ti", "V", "Cr", "Fe", "Co", "Ni", "Cu", "Zn", "Zr", "Nb", "Mo", "Ru", "Rh", "Pd", "Ag", "Cd",
          "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Pb", "Mg", "Ca", "Sr", "Y", "Sc", "Li", "Na", "K", "Ba")


@dataclass
class Prototype:
    crystal_class: str
    subclass: str
    build: object  # (rng) -> ase.Atoms conventional cell


def _crystal(symbols, basis, spacegroup, cellpar):
    from ase.spacegroup import crystal

    return crystal(symbols, basis, spacegroup=spacegroup, cellpar=cellpar, primitive_cell=False)


def _metal(rng) -> str:
    return str(rng.choice(METALS))


def _sc(rng):
    return _crystal([_metal(rng)], [(0, 0, 0)], 221, [rng.uniform(2.5, 3.5)] * 3 + [90] * 3)


def _bcc(rng):
    return _crystal([_metal(rng)], [(0, 0, 0)], 229, [rng.uniform(2.8, 4.5)] * 3 + [90] * 3)


def _fcc(rng):
    return _crystal([_metal(rng)], [(0, 0, 0)], 225, [rng.uniform(3.4, 5.2)] * 3 + [90] * 3)


def _diamond(rng):
    symbol = str(rng.choice(["C", "Si", "Ge", "Sn"]))
    a = {"C": 3.57, "Si": 5.43, "Ge": 5.66, "Sn": 6.49}[symbol] * rng.uniform(0.98, 1.02)
    return _crystal([symbol], [(0, 0, 0)], 227, [a] * 3 + [90] * 3)


def _hcp(rng):
    a = rng.uniform(2.5, 3.6)
    return _crystal([_metal(rng)], [(1 / 3, 2 / 3, 1 / 4)], 194, [a, a, a * rng.uniform(1.55, 1.90), 90, 90, 120])


def _graphite(rng):
    a = 2.46 * rng.uniform(0.98, 1.02)
    return _crystal(["C", "C"], [(0, 0, 1 / 4), (1 / 3, 2 / 3, 1 / 4)], 194, [a, a, a * rng.uniform(2.6, 2.8), 90, 90, 120])


def _arsenic(rng):
    symbol = str(rng.choice(["As", "Sb", "Bi"]))
    a, c, u = {"As": (3.76, 10.55, 0.227), "Sb": (4.31, 11.27, 0.234), "Bi": (4.55, 11.86, 0.234)}[symbol]
    scale = rng.uniform(0.98, 1.02)
    return _crystal([symbol], [(0, 0, u + rng.uniform(-0.005, 0.005))], 166,
                    [a * scale, a * scale, c * scale * rng.uniform(0.98, 1.02), 90, 90, 120])


def _alpha_mercury(rng):
    # A10: one atom in a rhombohedral cell, alpha between fcc's 60 and sc's 90 degrees
    from ase import Atoms

    a, alpha = rng.uniform(2.8, 3.4), rng.uniform(66.0, 76.0)
    return Atoms(_metal(rng), cell=[a, a, a, alpha, alpha, alpha], pbc=True)


def _samarium(rng):
    # C19 (9R stacking, hexagonal setting): 3a and 6c with z near 2/9
    a = 3.62 * rng.uniform(0.97, 1.03)
    return _crystal(["Sm", "Sm"], [(0, 0, 0), (0, 0, 0.222 + rng.uniform(-0.004, 0.004))], 166,
                    [a, a, a * rng.uniform(7.1, 7.4), 90, 90, 120])


def _bct(rng):
    # c/a away from 1 (bcc) and sqrt 2 (fcc) by at least 4%: In (1.52) lies inside
    ratio = float(rng.choice([rng.uniform(0.80, 0.95), rng.uniform(1.06, 1.33), rng.uniform(1.47, 1.80)]))
    a = rng.uniform(2.8, 3.8)
    return _crystal([_metal(rng)], [(0, 0, 0)], 139, [a, a, a * ratio, 90, 90, 90])


def _mosi2(rng):
    a = 3.20 * rng.uniform(0.97, 1.03)
    return _crystal(["Mo", "Si"], [(0, 0, 0), (0, 0, 1 / 3 + rng.uniform(-0.01, 0.01))], 139,
                    [a, a, a * rng.uniform(2.40, 2.50), 90, 90, 90])


def _beta_tin(rng):
    a = 5.83 * rng.uniform(0.97, 1.03)
    return _crystal(["Sn"], [(0, 0, 0)], 141, [a, a, a * rng.uniform(0.52, 0.57), 90, 90, 90])


def _anatase(rng):
    a = 3.78 * rng.uniform(0.98, 1.02)
    return _crystal(["Ti", "O"], [(0, 0, 0), (0, 0, 0.208 + rng.uniform(-0.005, 0.005))], 141,
                    [a, a, a * rng.uniform(2.48, 2.54), 90, 90, 90])


PROTOTYPES = {
    "sc": [Prototype("sc", "sc", _sc)],
    "bcc": [Prototype("bcc", "bcc", _bcc)],
    "fcc": [Prototype("fcc", "fcc", _fcc)],
    "diamond": [Prototype("diamond", "diamond", _diamond)],
    "hex_rh": [Prototype("hex_rh", "hcp", _hcp), Prototype("hex_rh", "graphite", _graphite),
               Prototype("hex_rh", "rhombohedral", _arsenic), Prototype("hex_rh", "alpha-Hg", _alpha_mercury),
               Prototype("hex_rh", "Sm-type", _samarium)],
    "bct139": [Prototype("bct139", "bct", _bct), Prototype("bct139", "MoSi2", _mosi2)],
    "bct141": [Prototype("bct141", "beta-Sn", _beta_tin), Prototype("bct141", "anatase", _anatase)],
}


def space_group(atoms, symprec: float = 1e-3) -> int:
    import spglib

    cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
    with hide_library_warnings(SPGLIB_ERROR_HANDLING):
        try:
            dataset = spglib.get_symmetry_dataset(cell, symprec=symprec)
        except Exception:  # spglib's new error handling raises where the old returned None
            dataset = None
    return 0 if dataset is None else int(dataset.number)


def check_prototype(atoms, crystal_class: str) -> None:
    number = space_group(atoms)
    if number not in SPACE_GROUPS[crystal_class]:
        raise AtlasError(f"generated {crystal_class} cell has space group {number}, expected "
                         f"{SPACE_GROUPS[crystal_class]}: a generator bug.")


def supercell(cell, n_atoms: int = 250):
    """Repeat a cell about equally far along each axis until it holds about ``n_atoms`` atoms."""
    lengths = cell.cell.lengths()
    best = None
    for size in np.linspace(lengths.min(), 40.0, 400):
        repeats = np.maximum(1, np.round(size / lengths)).astype(int)
        count = len(cell) * repeats.prod()
        if best is None or abs(count - n_atoms) < abs(best[1] - n_atoms):
            best = (tuple(repeats), count)
    return cell.repeat(best[0])


def nearest_neighbour(atoms) -> float:
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(atoms.positions).query(atoms.positions, k=2)
    return float(distances[:, 1].min())


def make_structure(crystal_class: str, rng, vacancies: float = 0.0, displacement: float = 0.0,
                   prototype: int | None = None, n_atoms: int = 250):
    """One rotated, defective cluster of class ``crystal_class``; info holds its labels and defects."""
    from scipy.spatial.transform import Rotation

    options = PROTOTYPES[crystal_class]
    chosen = options[int(rng.integers(len(options))) if prototype is None else prototype]
    cell = chosen.build(rng)
    check_prototype(cell, crystal_class)
    atoms = supercell(cell, n_atoms)
    bond = nearest_neighbour(atoms)
    # a random orientation of the whole supercell (cell too): the fingerprint undoes it through the cell
    rotation = Rotation.random(random_state=int(rng.integers(2 ** 31))).as_matrix()
    atoms.set_cell(atoms.cell[:] @ rotation.T, scale_atoms=False)
    atoms.positions = atoms.positions @ rotation.T
    if vacancies:
        keep = np.sort(rng.permutation(len(atoms))[: len(atoms) - int(round(vacancies * len(atoms)))])
        atoms = atoms[keep]
    if displacement:
        atoms.positions += rng.normal(0.0, displacement * bond, size=atoms.positions.shape)
    atoms.info.update({"crystal_class": crystal_class, "subclass": chosen.subclass, "vacancies": float(vacancies),
                       "displacement": float(displacement)})
    return atoms


def generate(n_per_class: int, seed: int = 0, vacancies=(0.0, 0.0), displacement=(0.0, 0.0),
             classes=CLASSES, n_atoms: int = 250) -> list:
    """``n_per_class`` structures of each class, defects drawn uniformly from the given ranges."""
    for name, (low, high), limit in (("vacancies", vacancies, 0.9), ("displacement", displacement, 0.5)):
        if not 0.0 <= low <= high <= limit:
            raise AtlasError(f"{name} range {low:g},{high:g} must satisfy 0 <= low <= high <= {limit:g}.")
    rng = np.random.default_rng(seed)
    structures = []
    for crystal_class in classes:
        if crystal_class not in PROTOTYPES:
            raise AtlasError(f"unknown crystal class {crystal_class!r}; choose from {list(CLASSES)}.")
        for _ in range(n_per_class):
            structures.append(make_structure(crystal_class, rng, vacancies=rng.uniform(*vacancies),
                                             displacement=rng.uniform(*displacement), n_atoms=n_atoms))
    return structures


def as_cluster(atoms, rng, n_atoms: int):
    """The ``n_atoms`` atoms nearest a random point near the middle of ``atoms``, without a cell."""
    from ase import Atoms

    middle = atoms.cell.sum(axis=0) / 2 + rng.normal(0.0, 0.5, 3)
    nearest = np.argsort(np.linalg.norm(atoms.positions - middle, axis=1))[:n_atoms]
    cluster = Atoms(numbers=atoms.numbers[nearest], positions=atoms.positions[nearest] - middle, pbc=False)
    cluster.info.update(atoms.info)
    return cluster


def generate_any_cell(n_per_class: int, seed: int = 0, vacancies=(0.0, 0.0), displacement=(0.0, 0.0),
                      cluster_fraction: float = 0.25, pristine_fraction: float = 0.25) -> list:
    """Like :func:`generate`, with clusters and pristine crystals mixed in.

    ``cluster_fraction`` of each class is cut out as clusters of 150-800 atoms without a
    cell; ``pristine_fraction`` (of the periodic and of the clusters) has no defects, so
    perfect crystals are as familiar as defective ones. Periodic structures are rotated
    supercells of about 250 atoms: a rotation- and cell-invariant descriptor needs no other
    cell choices, but clusters have surfaces.
    """
    n_clusters = int(round(cluster_fraction * n_per_class))
    out, rng = [], np.random.default_rng(seed + 1)
    for part, (count, n_atoms) in enumerate(((n_per_class - n_clusters, 250), (n_clusters, 1500))):
        n_pristine = int(round(pristine_fraction * count))
        made = generate(count - n_pristine, seed=seed + 2 * part, vacancies=vacancies, displacement=displacement,
                        n_atoms=n_atoms) if count > n_pristine else []
        made += generate(n_pristine, seed=seed + 2 * part + 1, n_atoms=n_atoms) if n_pristine else []
        out += made if part == 0 else [as_cluster(atoms, rng, int(rng.integers(150, 801))) for atoms in made]
    return out
