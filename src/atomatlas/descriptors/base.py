"""The Descriptor interface: what a descriptor is, which structures it accepts, and how its work is split."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from functools import partial

import numpy as np

from atomatlas.descriptors.workers import map_ordered
from atomatlas.errors import AtlasError

# Centres per task: small enough for a live progress bar and an even load, large enough
# that a round trip to a worker process is a small part of the task.
CHUNK = 1000


class Descriptor(ABC):
    """A per-centre (or per-structure, when averaged) fingerprint of atomic structures.

    Subclasses implement ``_create_one(atoms, centers)`` for one structure, where
    ``centers`` is None (every atom), an int array (atom indices) or an (n, 3) float
    array (positions), and ``feature_names()``. The species (DScribe's ``species``) are
    given, or set once by :meth:`fit` from example structures; ``create`` never changes them.
    """

    name = "descriptor"
    periodic = False
    averaged = False  # one row per structure instead of per centre
    uses_species = True  # False: every element looks alike (no species list needed)
    pool = "processes"  # or "threads", for work that releases the GIL (descriptors/workers.py)
    min_parallel = 2 * CHUNK  # centres (atoms): less work is done here whatever n_jobs says (workers cost more)

    def __init__(self, **params):
        self.params = params

    # -- the public interface (DScribe's convention)
    def create(self, system, centers=None, n_jobs: int = 1, progress: bool = False) -> np.ndarray:
        """Rows for every centre of every structure, in order (structures, then centres): shape
        (rows, *:meth:`row_shape`); one row per structure when the descriptor is ``averaged``."""
        structures = [system] if _is_atoms(system) else list(system)
        if centers is not None and _is_atoms(system):
            centers = [centers]
        if centers is not None and len(centers) != len(structures):
            raise AtlasError(f"give one set of centres per structure: {len(centers)} for {len(structures)} structures.")
        self._require_species()
        for i, atoms in enumerate(structures):
            self.check_structure(atoms, f"structure {i}")
        self.prepare()  # build the (costly) model once here; workers receive it ready-made
        tasks = list(self._tasks(structures, centers))
        costs = [_cost(structures[s], c) for s, c in tasks]
        n_jobs = n_jobs if sum(costs) >= self.min_parallel else 1
        batches = _batches(tasks, costs, n_jobs)
        bar = _progress_bar(sum(self._shown(structures[s], c) for s, c in tasks), progress, self.name,
                            "structure" if self.averaged else "centre")
        work = [([structures[s] for s, _ in batch], [c for _, c in batch]) for batch in batches]
        rows = []
        done = map_ordered(partial(_create_batch, self), work, n_jobs, self.pool)
        for batch, batch_rows in zip(batches, done):  # in order, as each batch finishes
            rows += batch_rows
            bar.update(sum(self._shown(structures[s], c) for s, c in batch))
        bar.close()
        shape = self.row_shape()
        rows = [np.asarray(r).reshape((-1, *shape)) for r in rows]
        return np.concatenate(rows) if rows else np.empty((0, *shape))

    def row_shape(self) -> tuple[int, ...]:
        """The shape of one row: (features,) but for fingerprints that are images."""
        return (self.get_number_of_features(),)

    def prepare(self) -> None:
        """Build whatever is costly and shared by all structures (DScribe objects)."""
        model = getattr(self, "_model", None)
        if model is not None and self.species is not None:
            model()

    def get_number_of_features(self) -> int:
        return len(self.feature_names())

    def _require_species(self) -> None:
        if self.uses_species and self.species is None:
            raise AtlasError(f"the {self.name} features depend on the species: give species=[...] or call "
                             "fit(structures) first.")

    def _wrapped(self, atoms, centers):
        """A wrapped copy of a periodic structure (DScribe assumes atoms inside the cell) and wrapped probe points."""
        if not self.periodic:
            return atoms, centers
        scaled = atoms.cell.scaled_positions(atoms.positions)
        if ((scaled < 0) | (scaled >= 1))[:, atoms.pbc].any():  # copy only when something lies outside
            atoms = atoms.copy()
            atoms.wrap()
        if centers is not None and np.asarray(centers).ndim == 2:
            from ase.geometry import wrap_positions

            centers = wrap_positions(np.asarray(centers, dtype=float), atoms.cell, atoms.pbc)
        return atoms, centers

    @abstractmethod
    def feature_names(self) -> list[str]: ...

    @abstractmethod
    def _create_one(self, atoms, centers) -> np.ndarray: ...

    def _create_many(self, structures, centers) -> list[np.ndarray]:
        """Rows of several structures; subclasses may do it in one library call."""
        return [self._create_one(atoms, chosen) for atoms, chosen in zip(structures, centers)]

    # -- species handling
    species: list[str] | None = None

    def fit(self, structures, centers=None):
        """Take every element present in ``structures`` as the species, unless species were given; returns self."""
        from ase.data import atomic_numbers

        if self.species is None:
            present = {s for atoms in structures for s in atoms.get_chemical_symbols()}
            self.species = sorted(present, key=lambda s: atomic_numbers[s])
        return self

    def check_structure(self, atoms, where: str) -> None:
        from atomatlas.io.structures import check_geometry

        check_geometry(atoms, where)  # DScribe crashes on non-finite coordinates
        missing = sorted(set(atoms.get_chemical_symbols()) - set(self.species or []))
        if missing and self.uses_species:
            raise AtlasError(f"{where}: species {missing} are not in the descriptor's species {self.species}; "
                             f"add them with --param species=[...].")
        if self.periodic and (not atoms.pbc.any() or atoms.cell.rank < 3):
            raise AtlasError(f"{where}: the {self.name} descriptor is periodic but the structure has no cell; "
                             "add a cell and pbc, or pass --param periodic=false.")

    # -- work splitting
    def _shown(self, atoms, centers) -> int:
        """A task's share of the progress bar: its centres, or 1 for a structure's one row."""
        return 1 if self.averaged else _cost(atoms, centers)

    def _tasks(self, structures, centers):
        """(structure index, centres) pairs of at most CHUNK centres each, in order.

        DScribe's time grows linearly with the centres, so chunks cost little: they keep
        the progress bar live and every process busy until the end.
        """
        for s, atoms in enumerate(structures):
            chosen = None if centers is None else centers[s]
            n = len(atoms) if chosen is None else len(chosen)
            if self.averaged or n <= CHUNK:
                yield s, chosen
                continue
            chosen = np.arange(len(atoms)) if chosen is None else np.asarray(chosen)
            yield from ((s, chunk) for chunk in np.array_split(chosen, -(-n // CHUNK)))

    def cache_key(self, structures, centers) -> str:
        """Content hash of everything that changes the numbers.

        The structures (numbers, positions, cell, pbc) and centres, the parameters and
        species, the source code of the descriptor (its module, this one and the
        structure checks: a fix in any of them is a new key) and the versions of the
        libraries that compute it.
        """
        import sys

        from atomatlas.io import cache, structures as structure_io

        sha = hashlib.sha256()
        sha.update(json.dumps({"name": self.name, "params": self.params, "species": self.species,
                               "versions": _versions(),
                               "code": cache.source_digest(sys.modules[type(self).__module__], sys.modules[__name__],
                                                           structure_io)},
                              sort_keys=True, default=str).encode())
        for i, atoms in enumerate(structures):
            for array in (atoms.numbers, atoms.positions, np.asarray(atoms.cell), atoms.pbc):
                sha.update(np.ascontiguousarray(array).tobytes())
            if centers is not None:
                sha.update(np.ascontiguousarray(centers[i]).tobytes())
        return sha.hexdigest()[:40]


def require(condition: bool, descriptor: str, message: str) -> None:
    """Refuse a descriptor parameter in one line, naming it (checked before DScribe sees it)."""
    if not condition:
        raise AtlasError(f"descriptor {descriptor!r}: {message}; set it with --descriptor-param NAME=VALUE "
                         "(`atomatlas list descriptor` shows every parameter).")


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _create_batch(descriptor: Descriptor, batch) -> list:
    structures, centers = batch
    return descriptor._create_many(structures, centers)


def _versions() -> dict:
    import importlib.metadata as md

    from atomatlas import __version__

    versions = {"atomatlas": __version__}
    for name in ("dscribe", "ase", "numpy", "scipy"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return versions


def _is_atoms(system) -> bool:
    return hasattr(system, "get_chemical_symbols") and hasattr(system, "positions")


def _cost(atoms, centers) -> int:
    """A task's share of the work: its centres (every atom when none are given)."""
    return len(atoms) if centers is None else len(centers)


def _batches(tasks, sizes, n_jobs: int) -> list[list]:
    """Consecutive tasks grouped into batches of about CHUNK centres (many small structures).

    Batches are kept small enough that every process gets at least two.
    """
    target = max(1, min(CHUNK, sum(sizes) // (2 * n_jobs)))
    batches, current, size = [], [], 0
    for task, task_size in zip(tasks, sizes):
        current.append(task)
        size += task_size
        if size >= target:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress_bar(total: int, progress: bool, name: str, unit: str):
    """A tqdm bar over centres or structures (shown on a terminal only), or a stand-in that does nothing."""
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"{name} descriptors", unit=unit, leave=False, disable=None)
