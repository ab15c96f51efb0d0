"""``--resume``: the finished chunks of a run kept across a kill, and used again, on either executor.

While a run works on ``--out NAME`` its finished chunks go to ``.NAME.partial/`` beside
the run folder: the parts its steps write (descriptors of ``environments --scheduler``,
labels and annotated frames of ``identify``, labels of ``predict`` on structures) as
``parts/part-NNNNNN.parquet`` (and companions). When the run finishes, the parts move into
the run folder and ``.NAME.partial/`` goes. When it stops early (Ctrl-C, SIGTERM, SIGKILL,
a lost worker) the folder stays, and the same command with ``--resume`` continues from it:
a chunk whose file reads back whole and holds the frames the new run would send is not
computed again, and the labels are those of an uninterrupted run.

The folder is untrusted like any file: ``run.json`` records the run it belongs to (the
resolved config, the input files' sizes and modification times, the chunk size and the
atomatlas version: what changes the results, so a new scheduler address or another number
of workers, as a batch job that lost its node gets, still resumes) and ``--resume``
refuses a folder of another run, saying what differed; a part that does not read back is
recomputed, never used. Without ``--resume`` a run starts afresh (a partial folder left by
an earlier run is removed). Bad input removes it too: resuming would meet the same error.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from atomatlas import __version__
from atomatlas.errors import AtlasError

_RESUME = contextvars.ContextVar("atomatlas_resume", default=False)
IDENTITY = "run.json"
# the layout of a partial folder (its parts); raise it whenever that layout changes, so that a folder an
# earlier layout left is refused in one line (its run.json differs in parts_format), never misread
PARTS_FORMAT = 3  # 2: structure parts carry identify labels and averages; 3: no k-means state


@contextlib.contextmanager
def resuming(enabled: bool):
    """Within: runs continue from the partial folder of an interrupted run (``--resume``), on either executor."""
    token = _RESUME.set(bool(enabled))
    try:
        yield
    finally:
        _RESUME.reset(token)


def file_stamps(paths) -> list:
    """[path, size, modification time] of every file under ``paths`` (files or folders): what a resumed run
    must find unchanged."""
    files = []
    for path in map(Path, paths):
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    stamps = []
    for file in files:
        try:
            info = file.stat()
        except OSError:
            continue  # a missing input is reported by the run itself
        stamps.append([str(file.resolve()), info.st_size, info.st_mtime_ns])
    return stamps


def finite_columns(table, names: list) -> None:
    """Refuse (ValueError) a chunk read back without these columns as finite numbers."""
    if not np.isfinite(table[list(names)].to_numpy(dtype=float)).all():
        raise ValueError("non-finite values")


def write_part(table, path: str) -> None:
    """One chunk's table, whole or not at all (a kill mid-write leaves no part behind)."""
    write_whole(lambda tmp: table.to_parquet(tmp, index=False), path)


def write_whole(write, path) -> None:
    """``write(tmp)`` a file, then move it to ``path``: whole or not at all."""
    tmp = f"{path}.{os.getpid()}.tmp"
    write(tmp)
    os.replace(tmp, path)


# [dask] keys that say where the work runs, not what it computes: a resumed run may change them
WHERE_IT_RUNS = ("scheduler", "workers")


def results_identity(identity: dict) -> dict:
    """``identity`` as plain JSON without the keys that do not change the results (:data:`WHERE_IT_RUNS`)."""
    plain = json.loads(json.dumps({**identity, "atomatlas_version": __version__, "parts_format": PARTS_FORMAT},
                                  default=str))
    dask = plain.get("config", {}).get("dask") if isinstance(plain.get("config"), dict) else None
    if isinstance(dask, dict):
        for key in WHERE_IT_RUNS:
            dask.pop(key, None)
    return plain


def differences(recorded, current, prefix: str = "") -> list[str]:
    """The keys (dotted) whose values differ between two identities."""
    if not isinstance(recorded, dict) or not isinstance(current, dict):
        return [prefix or "run.json"] if recorded != current else []
    out = []
    for key in sorted(set(recorded) | set(current), key=str):
        name = f"{prefix}.{key}" if prefix else str(key)
        if key not in recorded or key not in current:
            out.append(name)
        elif isinstance(current[key], dict):
            out += differences(recorded[key], current[key], name)
        elif recorded[key] != current[key]:
            out.append(name)
    return out


