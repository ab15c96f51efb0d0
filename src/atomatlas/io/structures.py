"""Read atomic structures through ASE: one file, many files or a glob; every frame keeps its origin.

Any format ASE reads works (cif, extxyz/xyz, POSCAR/CONTCAR, xsf, ASE db, LAMMPS dump,
trajectories). Problems become one-line :class:`AtlasError` messages naming the file
and frame.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atomatlas.errors import AtlasError

# Two atoms closer than this (in A) are taken as a broken structure, not physics.
OVERLAP_DISTANCE = 0.5


@dataclass
class Frame:
    """One structure and where it came from."""

    atoms: object  # ase.Atoms
    source: str
    index: int


def expand_paths(paths) -> list[str]:
    """Files from paths and glob patterns, in the order given (each glob sorted)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found = []
    for pattern in map(str, paths):
        matches = sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]
        if not matches:
            raise AtlasError(f"{pattern}: no file matches; check the pattern.")
        for path in matches:
            if not Path(path).exists():
                raise AtlasError(f"{path}: file not found; check the path.")
            found.append(path)
    return found


def read_frames(paths, index: str = ":", format: str | None = None) -> list[Frame]:
    """Every frame of every file, checked (see :func:`check_frame`)."""
    import ase.io
    from ase.io.formats import UnknownFileTypeError

    frames = []
    for path in expand_paths(paths):
        try:
            images = ase.io.read(path, index=index, format=format)
        except UnknownFileTypeError as exc:
            raise AtlasError(f"{path}: unknown structure format ({exc}); pass --format (any ASE format name).") from exc
        except StopIteration as exc:
            raise AtlasError(f"{path}: the file holds no structure.") from exc
        except Exception as exc:  # ASE readers raise many types for a broken file
            raise AtlasError(f"{path}: cannot read as a structure ({type(exc).__name__}: {exc}).") from exc
        if not isinstance(images, list):
            images = [images]
        if not images:
            raise AtlasError(f"{path}: the file holds no structure.")
        for i, atoms in enumerate(images):
            frame = Frame(atoms=atoms, source=path, index=i)
            check_frame(frame)
            frames.append(frame)
    return frames


def check_frame(frame: Frame, overlap: float = OVERLAP_DISTANCE) -> None:
    """Refuse empty frames and overlapping atoms."""
    from ase.neighborlist import neighbor_list

    atoms = frame.atoms
    if len(atoms) == 0:
        raise AtlasError(f"{frame.source}, frame {frame.index}: the frame has no atoms; remove it from the file.")
    if len(atoms) > 1 or atoms.pbc.any():
        i, j, d = neighbor_list("ijd", atoms, overlap, self_interaction=False)
        if len(d):
            k = int(np.argmin(d))
            raise AtlasError(f"{frame.source}, frame {frame.index}: atoms {i[k]} and {j[k]} are {d[k]:.3f} A apart "
                             f"(closer than {overlap} A); fix the coordinates or the cell.")
