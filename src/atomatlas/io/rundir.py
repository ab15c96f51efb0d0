"""Atomic run folders: a run either leaves its whole folder or nothing.

Everything is written into a hidden temporary folder beside the target and renamed
into place at the end; on any error the temporary folder is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from atomatlas.errors import AtlasError


class RunFolder:
    """Context manager giving a temporary folder that becomes ``target`` on success.

    >>> with RunFolder("runs/fe") as folder:        # doctest: +SKIP
    ...     (folder / "labels.csv").write_text("...")
    """

    def __init__(self, target: str | Path, overwrite: bool = False):
        self.target = Path(target)
        self.overwrite = overwrite
        self.path: Path | None = None
        self._made_parents: list[Path] = []

    def check(self) -> None:
        """Fail early (before any work) when the target cannot be written."""
        target = self.target
        if target.exists() and not target.is_dir():
            raise AtlasError(f"--out {target} is an existing file, not a folder; choose another --out.")
        if target.exists() and not self.overwrite:
            raise AtlasError(f"output folder {target} already exists; pass --overwrite to replace it "
                             "or choose another --out.")
        parent = target.absolute().parent
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
        parent = self.target.absolute().parent
        missing = []
        for ancestor in [parent, *parent.parents]:
            if ancestor.exists():
                break
            missing.append(ancestor)
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self._made_parents.append(folder)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=parent))
        except OSError as exc:
            self._remove_parents()
            raise AtlasError(f"cannot write output folder {self.target} ({exc.strerror}); "
                             "choose another --out.") from exc
        return self.path

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self._remove_parents()
            return False
        old = None
        if self.target.exists():
            old = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
            self.target.rename(old)
        self.path.rename(self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False

    def _remove_parents(self) -> None:
        for folder in reversed(self._made_parents):
            try:
                folder.rmdir()
            except OSError:
                pass
        self._made_parents.clear()
