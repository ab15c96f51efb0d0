"""Bundled descriptor tables (scikit-matter style: data plus a description).

Files ship inside the package, so nothing is downloaded. In configs and on the
command line a bundled file is named ``dataset:FILE``, e.g. ``dataset:Fe2_descriptor.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from atomatlas.errors import AtlasError

PREFIX = "dataset:"

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


def resolve(path: str, base: Path | None = None) -> str:
    """Turn ``dataset:NAME`` into a real path; make other relative paths relative to ``base``."""
    path = str(path)
    if path.startswith(PREFIX):
        return str(path_of(path[len(PREFIX):]))
    if base is not None and not Path(path).is_absolute():
        return str((base / path).resolve())
    return path


STRUCTURE_PREFIX = "structure:"


def resolve_structure(path: str, base: Path | None = None) -> str:
    """``structure:NAME`` to a bundled structure file; other relative paths relative to ``base``."""
    path = str(path)
    if path.startswith(STRUCTURE_PREFIX):
        from atomatlas.datasets.structures import structure_path

        return str(structure_path(path[len(STRUCTURE_PREFIX):]))
    return resolve(path, base)


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
