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
these two kinds, never anything else in the folder.
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

KINDS = ("descriptors", "datasets")
_KEY = re.compile(r"^[0-9a-f]{16,64}$")


def root() -> Path | None:
    """The cache folder, or None when ``ATOMATLAS_CACHE=off``."""
    value = os.environ.get("ATOMATLAS_CACHE")
    if value == "off":
        return None
    return Path(value) if value else Path.home() / ".cache" / "atomatlas"


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


def _entries(kind: str) -> list[Path]:
    """Files this cache made (by name pattern), never anything else a user keeps in the folder."""
    where = folder(kind)
    if where is None or not where.is_dir():
        return []
    if kind == "descriptors":
        return [p for p in where.iterdir() if p.is_file() and (_KEY.match(p.name.split(".")[0])
                                                               or re.match(r"^\.[0-9a-f]{16,64}\..*\.tmp", p.name))]
    return [p for sub in where.iterdir() if sub.is_dir() and _KEY.match(sub.name) for p in sub.iterdir()
            if p.is_file()]


def info() -> dict:
    """Where the cache is, and per kind how many entries and bytes it holds."""
    out = {"root": None if root() is None else str(root())}
    for kind in KINDS:
        files = _entries(kind)
        entries = ({p.name.split(".")[0] for p in files if p.suffix == ".json"} if kind == "descriptors"
                   else {p for p in files if p.suffix != ".json"})
        out[kind] = {"folder": None if folder(kind) is None else str(folder(kind)), "entries": len(entries),
                     "bytes": sum(p.stat().st_size for p in files)}
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
        if kind == "datasets" and where is not None and where.is_dir():
            for sub in where.iterdir():
                if sub.is_dir() and _KEY.match(sub.name) and not any(sub.iterdir()):
                    sub.rmdir()
    return removed
