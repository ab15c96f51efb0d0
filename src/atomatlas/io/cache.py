"""On-disk caches that never give wrong numbers: every entry is verified when read, and recomputed when damaged.

Layout under ``$ATOMATLAS_CACHE`` (default ``~/.cache/atomatlas``; ``off`` disables the
descriptor cache)::

    descriptors/KEY.npy     the array
    descriptors/KEY.json    its shape, dtype, SHA-256 and what made it (written last: the commit)
    datasets/KEY/NAME       a generated dataset file, KEY from its generator's code and libraries
    datasets/KEY/NAME.json  its SHA-256

Keys are content hashes of everything that changes the numbers (inputs, parameters,
the code that computes them, library versions), made by the caller. A missing, truncated
or altered entry (wrong shape, dtype or checksum, unreadable JSON) is removed with a
one-line note and recomputed by the caller. ``atomatlas cache info`` and
``atomatlas cache clear`` show and remove entries; clearing removes only files of
these two kinds, never anything else in the folder, and never follows a symbolic link: a link
inside the cache is removed as a link, its target is never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from atomatlas.errors import AtlasError

KINDS = ("descriptors", "datasets")
_KEY = re.compile(r"^[0-9a-f]{16,64}$")


def root() -> Path | None:
    """The cache folder (``~`` expanded), or None when ``ATOMATLAS_CACHE=off`` (any case)."""
    value = os.environ.get("ATOMATLAS_CACHE", "").strip()
    if value.lower() == "off":
        return None
    base = Path(os.path.expanduser(value)) if value else Path.home() / ".cache" / "atomatlas"
    if base.exists() and not base.is_dir():
        raise AtlasError(f"ATOMATLAS_CACHE={value} is a file, not a folder; point it at a folder (it is created "
                         "if missing) or set ATOMATLAS_CACHE=off.")
    return base


def folder(kind: str) -> Path | None:
    base = root()
    return None if base is None else base / kind


def digest(*parts) -> str:
    """A SHA-256 key of JSON-able parts and byte strings."""
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part if isinstance(part, (bytes, bytearray, memoryview)) else
                   json.dumps(part, sort_keys=True, default=str).encode())
    return sha.hexdigest()


def source_digest(*modules) -> str:
    """The bytes of the modules' source files: a code change is a new key."""
    parts = []
    for module in modules:
        path = Path(getattr(module, "__file__", "") or "")
        parts.append(path.read_bytes() if path.is_file() else str(module).encode())
    return digest(*parts)


def _note(message: str) -> None:
    print(f"atomatlas: note: {message}", file=sys.stderr)


