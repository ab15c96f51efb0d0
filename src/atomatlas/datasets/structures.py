"""Structures made or shipped for recipes and tests: surfaces, thermal supercells, a bcc/fcc stack.

Everything is built with ASE from shipped files or from parameters, deterministically for
a seed, so nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from atomatlas.errors import AtlasError
from atomatlas.io.structures import Frame

STRUCTURE_FILES = ("Fe-bcc.cif", "Fe-fcc.cif", "Fe-hcp.cif", "Fe4-bcc.xsf", "Fe4-fcc.xsf", "Fe4-hcp.xsf")


def structure_path(name: str) -> Path:
    if name not in STRUCTURE_FILES:
        raise AtlasError(f"unknown bundled structure {name!r}; choose one of {list(STRUCTURE_FILES)}.")
    return Path(str(resources.files("atomatlas.datasets") / "structures" / name))


def build_surface(kind: str = "fcc111", symbol: str = "Cu", size=(4, 4, 4), a: float = 3.597,
                  vacuum: float = 10.0):
    """A periodic slab from ``ase.build`` (fcc111, fcc100, fcc110, bcc100, bcc110, bcc111, hcp0001)."""
    import ase.build

    builders = {"fcc111", "fcc100", "fcc110", "bcc100", "bcc110", "bcc111", "hcp0001"}
    if kind not in builders:
        raise AtlasError(f"unknown surface kind {kind!r}; choose one of {sorted(builders)}.")
    return getattr(ase.build, kind)(symbol, tuple(size), a=a, vacuum=vacuum, periodic=True)


def nearest_neighbour_distance(atoms) -> float:
    from ase.neighborlist import neighbor_list

    d = neighbor_list("d", atoms, 4.0)
    if len(d) == 0:
        raise AtlasError("no neighbours within 4 A: cannot set displacements relative to the bond length.")
    return float(d.min())


def thermal_supercells(atoms, repeat=(3, 3, 3), displacement: float = 0.01, copies: int = 1, seed: int = 0,
                       source: str = "structure") -> list[Frame]:
    """``copies`` supercells with Gaussian displacements of ``displacement`` x the nearest-neighbour distance."""
    rng = np.random.default_rng(seed)
    base = atoms.repeat(tuple(repeat))
    scale = displacement * nearest_neighbour_distance(atoms)
    frames = []
    for i in range(copies):
        shaken = base.copy()
        shaken.positions += rng.normal(0.0, scale, size=shaken.positions.shape)
        frames.append(Frame(atoms=shaken, source=source, index=i))
    return frames


def bcc_fcc_stack(a_bcc: float = 2.866, a_fcc: float = 3.59, n_bcc: int = 5, n_fcc: int = 4, layers_bcc: int = 6,
                  layers_fcc: int = 4, spacing: float = 2.0, symbol: str = "Fe"):
    """A periodic bcc(001)/fcc(001) stack along z, with two interfaces per cell.

    The fcc block is strained laterally onto the bcc block (``n_fcc * a_fcc`` is close to
    ``n_bcc * a_bcc``) and sits ``spacing`` A above the last bcc layer; the cell closes
    with the same spacing. Tags: 0 for bcc atoms, 1 for fcc atoms.
    """
    from ase import Atoms
    from ase.build import bulk

    width = n_bcc * a_bcc
    bcc = bulk(symbol, "bcc", a=a_bcc, cubic=True).repeat((n_bcc, n_bcc, layers_bcc))
    fcc = bulk(symbol, "fcc", a=a_fcc, cubic=True).repeat((n_fcc, n_fcc, layers_fcc))
    fcc.positions[:, :2] *= width / (n_fcc * a_fcc)
    top_bcc = (2 * layers_bcc - 1) * a_bcc / 2
    fcc.positions[:, 2] += top_bcc + spacing
    height = top_bcc + spacing + (2 * layers_fcc - 1) * a_fcc / 2 + spacing
    stack = Atoms(symbol * (len(bcc) + len(fcc)), positions=np.vstack([bcc.positions, fcc.positions]),
                  cell=[width, width, height], pbc=True)
    stack.set_tags(np.r_[np.zeros(len(bcc), int), np.ones(len(fcc), int)])
    return stack


def point_defect(defect: str = "vacancy", symbol: str = "Fe", crystal: str = "bcc", a: float = 2.866,
                 repeat: int = 4, interstitial: str = "C", mark_radius: float = 3.5):
    """A cubic supercell with one vacancy or one octahedral interstitial near its centre.

    Tags mark what an anomaly detector should find: ``n`` for atoms in the defect's n-th
    neighbour shell within ``mark_radius`` A (the atoms whose environment, seen within a
    descriptor cutoff of that size, contains the defect), 9 for the interstitial atom
    itself, 0 for the rest.
    The structure is not relaxed: it is a test of finding odd environments, not a defect energy.
    """
    from ase import Atom
    from ase.build import bulk

    if defect not in ("vacancy", "interstitial"):
        raise AtlasError(f"point_defect: defect must be 'vacancy' or 'interstitial'; got {defect!r}.")
    if crystal not in ("bcc", "fcc"):
        raise AtlasError(f"point_defect: crystal must be 'bcc' or 'fcc'; got {crystal!r}.")
    atoms = bulk(symbol, crystal, a=a, cubic=True).repeat((repeat,) * 3)
    centre = np.full(3, repeat // 2 * a)
    if defect == "vacancy":
        site = int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))
        position = atoms.positions[site].copy()
        del atoms[site]
    else:  # octahedral site: bcc (1/2, 1/2, 0), fcc (1/2, 1/2, 1/2) of a cubic cell
        position = centre + (np.array([0.5, 0.5, 0.0]) if crystal == "bcc" else np.full(3, 0.5)) * a
        atoms.append(Atom(interstitial, position))
    side = repeat * a  # cubic cell: minimum-image distances by rounding
    offset = atoms.positions - position
    distance = np.linalg.norm(offset - side * np.round(offset / side), axis=1)
    shells = np.unique(np.round(distance[(distance > 1e-6) & (distance <= mark_radius)], 2))
    tags = np.zeros(len(atoms), dtype=int)
    for number, radius in enumerate(shells, start=1):
        tags[np.isclose(distance, radius, atol=0.01)] = number
    if defect == "interstitial":
        tags[-1] = 9
    atoms.set_tags(tags)
    return atoms


BUILDERS = {"bcc_fcc_stack": bcc_fcc_stack, "point_defect": point_defect}


def build(kind: str | None, params: dict):
    """A structure a recipe builds by name (``build = [{kind = "fcc111", ...}]``): a builder above or a surface."""
    try:
        return BUILDERS[kind](**params) if kind in BUILDERS else build_surface(kind, **params)
    except TypeError as exc:
        raise AtlasError(f"config: [structures] build {kind!r}: {exc}.") from exc
