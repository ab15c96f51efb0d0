"""Reading the small files a user may have edited (metrics.json, config.toml, model.json, recipes) as data only.

Every reader here refuses, in one :class:`AtlasError` line, what would otherwise hang or
crash deep inside a library:

* a path that is not a regular file: a named pipe blocks ``open`` forever, a folder or a
  device is no file, and a symbolic link may point anywhere (/etc/passwd), so a file of a
  run folder is read only when it is a regular file inside that folder;
* text that is not UTF-8;
* JSON or TOML nested deeper than the parsers' recursion allows (both recurse per level);
* numbers no float holds: an integer of 400 digits or a literal ``1e400`` reads as null
  (as NaN and Infinity do), never as a value that breaks formatting later.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from atomatlas.errors import AtlasError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_TEXT_BYTES = 256 * 1024 * 1024  # a config or metrics file is far smaller; beyond, something is wrong
MAX_DIGITS = 18  # integers beyond int64 are not counts or sizes any run writes


def kind_of(path: Path) -> str | None:
    """What ``path`` is without following a link: "file", "link", "folder", "pipe", "other", or None (missing)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError:
        return "other"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return "pipe" if stat.S_ISFIFO(mode) else "other"


_KINDS = {"link": "a symbolic link", "folder": "a folder", "pipe": "a named pipe", "other": "not a regular file"}


def check_regular(path: Path, advice: str) -> bool:
    """True for a regular file, False when missing; anything else (a link, a pipe, a folder) is refused."""
    kind = kind_of(path)
    if kind is None:
        return False
    if kind != "file":
        raise AtlasError(f"{path} is {_KINDS[kind]}, not a regular file; {advice}")
    return True


def check_readable_file(path: Path, what: str = "file") -> None:
    """An input a user names (a table, a recipe): any path, links included, but it must end at a regular file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise AtlasError(f"{path}: {what} not found; check the path.") from None
    except OSError as exc:
        raise AtlasError(f"{path}: cannot read the {what} ({exc.strerror}).") from exc
    if stat.S_ISDIR(mode):
        raise AtlasError(f"{path}: is a folder, not a {what}; give a file.")
    if not stat.S_ISREG(mode):
        kind = "a named pipe" if stat.S_ISFIFO(mode) else "not a regular file"
        raise AtlasError(f"{path}: is {kind}, not a {what} file; atomatlas reads regular files only: save the data "
                         "to a file.")


def read_text(path: Path, what: str) -> str:
    """The UTF-8 text of a regular file (checked by the caller), or one line saying why not."""
    try:
        if os.stat(path).st_size > MAX_TEXT_BYTES:
            raise AtlasError(f"{path}: {what} of {os.stat(path).st_size} bytes, over {MAX_TEXT_BYTES}; it is not "
                             "a file atomatlas wrote.")
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AtlasError(f"{path}: {what} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from exc
    except OSError as exc:
        raise AtlasError(f"{path}: cannot read the {what} ({exc.strerror}).") from exc


def _int_or_null(text: str):
    return int(text) if len(text.lstrip("-")) <= MAX_DIGITS else None


def _float_or_null(text: str):
    value = float(text)
    return value if value not in (float("inf"), float("-inf")) else None


def parse_json(text: str, where, advice: str):
    """JSON as plain data: NaN, Infinity, 1e400 and 400-digit integers read as null; too deep is refused."""
    try:
        return json.loads(text, parse_constant=lambda name: None, parse_int=_int_or_null,
                          parse_float=_float_or_null)
    except RecursionError:
        raise AtlasError(f"{where} is nested too deeply to be a file atomatlas wrote; {advice}") from None
    except ValueError as exc:
        raise AtlasError(f"{where} is not valid JSON ({exc}); {advice}") from exc


def parse_toml(text: str, where, advice: str) -> dict:
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise AtlasError(f"{where}: not valid TOML (nested too deeply); {advice}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AtlasError(f"{where}: not valid TOML ({exc}); {advice}") from exc


def model_meta(path: Path, format: str, version: int, advice: str) -> dict:
    """The JSON half of a saved model, checked before any of it is used: a regular file (not a link or a pipe)
    of UTF-8 JSON, an object naming ``format`` at ``version`` (the one loader of every model's metadata)."""
    check_regular(path, advice)
    meta = parse_json(read_text(path, "model metadata"), path, advice)
    found = meta.get("format") if isinstance(meta, dict) else None
    if found != format:
        raise AtlasError(f"{path}: not a saved {format} (format {found!r}); {advice}")
    saved = meta.get("format_version")
    if isinstance(saved, bool) or not isinstance(saved, int):
        raise AtlasError(f"{path}: format_version must be a whole number, not {saved!r}; {advice}")
    if saved != version:
        from atomatlas import __version__

        raise AtlasError(f"{path}: saved by atomatlas {meta.get('atomatlas_version', '?')} in {format} format "
                         f"v{saved}; this atomatlas {__version__} reads v{version} only; {advice}")
    return meta


def class_names(meta: dict, path: Path, limit: int, advice: str, reserved: tuple = ()) -> list[str]:
    """A model's ``classes``: 2 to ``limit`` distinct, non-blank names, none of them ``reserved``."""
    classes = meta.get("classes")
    if (not isinstance(classes, list) or not 2 <= len(classes) <= limit or any(c in reserved for c in classes)
            or not all(isinstance(c, str) and c.strip() for c in classes) or len(set(classes)) != len(classes)):
        raise AtlasError(f"{path}: 'classes' must list 2 to {limit} distinct class names; got {str(classes)[:80]}; "
                         f"{advice}")
    return classes