def _array_sha(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def load_array(key: str, where: Path | None = None) -> np.ndarray | None:
    """The cached array for ``key``, verified; None when missing or damaged (a damaged entry is removed)."""
    where = where or folder("descriptors")
    if where is None:
        return None
    data, meta = where / f"{key}.npy", where / f"{key}.json"
    if not meta.exists():
        return None  # not there, or a write that never committed
    try:
        about = json.loads(meta.read_text())
        array = np.load(data, allow_pickle=False)
        problem = None
        if list(array.shape) != about["shape"] or str(array.dtype) != about["dtype"]:
            problem = f"shape {list(array.shape)} {array.dtype}, recorded {about['shape']} {about['dtype']}"
        elif _array_sha(array) != about["sha256"]:
            problem = "its checksum does not match its contents"
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:  # truncated, not JSON, not an array
        problem = f"unreadable ({type(exc).__name__})"
    if problem is None:
        return array
    _note(f"cache entry {data} was damaged ({problem}); removed, recomputing.")
    remove_entry(key, where)
    return None


def store_array(key: str, array: np.ndarray, about: dict | None = None, where: Path | None = None) -> None:
    """Write an entry atomically (the JSON, written last, commits it); a cache that cannot be written only costs time."""
    where = where or folder("descriptors")
    if where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        record = {"shape": list(array.shape), "dtype": str(array.dtype), "sha256": _array_sha(array),
                  **(about or {})}
        for suffix, write in ((".npy", lambda p: np.save(p, array, allow_pickle=False)),
                              (".json", lambda p: p.write_text(json.dumps(record, default=str) + "\n"))):
            handle, temporary = tempfile.mkstemp(prefix=f".{key}.", suffix=f".tmp{suffix}", dir=where)
            os.close(handle)
            write(Path(temporary))
            os.replace(temporary, where / f"{key}{suffix}")
    except OSError:
        pass


def remove_entry(key: str, where: Path | None = None) -> None:
    where = where or folder("descriptors")
    for suffix in (".json", ".npy"):  # the commit record first: a half-removed entry is simply missing
        try:
            (where / f"{key}{suffix}").unlink()
        except FileNotFoundError:
            pass


def verified_file(key: str, name: str, make: Callable[[Path], None]) -> Path:
    """``datasets/KEY/NAME``, made by ``make(path)`` unless a copy with a matching checksum is there."""
    base = folder("datasets") or Path(tempfile.gettempdir()) / "atomatlas-cache" / "datasets"
    path = base / key / name
    record = path.with_name(f"{name}.json")
    if path.parent.is_symlink():  # a link where the key folder should be: never write through it
        _note(f"cached dataset folder {path.parent} is a symbolic link; removed the link, making the dataset again.")
        path.parent.unlink()
    for link in (p for p in (path, record) if p.is_symlink()):
        link.unlink()
    if path.exists() and record.exists():
        try:
            if json.loads(record.read_text())["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest():
                return path
            problem = "its checksum does not match its contents"
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problem = f"unreadable ({type(exc).__name__})"
        _note(f"cached dataset {path} was damaged ({problem}); making it again.")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    make(Path(temporary))
    sha = hashlib.sha256(Path(temporary).read_bytes()).hexdigest()
    os.replace(temporary, path)
    record.write_text(json.dumps({"sha256": sha}) + "\n")
    return path


def _real_dir(path: Path) -> bool:
    """A folder that is not a symbolic link (``is_dir`` alone follows links out of the cache)."""
    return path.is_dir() and not path.is_symlink()


def _own(path: Path) -> bool:
    """A regular file or a symbolic link: what unlink removes without touching anything else."""
    return path.is_symlink() or path.is_file()


def _entries(kind: str) -> list[Path]:
    """Files this cache made (by name pattern), never anything else a user keeps in the folder.

    Symbolic links are listed as entries themselves (unlinking one removes the link), never walked into.
    """
    where = folder(kind)
    if where is None or not _real_dir(where):
        return []
    if kind == "descriptors":
        return [p for p in where.iterdir() if _own(p) and (_KEY.match(p.name.split(".")[0])
                                                           or re.match(r"^\.[0-9a-f]{16,64}\..*\.tmp", p.name))]
    found = []
    for sub in where.iterdir():
        if not _KEY.match(sub.name):
            continue
        if sub.is_symlink():
            found.append(sub)  # a link where a key folder should be: the link goes, its target stays
        elif sub.is_dir():
            found.extend(p for p in sub.iterdir() if _own(p))
    return found


def info() -> dict:
    """Where the cache is, and per kind how many entries and bytes it holds."""
    out = {"root": None if root() is None else str(root())}
    for kind in KINDS:
        files = _entries(kind)
        entries = ({p.name.split(".")[0] for p in files if p.suffix == ".json"} if kind == "descriptors"
                   else {p for p in files if p.suffix != ".json"})
        out[kind] = {"folder": None if folder(kind) is None else str(folder(kind)), "entries": len(entries),
                     "bytes": sum(p.lstat().st_size for p in files)}
    return out


def clear(kinds=KINDS) -> int:
    """Remove every entry of the given kinds; returns the number of files removed."""
    removed = 0
    for kind in kinds:
        for path in _entries(kind):
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
        where = folder(kind)
        if kind == "datasets" and where is not None and _real_dir(where):
            for sub in where.iterdir():
                if _real_dir(sub) and _KEY.match(sub.name) and not any(sub.iterdir()):
                    sub.rmdir()
    return removed
