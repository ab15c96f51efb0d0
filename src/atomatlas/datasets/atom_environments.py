"""Synthetic atoms with per-atom labels, for training ``atomatlas identify`` (never for judging it).

Lattices of the six classes (:data:`LATTICES`; hcp over every element's c/a), rotated, strained
by up to 3% and displaced like atoms at temperature (Gaussian, up to :data:`MAX_THERMAL` of the
bond length per component; half of them with vacancies) or left perfect (as in 0 K structures); and ``other``: random packings (a gas with a minimum distance), lattices
displaced far beyond melting, liquid and quenched EMT metals from short molecular dynamics
runs in ASE, and the surface atoms of clusters cut from the lattices.
In a cluster, atoms within one bond of the surface are ``other``, atoms deeper than
2.2 bonds (beyond the reach of the descriptor's neighbours and their averaging) keep their lattice's label, and the atoms between are left out (they are
neither). Labels are in ``atoms.arrays["label"]`` (-1: left out), indices into
:data:`CLASSES`.
"""

from __future__ import annotations

import numpy as np

CLASSES = ("fcc", "bcc", "hcp", "diamond", "hex_diamond", "sc", "other")
LATTICES = CLASSES[:-1]
MAX_THERMAL = 0.10  # per-component sigma / bond: about the Lindemann ratio at melting
PERFECT_PER_FRAME = 10  # perfect crystals per thermal one: 0 K structures (a database's, a relaxed cell's)
PERFECT_KEPT = 8  # atoms of each perfect crystal kept: the rest repeat the same vectors
UNSTRAINED = 0.5  # of the perfect crystals: a strain of even 1% splits the ties of an exact lattice's shells
MAX_VACANCIES = 0.10  # half the thermal crystals lose up to this share of their atoms: a vacancy's neighbours
# keep their lattice's class (a model trained on whole crystals only called 14% of an fcc's atoms at 5% `other`)
HCP_C_OVER_A = (1.55, 1.90)  # every hcp element's c/a lies within: Be 1.57 ... Zn 1.86, Cd 1.89
HCP_COMMON = (1.57, 1.67)  # and all but Zn's and Cd's within this: two hcp crystals in three are drawn here
MELTED = (0.22, 0.40)  # per-component sigma / bond of the "other" lattices


def lattice(name: str, rng, n_atoms: int = 400, strain: float = 0.03, hcp_c_over_a=None):
    """A rotated periodic supercell of about ``n_atoms`` atoms of lattice ``name`` (bond about 2.5 A), strained by up
    to ``strain``; an hcp one's c/a drawn from ``hcp_c_over_a`` (low, high), or by default from
    :data:`HCP_COMMON` two times in three and from :data:`HCP_C_OVER_A` else."""
    from ase.build import bulk
    from ase.spacegroup import crystal

    from atomatlas.datasets.prototypes import supercell

    a = 2.5 * rng.uniform(0.95, 1.05)
    if name == "hex_diamond":  # lonsdaleite, ideal c/a
        side = a * np.sqrt(8 / 3)
        cell = crystal("C", [(1 / 3, 2 / 3, 1 / 16)], spacegroup=194, cellpar=[side, side, side * np.sqrt(8 / 3), 90,
                                                                                 90, 120])
    elif name == "hcp":
        if hcp_c_over_a is None:
            hcp_c_over_a = HCP_COMMON if rng.uniform() < 2 / 3 else HCP_C_OVER_A
        cell = bulk("Cu", "hcp", a=a, c=a * rng.uniform(*hcp_c_over_a))
    elif name == "diamond":
        cell = bulk("Cu", "diamond", a=a * 4 / np.sqrt(3), cubic=True)
    else:
        conventional = {"fcc": a * np.sqrt(2), "bcc": a * 2 / np.sqrt(3), "sc": a}[name]
        cell = bulk("Cu", name, a=conventional, cubic=True)
    atoms = supercell(cell, n_atoms)
    stretch = np.eye(3) + np.triu(rng.uniform(-strain, strain, (3, 3)))
    stretch = (stretch + stretch.T) / 2
    atoms.set_cell(atoms.cell[:] @ stretch, scale_atoms=True)
    return _rotated(atoms, rng)


def _rotated(atoms, rng):
    from scipy.spatial.transform import Rotation

    rotation = Rotation.random(random_state=int(rng.integers(2 ** 31))).as_matrix()
    atoms.set_cell(atoms.cell[:] @ rotation.T, scale_atoms=False)
    atoms.positions = atoms.positions @ rotation.T
    return atoms


def _displaced(atoms, rng, sigma: float, bond: float = 2.5):
    atoms.positions += rng.normal(0.0, sigma * bond, atoms.positions.shape)
    return atoms


def perfect_crystal(name: str, rng):
    """A small undisplaced crystal of lattice ``name`` (random scale and c/a; :data:`UNSTRAINED` of them exact, the
    others strained) with :data:`PERFECT_KEPT` of its atoms labelled: a perfect crystal's neighbours tie exactly,
    and a model trained only on displaced ones called 0 K diamond `other` and 0 K Zn and Cd (c/a 1.86, 1.89) no
    hcp; one trained on strained perfect ones only called exact diamond hex_diamond."""
    atoms = lattice(name, rng, n_atoms=100, strain=0.0 if rng.uniform() < UNSTRAINED else 0.03)
    label = np.full(len(atoms), -1)
    label[rng.choice(len(atoms), min(PERFECT_KEPT, len(atoms)), replace=False)] = CLASSES.index(name)
    atoms.arrays["label"] = label
    return atoms


