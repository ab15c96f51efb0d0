"""The crystal-class test set: structures from outside the training generator, frozen before they were scored.

Frozen on 2026-12-02, before any model saw or was scored on it: change the models, not
this file (a change here makes a new test set, and says so in docs/crystal-stress.md).
Three sources, each reported on its own:

* ``delta files``: the 71 elemental crystals of the Delta benchmark (``ase.collections.dcdft``:
  structure files relaxed with DFT by others, shipped inside ASE), those whose space group
  is one of the seven classes. Their lattice parameters are DFT's, not ASE's reference
  states; the cubic ones are nevertheless close to the training's (the descriptor is
  scale-free), so the page reports cubic and non-cubic apart;
* ``compounds as lattices``: binary compounds whose atoms, species aside, sit on one of
  the classes' lattices (rocksalt is simple cubic, CsCl bcc, zincblende diamond, L1_2 Cu3Au
  fcc, an ordered close-packed hexagonal MgCd): prototypes the generator has
  never built, since it builds one species;
* ``MD snapshots``: fcc Ag, Au, Pd and Pt at half their melting point from molecular
  dynamics with ASE's EMT (elements whose dynamics no model was trained on; identify's
  training has EMT liquids of Cu, Al and Ni only).

The class of every structure is spglib's, with every atom given one species (the classes
are geometric), at a tolerance of 1e-3 A on the unrelaxed files; an MD snapshot keeps its
crystal's class.
"""

from __future__ import annotations

import numpy as np

from atomatlas.datasets.held_out_crystals import space_group_class
from atomatlas.datasets.prototypes import supercell

FROZEN = "2026-12-02"
MD_ELEMENTS = {"Ag": 1235.0, "Au": 1337.0, "Pd": 1828.0, "Pt": 2041.0}  # experimental melting points (K)


def geometric_class(atoms) -> str | None:
    """The class of the atoms' positions, species aside."""
    blind = atoms.copy()
    blind.numbers[:] = 29
    return space_group_class(blind)


def delta_files() -> list[tuple[str, object, str]]:
    """(name, structure as shipped, class) for every Delta-benchmark element in one of the classes."""
    from ase.collections import dcdft

    out = []
    for name in dcdft.names:
        atoms = dcdft[name]
        crystal_class = geometric_class(atoms)
        if crystal_class is not None:
            out.append((name, atoms, crystal_class))
    return out


def _l12(a: float):
    from ase.spacegroup import crystal

    return crystal(("Au", "Cu"), basis=[(0, 0, 0), (0, 0.5, 0.5)], spacegroup=221, cellpar=[a, a, a, 90, 90, 90])


def _ordered_hcp(a: float, c: float):
    """Mg-Cd-like order on a close-packed hexagonal lattice: two species, alternating rows of one layer."""
    from ase.build import bulk

    atoms = bulk("Mg", "hcp", a=a, c=c, orthorhombic=True)
    atoms.numbers[::2] = 48
    return atoms


def compounds() -> list[tuple[str, object, str]]:
    """(name, structure, class) of binary compounds whose geometry is one of the classes' lattices."""
    from ase.build import bulk

    built = {"NaCl (rocksalt)": bulk("NaCl", "rocksalt", a=5.64), "CsCl (B2)": bulk("CsCl", "cesiumchloride", a=4.12),
             "ZnS (zincblende)": bulk("ZnS", "zincblende", a=5.41), "GaAs (zincblende)": bulk("GaAs", "zincblende",
                                                                                             a=5.65),
             "Cu3Au (L1_2)": _l12(3.75), "MgO (rocksalt)": bulk("MgO", "rocksalt", a=4.21),
             "NiAl (B2)": bulk("NiAl", "cesiumchloride", a=2.88), "MgCd (ordered hcp)": _ordered_hcp(3.1, 5.0)}
    return [(name, atoms, geometric_class(atoms)) for name, atoms in built.items()
            if geometric_class(atoms) is not None]


def md_snapshots(steps: int = 400, seed: int = 0) -> list[tuple[str, object, str]]:
    """(name, last frame, "fcc"): EMT Langevin dynamics of fcc metals at half their melting point, 500 atoms."""
    from ase import units
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    out = []
    for number, (symbol, melting) in enumerate(MD_ELEMENTS.items()):
        atoms = supercell(bulk(symbol, "fcc", cubic=True), 500)
        atoms.calc = EMT()
        temperature = 0.5 * melting
        MaxwellBoltzmannDistribution(atoms, temperature_K=temperature, rng=np.random.default_rng(seed + number))
        Langevin(atoms, 4 * units.fs, temperature_K=temperature, friction=0.02,
                 rng=np.random.default_rng(seed + 10 + number)).run(steps)
        frame = atoms.copy()
        frame.calc = None
        out.append((f"{symbol} at 0.5 Tm (EMT)", frame, "fcc"))
    return out


def test_set() -> dict[str, list[tuple[str, object, str]]]:
    """Every source: {source: [(name, structure, class)]}."""
    return {"delta files": delta_files(), "compounds as lattices": compounds(), "MD snapshots": md_snapshots()}
