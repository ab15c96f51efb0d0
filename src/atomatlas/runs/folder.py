"""The run-folder contract: a run leaves its whole folder or nothing, never clobbers another's, and writes
its files the same way whatever kind of run it is (docs/run-folder.md).

Everything is written into a hidden temporary folder beside the target
(``.NAME.XXXX.tmp``) and renamed into place at the end; on any error, Ctrl-C or SIGTERM
the temporary folder is removed. While a run works on ``--out NAME`` it holds an
exclusive lock on ``.NAME.lock`` beside it (released by the kernel even when the process
is killed), so a second run on the same ``--out`` stops at once with exit status 2
instead of silently replacing the first one's results. The lock holder removes
temporary folders that killed runs (SIGKILL, power loss) left behind.

Every run folder carries a marker file, ``.atomatlas-run``; ``--overwrite`` replaces
only folders that have it (or are empty), never any other folder.

Files: tables as CSV with a fixed float format (the same seed gives byte-identical
files), ``metrics.json`` as plain JSON with the package versions, figures as PNG, and
``config.toml``, the resolved config that repeats the run. Last, unless a run asked for
none (:func:`reports`), ``report.html`` is built from the finished files, still inside the
temporary folder, so a folder never appears without it (and ``chemiscope.json.gz`` for
structure runs with per-atom labels).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.errors import AtlasError
from atomatlas.io import run_record

MARKER = ".atomatlas-run"
# Longest --out name: file systems take 255 bytes, and the hidden temporary sibling (.NAME.XXXXXXXX.tmp) adds 14
NAME_MAX = 255 - len(".") - len(".XXXXXXXX.tmp")
_WRITE_REPORT = contextvars.ContextVar("atomatlas_write_report", default=True)


@contextlib.contextmanager
def reports(enabled: bool):
    """Within: run folders get report.html (``enabled``) or not (``--no-report``)."""
    token = _WRITE_REPORT.set(bool(enabled))
    try:
        yield
    finally:
        _WRITE_REPORT.reset(token)


def is_run_folder(path: Path) -> bool:
    return (path / MARKER).is_file()


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Lock:
    """An exclusive, non-blocking flock on a file beside the target; the file is removed on release."""

    def __init__(self, path: Path):
        self.path = path
        self.fd: int | None = None

    def acquire(self, target: Path) -> None:
        import fcntl

        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666 & ~current_umask())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise AtlasError(f"another atomatlas run (pid {holder}) is writing --out {target} right now; wait "
                                 "for it to finish or choose another --out.") from None
            try:  # the file may have been removed by the previous holder between our open and our lock
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self.fd)
        self.fd = None


def rebuild_report(folder: Path) -> Path:
    """report.html (and chemiscope.json.gz) of an existing run folder (refused for any other folder)."""
    from atomatlas.report import write_views

    if not folder.is_dir():
        raise AtlasError(f"{folder} is not a folder; give the run folder of an earlier atomatlas run.")
    if not is_run_folder(folder):
        raise AtlasError(f"{folder} is not an atomatlas run folder (it has no {MARKER} file); give the --out "
                         "folder of an earlier run.")
    try:
        return write_views(folder)
    except PermissionError as exc:
        raise AtlasError(f"cannot write {folder / 'report.html'} (permission denied); copy the run folder "
                         "somewhere writable.") from exc


class RunFolder:
    """Context manager giving a temporary folder that becomes ``target`` on success.

    >>> with RunFolder("runs/fe") as folder:        # doctest: +SKIP
    ...     (folder / "labels.csv").write_text("...")
    """

    def __init__(self, target: str | Path, overwrite: bool = False, kind: str = "run"):
        self.target = Path(target)
        self.overwrite = overwrite
        self.kind = kind
        self.path: Path | None = None
        self._made_parents: list[Path] = []
        self._lock: _Lock | None = None

    def check(self) -> None:
        """Fail early (before any work) when the target cannot or must not be written."""
        target = self.target
        absolute = Path(os.path.abspath(target))
        if not target.name or target.name in (".", "..") or absolute == absolute.parent:
            raise AtlasError(f"--out {target} is not a folder name; give a new folder, e.g. --out runs/mine.")
        here = Path.cwd().resolve()
        if absolute.resolve() == here or absolute.resolve() in here.parents:
            raise AtlasError(f"--out {target} is the current folder or contains it; give a new folder, e.g. "
                             "--out runs/mine.")
        if len(os.fsencode(target.name)) > NAME_MAX:
            raise AtlasError(f"--out: the folder name {target.name[:40]}... is {len(os.fsencode(target.name))} "
                             f"bytes long, over the {NAME_MAX} atomatlas allows (file systems take 255, and the run's temporary "
                             "folder beside it adds 14); choose a shorter --out.")
        if target.is_symlink():
            raise AtlasError(f"--out {target} is a symbolic link; atomatlas never writes or replaces through a link: "
                             "give the folder itself or another --out.")
        if target.exists() and not target.is_dir():
            raise AtlasError(f"--out {target} is an existing file, not a folder; choose another --out.")
        if target.exists():
            if not self.overwrite:
                raise AtlasError(f"output folder {target} already exists; pass --overwrite to replace it "
                                 "or choose another --out.")
            if not is_run_folder(target) and any(target.iterdir()):
                raise AtlasError(f"--out {target} exists and is not an atomatlas run folder (it has no {MARKER} "
                                 "file); --overwrite only replaces run folders: choose another --out or remove it "
                                 "yourself.")
        parent = absolute.parent
        for ancestor in [parent, *parent.parents]:
            if ancestor.exists():
                if not ancestor.is_dir():
                    raise AtlasError(f"cannot create output folder {target}: {ancestor} is a file, not a folder; "
                                     "choose another --out.")
                if not os.access(ancestor, os.W_OK | os.X_OK):
                    raise AtlasError(f"cannot write to {ancestor} (permission denied); choose another --out.")
                break

    def __enter__(self) -> Path:
        self.check()
        parent = Path(os.path.abspath(self.target)).parent
        missing = []
        for ancestor in [parent, *parent.parents]:
            if ancestor.exists():
                break
            missing.append(ancestor)
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self._made_parents.append(folder)
            self._lock = _Lock(parent / f".{self.target.name}.lock")
            self._lock.acquire(self.target)
            self.check()  # a run that held the lock before us may have created the target meanwhile
            self._remove_stale(parent)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=parent))
            os.chmod(self.path, 0o777 & ~current_umask())  # mkdtemp makes 0700; a run folder follows the umask
            (self.path / MARKER).write_text(json.dumps({"kind": self.kind, "pid": os.getpid()}) + "\n")
        except BaseException as exc:
            self._abandon()
            if isinstance(exc, OSError):
                raise AtlasError(f"cannot write output folder {self.target} ({exc.strerror}); "
                                 "choose another --out.") from exc
            raise
        return self.path

    def _remove_stale(self, parent: Path) -> None:
        """Temporary folders of killed runs on this target: we hold the lock, so no live run owns them."""
        for pattern in (f".{self.target.name}.*.tmp", f".{self.target.name}.old-*"):
            for stale in parent.glob(pattern):  # a link is never followed: only real run folders go
                if stale.is_dir() and not stale.is_symlink() and is_run_folder(stale):
                    shutil.rmtree(stale, ignore_errors=True)

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self._abandon()
            return False
        try:
            if _WRITE_REPORT.get():
                from atomatlas.report import write_views

                write_views(self.path, name=str(self.target))
            old = None
            if self.target.exists():
                if not self.overwrite or (not is_run_folder(self.target) and any(self.target.iterdir())):
                    raise AtlasError(f"--out {self.target} appeared while this run worked (not made by atomatlas); "
                                     "nothing was replaced: choose another --out.")
                old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
                self.target.rename(old)
            self.path.rename(self.target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            self._abandon()
            raise
        self._lock.release()
        return False

    def _abandon(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None
        if self._lock is not None:
            self._lock.release()
        self._remove_parents()

    def _remove_parents(self) -> None:
        for folder in reversed(self._made_parents):
            try:
                folder.rmdir()
            except OSError:
                pass
        self._made_parents.clear()


@dataclass
class RunResult:
    """What a run produced: its folder, the per-row table written as labels.csv, and the metrics."""

    path: Path
    labels: pd.DataFrame
    metrics: dict
    skipped: list = field(default_factory=list)  # inputs of a batch left out (io.structures.Skipped)


FLOAT_FORMAT = "%.8g"  # fixed text form: the same seed gives byte-identical CSV files


def package_versions() -> dict:
    import importlib.metadata as md

    versions = {"python": platform.python_version(), "atomatlas": __version__}
    for name in ("numpy", "scipy", "pandas", "scikit-learn", "skops", "matplotlib", "openTSNE", "umap-learn"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return versions


def json_ready(value):
    """Plain JSON: numpy scalars to Python, NaN/inf to null, keys to strings."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(json_ready(data), indent=2) + "\n")


