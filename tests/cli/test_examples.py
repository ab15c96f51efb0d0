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


@pytest.fixture(scope="module")
def example_files(tmp_path_factory):
    """Every file the examples name, small."""
    from atomatlas.datasets.examples import write_example_files

    return write_example_files(tmp_path_factory.mktemp("example-files"))


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


def test_the_examples_command_writes_the_files_the_examples_name_and_replaces_none(cli, tmp_path):
    status, out, _ = cli("examples", tmp_path / "try")
    assert status == 0 and "wrote 23 example files" in out
    names = {p.name for p in (tmp_path / "try").iterdir()}
    # the inputs the README tour and `atomatlas --help` name
    assert {"data.csv", "new.csv", "Cu.cif", "POSCAR", "frames", "frames.extxyz", "dump.lammpstrj", "slab.vasp",
            "micrograph.png", "al-melt.extxyz", "polycrystal.extxyz"} <= names
    (tmp_path / "try" / "data.csv").write_text("mine")
    status, _, err = cli("examples", tmp_path / "try")
    assert status == 2 and "already holds" in err and (tmp_path / "try" / "data.csv").read_text() == "mine"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left behind
