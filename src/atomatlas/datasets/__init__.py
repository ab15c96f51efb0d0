"""Bundled descriptor tables (scikit-matter style: data plus a description).

Files ship inside the package, so nothing is downloaded. In configs and on the
command line a bundled file is named ``dataset:FILE``, e.g. ``dataset:Fe2_descriptor.csv``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from atomatlas.errors import AtlasError

PREFIX = "dataset:"
STRUCTURE_PREFIX = "structure:"

DESCRIPTIONS = {
    "Fe2_descriptor.csv": "Iron in three phases (bcc, fcc, hcp), 14 structures each (ideal plus displaced "
                          "copies): 6 radial symmetry functions (a0.70_rp*) and a 20-bin radial histogram "
                          "(hist*). Ids: key, id (copy index, -1 ideal). Label: polytype.",
    "Fe2_descriptor_newdata.csv": "Two more displaced copies of each iron phase, same columns, for prediction.",
    "Carbon8_descriptor.csv": "Every atom of 445 eight-atom carbon structures (3560 rows): 15 radial symmetry "
                              "functions (widths 0.25, 0.5, 1.0; centres 1.0-3.0 A). Ids: key, atom.",
    "Carbon8_descriptor_selected_sp.csv": "144 labelled rows of Carbon8_descriptor.csv: sp_label (sp, sp2, sp3, "
                                          "sp2_tube, sp2_edge), nnatom (2.0 sp, 2.5 edge, 3.0 sp2, 3.5 tube, "
                                          "4.0 sp3; floor = coordination number), polytype.",
}
SOURCE = ("Materials-informatics seminar hands-on data (H. Kino, 2022-2025 editions); see "
          "docs/datasets.md for every column.")


@dataclass
class Dataset:
    """A bundled table: the frame, where it came from and what its columns mean."""

    frame: pd.DataFrame
    name: str
    description: str
    source: str = SOURCE


def names() -> list[str]:
    from atomatlas.datasets.generated import GENERATED

    return sorted([*DESCRIPTIONS, *GENERATED])


def describe(name: str) -> str:
    from atomatlas.datasets.generated import GENERATED

    return DESCRIPTIONS[name] if name in DESCRIPTIONS else GENERATED[name][1]


def path_of(name: str) -> Path:
    """The installed path of a bundled file (generated tables are written on first use)."""
    from atomatlas.datasets.generated import GENERATED, materialise

    if name in GENERATED:
        return materialise(name)
    if name not in DESCRIPTIONS:
        raise AtlasError(f"unknown bundled dataset {name!r}; choose one of {names()}.")
    return Path(str(resources.files("atomatlas.datasets") / "data" / name))


def input_spec(path: str, base: Path | None = None) -> str:
    """How a config stores an input: ``dataset:``/``structure:`` names as given (checked), other paths absolute.

    Relative paths are taken relative to ``base`` (a recipe's folder) or, without one, to the
    working folder, so a run's config.toml repeats the run from any working folder and a
    bundled input stays bundled (not an install path of one machine).
    """
    path = str(path)
    if path.startswith(PREFIX):
        name = path[len(PREFIX):]
        from atomatlas.datasets.generated import GENERATED

        if name not in DESCRIPTIONS and name not in GENERATED:
            raise AtlasError(f"unknown bundled dataset {name!r}; choose one of {names()}.")
        return path
    if path.startswith(STRUCTURE_PREFIX):
        from atomatlas.datasets.structures import structure_path

        structure_path(path[len(STRUCTURE_PREFIX):])  # refuses unknown names
        return path
    if Path(path).is_absolute():
        return path
    return os.path.abspath(base / path if base is not None else path)


def resolve(path: str, base: Path | None = None) -> str:
    """The file behind an input: ``dataset:NAME`` or ``structure:NAME`` to its installed (or generated) file."""
    path = input_spec(path, base)
    if path.startswith(PREFIX):
        return str(path_of(path[len(PREFIX):]))
    if path.startswith(STRUCTURE_PREFIX):
        from atomatlas.datasets.structures import structure_path

        return str(structure_path(path[len(STRUCTURE_PREFIX):]))
    return path


def load(name: str) -> Dataset:
    return Dataset(frame=pd.read_csv(path_of(name)), name=name, description=describe(name))


def load_fe2() -> Dataset:
    """Iron phases: 42 rows, 26 features, label ``polytype``."""
    return load("Fe2_descriptor.csv")


def load_carbon8() -> Dataset:
    """Carbon environments: 3560 rows, 15 features, no labels (see :func:`load_carbon8_labelled`)."""
    return load("Carbon8_descriptor.csv")


def load_carbon8_labelled() -> Dataset:
    """The 144 labelled carbon environments."""
    return load("Carbon8_descriptor_selected_sp.csv")
