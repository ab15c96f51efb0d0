"""Limits checked before any work: counts and sizes a run could not finish on this machine are refused in one line.

A config may ask for 10^9 thermal copies, a 10^5 x 10^5 probe grid or a thousand local
workers on two cores; each would run for hours or exhaust memory before failing. The
bounds come from the machine (its memory and cores) where the cost does, and are fixed
where it does not (restarts of a fit).
"""

from __future__ import annotations

import math
import os

from atomatlas.errors import AtlasError

BYTES_PER_ATOM = 16 * 1024  # a generated atom costs its descriptor row, its copy in ASE and the run's tables
MIN_WORKER_BYTES = 512 * 1024 ** 2  # a Dask worker process with less memory than this only swaps
WORKERS_PER_CORE = 2
MAX_RESTARTS = 1_000  # n_init: beyond this, more restarts change nothing but the run time


def memory_bytes() -> int:
    """The machine's physical memory (a large default where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return 16 * 1024 ** 3


def atom_budget() -> int:
    """How many generated atoms (or probe points) one in-memory run may hold on this machine."""
    return memory_bytes() // BYTES_PER_ATOM


def check_generated(count: int, what: str, noun: str = "atoms") -> None:
    """Refuse ``count`` generated atoms (or probe points) beyond :func:`atom_budget`."""
    budget = atom_budget()
    if count > budget:
        raise AtlasError(f"{what} would make {count:.3g} {noun}, more than the {budget:,} this machine's "
                         f"{memory_bytes() / 1024 ** 3:.0f} GiB hold in one run; ask for fewer or smaller ones.")


def check_local_workers(workers) -> None:
    """Worker processes of a local Dask cluster: at most two per core, each with enough memory."""
    cores = os.cpu_count() or 1
    most = max(1, min(WORKERS_PER_CORE * cores, memory_bytes() // MIN_WORKER_BYTES))
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= most:
        raise AtlasError(f"--workers must be an integer from 1 to {most} on this machine ({cores} cores, "
                         f"{memory_bytes() / 1024 ** 3:.0f} GiB: at most {WORKERS_PER_CORE} per core, "
                         f"{MIN_WORKER_BYTES // 1024 ** 2} MB each); got {workers!r}.")


def check_restarts(params: dict, where: str) -> None:
    value = params.get("n_init")
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_RESTARTS:
        raise AtlasError(f"config: [{where}] n_init = {value} restarts; at most {MAX_RESTARTS} (more change nothing "
                         "but the run time).")


def _count(value, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AtlasError(f"config: [{where}] {name} must be a positive integer; got {value!r}.")
    return value


ATOMS_PER_CELL = {"sc": 1, "bcc": 2, "fcc": 4, "hcp": 2, "diamond": 8}


def built_atoms(kind, params: dict) -> int:
    """About how many atoms ``build = [{kind = ..., ...}]`` makes, from its size parameters alone."""
    entry = f"build {kind!r}:"
    if kind == "bcc_fcc_stack":
        sizes = {name: _count(params.get(name, default), f"{entry} {name}", "structures")
                 for name, default in (("n_bcc", 5), ("n_fcc", 4), ("layers_bcc", 6), ("layers_fcc", 4))}
        return 2 * sizes["n_bcc"] ** 2 * sizes["layers_bcc"] + 4 * sizes["n_fcc"] ** 2 * sizes["layers_fcc"]
    if kind == "point_defect":
        repeat = _count(params.get("repeat", 4), f"{entry} repeat", "structures")
        return ATOMS_PER_CELL.get(str(params.get("crystal", "bcc")), 8) * repeat ** 3
    size = params.get("size", (4, 4, 4))
    if not isinstance(size, (list, tuple)) or not size:
        raise AtlasError(f"config: [structures] {entry} size must be a list of positive integers; got {size!r}.")
    return 2 * math.prod(_count(n, f"{entry} size", "structures") for n in size)


def check_structures(section) -> None:
    """The generated part of a ``[structures]`` section: built sizes, repeat and copies, before anything is built."""
    copies = _count(section.copies, "copies", "structures")
    repeat = section.repeat or [1, 1, 1]
    if not isinstance(repeat, (list, tuple)) or len(repeat) != 3:
        raise AtlasError(f"config: [structures] repeat must be three positive integers; got {section.repeat!r}.")
    factor = copies * math.prod(_count(n, "repeat", "structures") for n in repeat)
    for spec in section.build:
        spec = dict(spec)
        kind = spec.pop("kind", None)
        check_generated(built_atoms(kind, spec) * factor, f"[structures] build {kind!r} x repeat x copies")
    if factor > 1:  # files: their atoms are known only once read; a single atom per file is the least
        check_generated(factor * max(1, len(section.paths)), "[structures] repeat x copies")


def check_grid(n) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise AtlasError(f"config: [centers] n must be an integer >= 2 (points per side); got {n!r}.")
    check_generated(n * n, f"[centers] surface_grid n = {n}", "probe points")
