"""Read atomic structures through ASE: one file, many files or a glob; every frame keeps its origin.

Any format ASE reads works (cif, extxyz/xyz, POSCAR/CONTCAR, xsf, ASE db, LAMMPS dump,
trajectories). Problems become one-line :class:`AtlasError` messages naming the file
and frame. Every frame is checked before any native code (DScribe, spglib) sees it:
non-finite or absurd coordinates and cells crash those libraries instead of failing.

Batches: with ``skipped=[]`` an unusable file or frame is recorded there (by name,
with its reason) and reading goes on with the rest; only when nothing is usable is
that an error.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atomatlas.errors import AtlasError
from atomatlas.io.neighbour_box import periodic_box, tree_pairs_within

# Two atoms closer than this fraction of the sum of their covalent radii are a broken
# structure (a duplicated atom, a wrong cell), not physics: 0.31 A for H-H, 1.32 A for Fe-Fe.
OVERLAP_FRACTION = 0.5
# Coordinates and cell lengths beyond this (A) are broken input: neighbour searches would grid the whole span.
MAX_COORDINATE = 1e6
# Suffixes of text formats: a file with NUL bytes under one of these names is not that format
TEXT_FORMATS = (".cif", ".xyz", ".extxyz", ".vasp", ".poscar", ".xsf", ".lammpstrj", ".dump", ".pdb", ".gen")
# No lattice has a period shorter than this (A): an atom and its own periodic image would overlap.
MIN_LATTICE_VECTOR = 0.5


@dataclass
class Frame:
    """One structure and where it came from."""

    atoms: object  # ase.Atoms
    source: str
    index: int


@dataclass
class Skipped:
    """An input left out of a batch, and why."""

    source: str
    frame: int | None
    reason: str

    def __str__(self) -> str:
        where = self.source if self.frame is None else f"{self.source}, frame {self.frame}"
        return f"skipped {where}: {self.reason}"


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


def _unreadable(path: str, exc: Exception) -> AtlasError:
    """What is wrong with a file ASE could not read, in one line."""
    from ase.io.formats import UnknownFileTypeError

    if isinstance(exc, UnknownFileTypeError):
        return AtlasError(f"{path}: unknown structure format ({exc}); pass --format (any ASE format name).")
    if isinstance(exc, StopIteration):
        return AtlasError(f"{path}: the file holds no structure.")
    if isinstance(exc, KeyError):  # ASE looks element symbols up in a dict
        symbol = exc.args[0] if exc.args else ""
        return AtlasError(f"{path}: unknown element {symbol!r} (not a chemical symbol ASE knows); fix the species "
                          "in the file.")
    why = str(exc).strip() or "ASE's reader rejected its contents without saying why"
    return AtlasError(f"{path}: cannot read as a structure ({type(exc).__name__}: {why}); check that the file is "
                      "whole and in the format its name says (or pass --format).")


def _check_readable(path: str) -> None:
    if Path(path).is_dir():
        raise AtlasError(f"{path}: is a folder, not a structure file.")
    from atomatlas.untrusted import check_readable_file

    check_readable_file(Path(path), "structure")  # a named pipe would block the reader
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise AtlasError(f"{path}: cannot read the file ({exc.strerror}); check its permissions.") from exc
    if not head.strip():
        raise AtlasError(f"{path}: the file is empty; give a file with at least one structure.")
    if b"\x00" in head and Path(path).suffix.lower() in TEXT_FORMATS:
        raise AtlasError(f"{path}: holds binary data, but {Path(path).suffix} is a text format; give the structure "
                         "file itself (or pass --format for a binary one).")


# The shortest line an atom can have in a text format ("H 0 0 0\n"): a claimed count above the bytes left
# cannot be true, and ASE's readers would loop on readline for it.
MIN_ATOM_LINE = 8


def _format_of(path: str, format: str | None) -> str | None:
    if format:
        return format
    from ase.io.formats import filetype

    try:
        return filetype(path, read=True)
    except Exception:  # noqa: BLE001 - ASE's own read names the problem
        return None


def _claimed(path: str, line: bytes, what: str, left: int) -> int:
    """The atom count a header line claims, checked against the bytes left in the file."""
    try:
        count = int(line.split()[0])
    except (ValueError, IndexError):
        raise AtlasError(f"{path}: the {what} line {line[:40].decode(errors='replace').strip()!r} is not an atom "
                         "count; fix the file.") from None
    if count < 0 or count * MIN_ATOM_LINE > left:
        raise AtlasError(f"{path}: a frame claims {count} atoms, but only {left} bytes follow (at least "
                         f"{MIN_ATOM_LINE} per atom); the file is truncated or its header is wrong.")
    return count


def check_claimed_counts(path: str, format: str | None = None) -> None:
    """Refuse a text trajectory whose frame headers claim more atoms than the file holds.

    extxyz/xyz count lines and LAMMPS dumps' ``NUMBER OF ATOMS`` are checked against the file
    size before ASE reads them (a claimed 10^12 atoms makes ASE loop on readline forever), and
    the rows under them are counted: a dump whose ``ATOMS`` section is short is refused, where
    ASE would label the atoms it found without a word.
    """
    kind = _format_of(path, format)
    if kind not in ("extxyz", "xyz", "lammps-dump-text"):
        return
    from itertools import islice

    size = Path(path).stat().st_size
    with open(path, "rb") as handle:
        frame = 0
        if kind in ("extxyz", "xyz"):
            for line in handle:
                if not line.strip():
                    continue  # blank lines between frames
                count = _claimed(path, line, "count", size - handle.tell())
                rows = sum(1 for _ in islice(handle, count + 1))  # the comment line, then one line per atom
                if rows < count + 1:
                    raise AtlasError(f"{path}: frame {frame} claims {count} atoms but the file ends after "
                                     f"{max(rows - 1, 0)}; the file is truncated: write it again.")
                frame += 1
            return
        count = None
        for line in handle:
            if line.startswith(b"ITEM: NUMBER OF ATOMS"):
                count = _claimed(path, next(handle, b""), "NUMBER OF ATOMS", size - handle.tell())
            elif line.startswith(b"ITEM: ATOMS"):
                if count is None:
                    raise AtlasError(f"{path}: frame {frame} has ATOMS before NUMBER OF ATOMS; fix the dump.")
                rows = 0
                for row in islice(handle, count):
                    if row.startswith(b"ITEM:"):  # the next frame began: this one is short
                        break
                    rows += 1
                if rows < count:
                    raise AtlasError(f"{path}: frame {frame} claims {count} atoms but has {rows} rows; the dump is "
                                     "truncated: write it again.")
                frame, count = frame + 1, None


def read_file(path: str, index: str = ":", format: str | None = None) -> list:
    """Every frame of one file as ase.Atoms, or an AtlasError saying what is wrong with the file."""
    import ase.io

    _check_readable(path)
    check_claimed_counts(path, format)
    try:
        images = ase.io.read(path, index=index, format=format)
    except Exception as exc:  # ASE readers raise many types for a broken file
        raise _unreadable(path, exc) from exc
    if not isinstance(images, list):
        images = [images]
    if not images:
        raise AtlasError(f"{path}: the file holds no structure.")
    return images


def read_frames(paths, index: str = ":", format: str | None = None,
                skipped: list[Skipped] | None = None) -> list[Frame]:
    """Every frame of every file, checked (see :func:`check_frame`).

    Without ``skipped`` the first unusable file or frame is an error; with a list, it is
    recorded there and the rest are read (an error only if nothing is usable).
    """
    frames = []
    for path in expand_paths(paths):
        try:
            images = read_file(path, index, format)
        except AtlasError as exc:
            if skipped is None:
                raise
            skipped.append(Skipped(path, None, _reason(exc, path)))
            continue
        for i, atoms in enumerate(images):
            frame = Frame(atoms=atoms, source=path, index=i)
            try:
                check_frame(frame)
            except AtlasError as exc:
                if skipped is None:
                    raise
                skipped.append(Skipped(path, i, _reason(exc, f"{path}, frame {i}")))
                continue
            frames.append(frame)
    if not frames and skipped:
        raise nothing_usable(skipped)
    return frames


def iter_frames(paths, index: str = ":", format: str | None = None, skipped: list[Skipped] | None = None):
    """Every usable frame of every file, one at a time (a trajectory is never held whole), checked as in
    :func:`read_frames`; unusable ones go to ``skipped`` (or raise, without it)."""
    import ase.io

    for path in expand_paths(paths):
        try:
            _check_readable(path)
            check_claimed_counts(path, format)
            images = ase.io.iread(path, index=index, format=format)
        except AtlasError as exc:
            if skipped is None:
                raise
            skipped.append(Skipped(path, None, _reason(exc, path)))
            continue
        i = 0
        while True:
            try:
                atoms = next(images)
            except StopIteration:
                if i == 0:  # an empty file is an error, as read_file says
                    _skip_or_raise(skipped, path, None, AtlasError(f"{path}: the file holds no structure."))
                break
            except Exception as exc:  # a broken frame ends the file
                _skip_or_raise(skipped, path, None if i == 0 else i, _unreadable(path, exc))
                break
            frame = Frame(atoms=atoms, source=path, index=i)
            i += 1
            try:
                check_frame(frame)
            except AtlasError as exc:
                _skip_or_raise(skipped, path, frame.index, exc)
                continue
            yield frame


def _skip_or_raise(skipped, path: str, index: int | None, exc: AtlasError) -> None:
    if skipped is None:
        raise exc
    skipped.append(Skipped(path, index, _reason(exc, path if index is None else f"{path}, frame {index}")))


def nothing_usable(skipped: list[Skipped]) -> AtlasError:
    """The error when every input of a batch was skipped: the one reason, or how many and the first."""
    first = skipped[0]
    where = first.source if first.frame is None else f"{first.source}, frame {first.frame}"
    if len(skipped) == 1:
        return AtlasError(f"{where}: {first.reason}")
    return AtlasError(f"no usable structure: all {len(skipped)} inputs were unusable; the first, {where}: "
                      f"{first.reason}")


def _reason(exc: AtlasError, prefix: str) -> str:
    """The message without its ``file:`` prefix (the Skipped record names the file)."""
    text = str(exc)
    return text[len(prefix) + 2:] if text.startswith(prefix + ": ") else text


def check_geometry(atoms, where: str) -> None:
    """Finite coordinates and cell of sane size: what native code needs before it may look at a structure."""
    positions = np.asarray(atoms.positions, dtype=float)
    cell = np.asarray(atoms.cell, dtype=float)
    if not np.isfinite(positions).all():
        bad = int(np.flatnonzero(~np.isfinite(positions).all(axis=1))[0])
        raise AtlasError(f"{where}: atom {bad} has a non-finite coordinate ({positions[bad].tolist()}); fix the "
                         "coordinates.")
    if not np.isfinite(cell).all():
        raise AtlasError(f"{where}: the cell has non-finite entries; fix the cell (or remove it for a cluster).")
    if len(positions) and np.abs(positions).max() > MAX_COORDINATE:
        raise AtlasError(f"{where}: coordinates reach {np.abs(positions).max():.3g} A, beyond {MAX_COORDINATE:g} A; "
                         "the file's units or coordinates are broken.")
    if np.abs(cell).max(initial=0.0) > MAX_COORDINATE:
        raise AtlasError(f"{where}: the cell reaches {np.abs(cell).max():.3g} A, beyond {MAX_COORDINATE:g} A; "
                         "fix the cell.")
    pbc = np.asarray(atoms.pbc, dtype=bool)
    if pbc.any():
        lengths = np.linalg.norm(cell, axis=1)
        if (lengths[pbc] < 1e-6).any():
            raise AtlasError(f"{where}: periodic along an axis whose cell vector has no length; set the cell or "
                             "turn periodicity off along it.")
        if pbc.all() and abs(np.linalg.det(cell)) < 1e-6:
            raise AtlasError(f"{where}: periodic, but the cell has no volume (its vectors are coplanar); fix the "
                             "cell.")
        shortest = shortest_lattice_vector(cell, pbc)
        if shortest < MIN_LATTICE_VECTOR:  # every atom would sit on its own image; neighbour grids would explode
            raise AtlasError(f"{where}: the cell is (nearly) degenerate: its lattice holds a vector only "
                             f"{shortest:.3g} A long (cell vectors that nearly repeat each other); fix the cell.")


def shortest_lattice_vector(cell, pbc) -> float:
    """The length of the shortest vector of the lattice the periodic cell vectors span (A)."""
    from ase.geometry.minkowski_reduction import minkowski_reduce

    try:
        reduced, _ = minkowski_reduce(np.asarray(cell, dtype=float), pbc=np.asarray(pbc, dtype=bool))
    except (RuntimeError, ValueError, np.linalg.LinAlgError):
        return 0.0  # no reduction converges: the cell is as good as degenerate
    return float(np.linalg.norm(reduced[np.asarray(pbc, dtype=bool)], axis=1).min())


def check_frame(frame: Frame, overlap: float = OVERLAP_FRACTION) -> None:
    """Refuse empty frames, broken coordinates or cells, and overlapping atoms."""
    from ase.data import covalent_radii

    atoms = frame.atoms
    where = f"{frame.source}, frame {frame.index}"
    if len(atoms) == 0:
        raise AtlasError(f"{where}: the frame has no atoms; remove it from the file.")
    check_geometry(atoms, where)
    if len(atoms) > 1 or atoms.pbc.any():
        # each atom reaches out half of its covalent radius: a pair is flagged below half the sum of both
        radii = overlap * covalent_radii[atoms.numbers]
        reach = 2 * radii.max()
        box, points = periodic_box(atoms, vacuum=reach + 1.0, width=2 * reach + 1.0)  # freud: r_max < half the box
        n = len(atoms)
        if box.rectangular():
            i, j, d = tree_pairs_within(box, points, n, reach)
        else:
            import freud

            pairs = freud.locality.AABBQuery(box.freud(), points).query(
                points[:n], {"r_max": reach, "exclude_ii": True}).toNeighborList()
            i, j, d = pairs.query_point_indices, pairs.point_indices % n, pairs.distances
        close = d < radii[i] + radii[j]
        if close.any():
            i, j, d = i[close], j[close], d[close]
            k = int(np.argmin(d))
            limit = overlap * (covalent_radii[atoms.numbers[i[k]]] + covalent_radii[atoms.numbers[j[k]]])
            symbols = atoms.get_chemical_symbols()
            raise AtlasError(f"{where}: atoms {i[k]} ({symbols[i[k]]}) and {j[k]} ({symbols[j[k]]}) are "
                             f"{d[k]:.3f} A apart, closer than {limit:.2f} A (half their covalent radii); fix the "
                             "coordinates or the cell.")