def write_csv(path: Path, frame: pd.DataFrame, append: bool = False) -> None:
    """``frame`` as CSV; ``append``: its rows after those already in ``path``, no header (a file written in chunks)."""
    frame.to_csv(path, mode="a" if append else "w", header=not append, index=False, float_format=FLOAT_FORMAT,
                 lineterminator="\n")


def join_parts(parts: Path, folder: Path) -> pd.DataFrame:
    """The part files of ``parts`` (named in the order of the frames) as one labels.csv; the parts removed."""
    import shutil

    labels = pd.concat([pd.read_parquet(p) for p in sorted(parts.glob("*.parquet"))], ignore_index=True)
    write_csv(folder / "labels.csv", labels)
    shutil.rmtree(parts)
    return labels


def save_figure(folder: Path, name: str, fig) -> str:
    """Write a matplotlib figure as ``folder/name`` (PNG); returns the name for metrics.json."""
    from atomatlas.plots import save

    save(fig, folder / name)
    return name


def write_record(folder: Path, kind: str, metrics: dict, config_toml: dict) -> None:
    """The run record (``metrics.json``, with the package versions, checked against io/run_record.py's
    declaration) of a run of ``kind`` (runs.KINDS), and ``config.toml``, which repeats the run."""
    import tomli_w

    write_metrics(folder, kind, metrics)
    (folder / "config.toml").write_text(tomli_w.dumps(config_toml))


def write_metrics(folder: Path, kind: str, metrics: dict) -> None:
    """``metrics.json`` alone: ``metrics`` gains its ``record`` and ``versions`` sections, and is checked."""
    metrics["versions"] = package_versions()
    metrics["record"] = {"version": run_record.VERSION, "kind": kind}
    write_json(folder / run_record.FILE, run_record.stamp(kind, json_ready(metrics)))


def embedding_columns(embedding: np.ndarray | None) -> dict:
    """``embedding_1..3`` for labels.csv (larger reductions are kept out of the table)."""
    if embedding is None or embedding.shape[1] > 3:
        return {}
    return {f"embedding_{i + 1}": embedding[:, i] for i in range(embedding.shape[1])}
