"""The small files that the --help examples and the README tour name, made on demand.

``write_example_files(folder)`` writes data.csv, new.csv, frames/*.extxyz, Cu.cif,
POSCAR, micrograph.png, al-melt.extxyz (a LAMMPS frame shipped in the package),
polycrystal.extxyz, ... so that every documented command can be run as written
(the test suite does, and `make docs` does for the README).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd


def _table(rows: int, seed: int) -> pd.DataFrame:
    """Three blobs in four features, with a text id and two label columns."""
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=rows, centers=3, n_features=4, cluster_std=0.7, random_state=seed)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(4)])
    frame.insert(0, "name", [f"s{seed}-{i:03d}" for i in range(rows)])
    frame["polytype"] = np.array(["bcc", "fcc", "hcp"])[y]
    frame["phase"] = np.array(["alpha", "beta", "gamma"])[y]
    return frame


LAMMPS_DUMP_HEADER = "ITEM: TIMESTEP\n{step}\nITEM: NUMBER OF ATOMS\n{n}\nITEM: BOX BOUNDS pp pp pp\n" \
                     "0 {a}\n0 {a}\n0 {a}\nITEM: ATOMS id type element x y z\n"


def _lammps_dump(path, frames) -> None:
    with open(path, "w") as out:
        for step, atoms in enumerate(frames):
            out.write(LAMMPS_DUMP_HEADER.format(step=step, n=len(atoms), a=atoms.cell[0, 0]))
            for i, (symbol, position) in enumerate(zip(atoms.get_chemical_symbols(), atoms.positions)):
                out.write(f"{i + 1} 1 {symbol} {position[0]:.6f} {position[1]:.6f} {position[2]:.6f}\n")


def _rattled(atoms, seed: int, amount: float = 0.05):
    atoms = atoms.copy()
    atoms.rattle(amount, seed=seed)
    return atoms


def write_example_files(root: str | Path) -> Path:
    """Every file the examples name, small; returns the folder."""
    import ase.io
    from ase.build import bulk, fcc111
    from PIL import Image

    from atomatlas.datasets.prototypes import generate
    from atomatlas.datasets.micrograph import micrograph
    from atomatlas.datasets.polycrystal import voronoi_grains
    from atomatlas.datasets.structures import bcc_fcc_stack, point_defect
    from atomatlas.io.images import write_png

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    _table(150, 0).to_csv(root / "data.csv", index=False)
    _table(12, 1).to_csv(root / "new.csv", index=False)
    fe_bcc, fe_fcc = bulk("Fe", "bcc", a=2.87, cubic=True), bulk("Fe", "fcc", a=3.6, cubic=True)
    _lammps_dump(root / "dump.lammpstrj", [_rattled(fe_bcc.repeat(3), seed) for seed in range(2)])
    (root / "frames").mkdir(exist_ok=True)
    for i in range(2):
        ase.io.write(root / "frames" / f"cu{i}.extxyz", _rattled(bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2), i))
    ase.io.write(root / "slab.vasp", fcc111("Cu", (2, 2, 3), a=3.61, vacuum=8.0, periodic=True), format="vasp")
    ase.io.write(root / "a.cif", _rattled(fe_bcc.repeat(2), 1))
    ase.io.write(root / "b.cif", _rattled(fe_fcc.repeat(2), 2))
    ase.io.write(root / "interface.extxyz", bcc_fcc_stack(n_bcc=3, n_fcc=2, layers_bcc=3, layers_fcc=2))
    ase.io.write(root / "vacancy.extxyz", point_defect("vacancy", repeat=3))
    ase.io.write(root / "structures.extxyz", [_rattled(fe_bcc.repeat(2), 3), _rattled(fe_fcc.repeat(2), 4)])
    for name, atoms in (("Fe.cif", fe_bcc), ("Cu.cif", bulk("Cu", "fcc", a=3.61)), ("my.cif", bulk("W", "bcc", a=3.16))):
        ase.io.write(root / name, atoms)
    ase.io.write(root / "Si.vasp", bulk("Si", "diamond", a=5.43, cubic=True), format="vasp")
    ase.io.write(root / "POSCAR", bulk("W", "bcc", a=3.16, cubic=True), format="vasp")
    ase.io.write(root / "frames.extxyz", [bulk("Si", "diamond", a=5.43, cubic=True), bulk("Mg", "hcp", a=3.21, c=5.21)])
    (root / "cells").mkdir(exist_ok=True)
    ase.io.write(root / "cells" / "al.cif", bulk("Al", "fcc", a=4.05))
    ase.io.write(root / "cells" / "mo.cif", bulk("Mo", "bcc", a=3.15))
    ase.io.write(root / "defective.extxyz", generate(1, seed=5, vacancies=(0.2, 0.2), classes=("bcc", "fcc")))
    grains = voronoi_grains(30.0, [("fcc", 3.61), ("fcc", 3.61), ("bcc", 2.87)], seed=0, too_close=2.0)
    ase.io.write(root / "polycrystal.extxyz", grains.atoms)
    # real MD: LAMMPS Al (Mendelev EAM) half melted, held at 0.9 Tm (the discovery suite's test frame)
    ase.io.write(root / "al-melt.extxyz", ase.io.read(resources.files("atomatlas.datasets") / "structures" /
                                                      "al-fcc-liquid.extxyz.gz"))
    image, _ = micrograph()
    write_png(root / "micrograph.png", image)
    Image.fromarray((image.mean(axis=2) * 255).astype(np.uint8)).save(root / "grey.tif")
    (root / "my-recipe.toml").write_text('name = "mine"\n[data]\npath = "data.csv"\nid_columns = ["name"]\n'
                                         'exclude = ["polytype", "phase"]\n[cluster]\nmethod = "kmeans"\nk = 3\n')
    return root