class PartialWork:
    """``.NAME.partial/`` of the run writing ``--out NAME``; opened under that run folder's lock."""

    def __init__(self, target: Path, identity: dict):
        target = Path(os.path.abspath(target))
        self.path = target.parent / f".{target.name}.partial"
        self.parts = self.path / "parts"
        self.identity = results_identity(identity)
        self.resume = _RESUME.get()
        self.reused_parts = 0

    def open(self) -> None:
        for link in (self.path, self.parts):  # never work inside a folder a link points to: the link goes
            if link.is_symlink():
                link.unlink()
        if self.path.exists() and not self.path.is_dir():
            self.path.unlink()
        if self.path.exists() and not self.resume:
            shutil.rmtree(self.path)
        if self.resume and self.path.exists():
            recorded = self._recorded()
            if recorded != self.identity:
                changed = ", ".join(differences(recorded, self.identity)[:6]) if isinstance(recorded, dict) \
                    else "its run.json is missing or damaged"
                inputs = " (input files changed since)" if changed.startswith("inputs") else ""
                raise AtlasError(f"--resume: {self.path} holds the partial work of another run; what differs: "
                                 f"{changed}{inputs}; rerun without --resume to start over.")
        else:
            if self.resume:
                print(f"atomatlas: note: no partial run to resume at {self.path}; starting from the beginning.",
                      file=sys.stderr)
            self.path.mkdir()
            _write_atomically(self.path / IDENTITY, json.dumps(self.identity, indent=1) + "\n")
        self.parts.mkdir(exist_ok=True)
        for stray in self.parts.glob("*.tmp"):  # a write a kill cut short
            stray.unlink()

    def _recorded(self):
        try:
            return json.loads((self.path / IDENTITY).read_text())
        except (OSError, ValueError):
            return None

    def part_path(self, part: int) -> str:
        return str(self.parts / f"part-{part:06d}.parquet")

    def finished_part(self, part: int, batch: list, rows: int, summarise):
        """The result of a chunk finished by the interrupted run, or None (not resuming, not there, damaged, not
        ``rows`` rows of these frames: then it is computed again). ``summarise(table)`` checks the table's own
        columns (raising on anything wrong) and gives what the chunk's task returned."""
        import pandas as pd

        path = Path(self.part_path(part))
        if not self.resume or not path.exists():
            return None
        try:
            table = pd.read_parquet(path)
            sent = {(str(f.source), int(f.index)) for f in batch}
            held = set(zip(table["structure"].astype(str), table["frame"].astype(int)))
            if len(table) != rows or not held <= sent:
                raise ValueError("not this chunk")
            result = summarise(table)
        except Exception:  # noqa: BLE001 - any damage means: compute it again
            path.unlink(missing_ok=True)
            return None
        self.reused_parts += 1
        return result

    def adopt_parts(self, count: int, destination: Path) -> None:
        """The ``count`` parts of this run become ``destination`` (a folder of the run folder)."""
        ours = {Path(self.part_path(part)).name for part in range(count)}
        for extra in self.parts.iterdir():  # anything else in the folder is not this run's: left out
            if extra.name not in ours:
                shutil.rmtree(extra) if extra.is_dir() and not extra.is_symlink() else extra.unlink()
        self.parts.rename(destination)

    def kept(self) -> bool:
        return any(self.parts.glob("part-*.parquet"))

    def record(self) -> dict:
        return {"resumed": self.resume, "reused_chunks": self.reused_parts}


@contextlib.contextmanager
def partial_work(target: Path, identity: dict):
    """The run's partial folder: removed when the run ends well or on bad input, kept (and said so) when the
    run is stopped, to go on with ``--resume``."""
    work = PartialWork(target, identity)
    work.open()
    try:
        yield work
    except AtlasError:
        shutil.rmtree(work.path, ignore_errors=True)
        raise
    except BaseException:
        if work.kept():
            print(f"atomatlas: the finished work is kept in {work.path}; run the same command with --resume to "
                  "continue from it.", file=sys.stderr)
        else:
            shutil.rmtree(work.path, ignore_errors=True)
        raise
    shutil.rmtree(work.path, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
