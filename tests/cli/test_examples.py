"""Every example in every --help runs as written, in order, on small files named as in the examples.

The files the examples name (data.csv, frames/*.extxyz, Cu.cif, micrograph.png, ...) are
made here, small. Between two examples the only help given is what the example itself
tells the user to do (fill the label column of to_label.csv). Each command's examples
run in a fresh folder, so an example may rely only on the ones before it in its block.
"""

from __future__ import annotations

import importlib
import io
import shlex
import shutil
import sys

import numpy as np
import pandas as pd
import pytest

from atomatlas.cli.main import COMMANDS, EPILOG, main


def example_commands(text: str) -> list[list[str]]:
    """The ``atomatlas ...`` lines of an examples block as argument lists (comments and continuations handled)."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if current:
            line = current + " " + line
            current = ""
        if line.endswith("\\"):
            current = line[:-1].strip()
            continue
        if line.startswith("atomatlas "):
            lines.append(shlex.split(line, comments=True)[1:])
    return lines


def _blocks() -> dict[str, str]:
    blocks = {"atomatlas": EPILOG}
    for name, (module, _) in COMMANDS.items():
        blocks[name] = getattr(importlib.import_module(module), "EXAMPLES", "") or ""
    return blocks


BLOCKS = _blocks()


def _table(rows: int, seed: int) -> pd.DataFrame:
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


@pytest.fixture(scope="module")
def example_files(tmp_path_factory):
    """Every file the examples name, small."""
    import ase.io
    from ase.build import bulk, fcc111
    from PIL import Image

    from atomatlas.datasets.crystals import generate
    from atomatlas.datasets.micrograph import micrograph
    from atomatlas.datasets.structures import bcc_fcc_stack, point_defect
    from atomatlas.io.images import write_png

    root = tmp_path_factory.mktemp("example-files")
    _table(150, 0).to_csv(root / "data.csv", index=False)
    _table(12, 1).to_csv(root / "new.csv", index=False)

    def rattled(atoms, seed, amount=0.05):
        atoms = atoms.copy()
        atoms.rattle(amount, seed=seed)
        return atoms

    fe_bcc, fe_fcc = bulk("Fe", "bcc", a=2.87, cubic=True), bulk("Fe", "fcc", a=3.6, cubic=True)
    _lammps_dump(root / "dump.lammpstrj", [rattled(fe_bcc.repeat(3), seed) for seed in range(2)])
    (root / "frames").mkdir()
    for i in range(2):
        ase.io.write(root / "frames" / f"cu{i}.extxyz", rattled(bulk("Cu", "fcc", a=3.61, cubic=True).repeat(2), i))
    ase.io.write(root / "slab.vasp", fcc111("Cu", (2, 2, 3), a=3.61, vacuum=8.0, periodic=True), format="vasp")
    ase.io.write(root / "a.cif", rattled(fe_bcc.repeat(2), 1))
    ase.io.write(root / "b.cif", rattled(fe_fcc.repeat(2), 2))
    ase.io.write(root / "interface.extxyz", bcc_fcc_stack(n_bcc=3, n_fcc=2, layers_bcc=3, layers_fcc=2))
    ase.io.write(root / "vacancy.extxyz", point_defect("vacancy", repeat=3))
    ase.io.write(root / "structures.extxyz", [rattled(fe_bcc.repeat(2), 3), rattled(fe_fcc.repeat(2), 4)])
    for name, atoms in (("Fe.cif", fe_bcc), ("Cu.cif", bulk("Cu", "fcc", a=3.61)), ("my.cif", bulk("W", "bcc", a=3.16))):
        ase.io.write(root / name, atoms)
    ase.io.write(root / "Si.vasp", bulk("Si", "diamond", a=5.43, cubic=True), format="vasp")
    ase.io.write(root / "POSCAR", bulk("W", "bcc", a=3.16, cubic=True), format="vasp")
    ase.io.write(root / "frames.extxyz", [bulk("Cu", "fcc", a=3.61, cubic=True), bulk("Mg", "hcp", a=3.21, c=5.21)])
    (root / "cells").mkdir()
    ase.io.write(root / "cells" / "al.cif", bulk("Al", "fcc", a=4.05))
    ase.io.write(root / "cells" / "mo.cif", bulk("Mo", "bcc", a=3.15))
    ase.io.write(root / "defective.extxyz", generate(1, seed=5, vacancies=(0.2, 0.2), classes=("bcc", "fcc")))
    image, _ = micrograph()
    write_png(root / "micrograph.png", image)
    grey = (image.mean(axis=2) * 255).astype(np.uint8)
    Image.fromarray(grey).save(root / "grey.tif")
    (root / "my-recipe.toml").write_text('name = "mine"\n[data]\npath = "data.csv"\nid_columns = ["name"]\n'
                                         'exclude = ["polytype", "phase"]\n[cluster]\nmethod = "kmeans"\nk = 3\n')
    return root


def _fill_labels(sandbox) -> None:
    """What the first label-few example tells the user to do: fill the label column of to_label.csv."""
    truth = pd.read_csv(sandbox / "data.csv").set_index("name")["phase"]
    path = sandbox / "runs" / "ask" / "to_label.csv"
    questions = pd.read_csv(path)
    questions["label"] = questions["name"].map(truth)
    questions.to_csv(path, index=False)


AFTER = {("label-few", 0): _fill_labels}
ANSWERS = "".join(f"{label}\n" for label in ["alpha", "beta", "gamma"] * 7)  # the --interactive example's answers


@pytest.mark.parametrize("block", list(BLOCKS))
def test_every_help_example_runs(block, example_files, tmp_path, monkeypatch, capsys):
    commands = example_commands(BLOCKS[block])
    assert commands, f"{block} --help shows no example"
    sandbox = tmp_path / "sandbox"
    shutil.copytree(example_files, sandbox)
    monkeypatch.chdir(sandbox)
    monkeypatch.setattr(sys, "stdin", io.StringIO(ANSWERS))
    for number, argv in enumerate(commands):
        status = main(argv)
        out, err = capsys.readouterr()
        shown = "atomatlas " + " ".join(argv)
        assert status == 0, f"{shown}\n{err}"
        assert "Traceback" not in err and "Warning" not in err and " says: " not in err, f"{shown}\n{err}"
        if (block, number) in AFTER:
            AFTER[(block, number)](sandbox)


def test_examples_name_distinct_outputs():
    """Examples are meant to be pasted in order: none may collide with an earlier one's --out."""
    for block, text in BLOCKS.items():
        outs = [argv[argv.index("--out") + 1] for argv in example_commands(text)
                if "--out" in argv and "--overwrite" not in argv]
        assert len(outs) == len(set(outs)), f"{block}: {outs}"