def _vacant(atoms, rng):
    """``atoms`` less a random share (up to :data:`MAX_VACANCIES`) of them."""
    keep = rng.uniform(size=len(atoms)) >= rng.uniform(0.0, MAX_VACANCIES)
    return atoms[keep]


def _labelled(atoms, label: int):
    atoms.arrays["label"] = np.full(len(atoms), label)
    return atoms


def cluster_with_surface(name: str, rng, cut_off: float = 2.2):
    """A cluster of 300-900 atoms cut from lattice ``name``: surface atoms ``other``, the core its lattice."""
    from atomatlas.datasets.prototypes import as_cluster
    from atomatlas.descriptors.structure_order import _cluster_depth

    atoms = _displaced(as_cluster(lattice(name, rng, 2500), rng, int(rng.integers(300, 901))), rng,
                       rng.uniform(0.0, MAX_THERMAL))
    depth = _cluster_depth(atoms.positions) / 2.5
    label = np.full(len(atoms), -1)
    label[depth < 1.0] = CLASSES.index("other")
    label[depth >= cut_off] = CLASSES.index(name)
    atoms.arrays["label"] = label
    return atoms


MOLTEN = {"Cu": 3000.0, "Al": 2400.0, "Ni": 3400.0}  # EMT elements and a temperature about twice their melting point


def molten_frames(rng, snapshots: int = 3, symbols=tuple(MOLTEN)) -> list:
    """Liquid and quenched (amorphous) frames of EMT metals from short Langevin runs in ASE.

    Per element: a 256-atom fcc box expanded by 3%, melted for 1.2 ps at about twice the
    melting point, then ``snapshots`` liquid frames 0.3 ps apart, then quenched to 300 K
    and one frame taken after 0.4 ps.
    """
    from ase import units
    from ase.build import bulk
    from ase.calculators.emt import EMT
    from ase.md.langevin import Langevin
    try:  # ASE 3.29 renamed it
        from ase.md.velocitydistribution import thermalize_momenta as thermalise
    except ImportError:
        from ase.md.velocitydistribution import MaxwellBoltzmannDistribution as thermalise

    frames = []
    for symbol in symbols:
        atoms = bulk(symbol, "fcc", cubic=True).repeat(4)
        atoms.set_cell(atoms.cell[:] * 1.03, scale_atoms=True)
        atoms.calc = EMT()
        thermalise(atoms, temperature_K=MOLTEN[symbol], rng=rng)
        hot = Langevin(atoms, 2 * units.fs, temperature_K=MOLTEN[symbol], friction=0.02, rng=rng, fixcm=False)
        hot.run(600)
        for _ in range(snapshots):
            hot.run(150)
            frames.append(atoms.copy())
        Langevin(atoms, 2 * units.fs, temperature_K=300, friction=0.2, rng=rng, fixcm=False).run(200)
        frames.append(atoms.copy())
    for frame in frames:
        frame.calc = None
    return frames


def melted_lattices(count: int, rng, n_atoms: int = 400, hcp_c_over_a=None) -> list:
    """Lattices of random classes displaced far beyond melting (per-component sigma in :data:`MELTED`):
    disorder at a crystal's density, for what belongs to no class (``hcp_c_over_a``: as :func:`lattice`)."""
    out = []
    for _ in range(count):
        name = LATTICES[int(rng.integers(len(LATTICES)))]
        out.append(_displaced(lattice(name, rng, n_atoms, hcp_c_over_a=hcp_c_over_a), rng, rng.uniform(*MELTED)))
    return out


def training_frames(per_lattice: int, seed: int = 0, liquid_snapshots: int = 3) -> list:
    """Labelled frames: per lattice, ``per_lattice`` thermal crystals, a cluster and ten times as many small
    perfect crystals; ``other`` frames:
    random packings and melted lattices (half as many as crystals) and EMT liquids and glasses."""
    from atomatlas.datasets.held_out_crystals import random_gas

    rng = np.random.default_rng(seed)
    frames = []
    for name in LATTICES:
        for k in range(per_lattice):  # displacements stratified: every model sees crystals up to melting
            crystal = _displaced(lattice(name, rng), rng, rng.uniform(k, k + 1) * MAX_THERMAL / per_lattice)
            frames.append(_labelled(_vacant(crystal, rng) if k < per_lattice // 2 else crystal, CLASSES.index(name)))
        frames.append(cluster_with_surface(name, rng))
        frames += [perfect_crystal(name, rng) for _ in range(PERFECT_PER_FRAME * per_lattice)]
    other = CLASSES.index("other")
    for i in range(per_lattice * len(LATTICES) // 2):
        if i % 2:
            frames.append(_labelled(random_gas(400, rng, volume_per_atom=rng.uniform(13.0, 17.0),
                                               min_distance=rng.uniform(1.7, 1.9)), other))
        else:
            frames.append(_labelled(melted_lattices(1, rng)[0], other))
    if liquid_snapshots:
        frames += [_labelled(frame, other) for frame in molten_frames(rng, liquid_snapshots)]
    return frames
