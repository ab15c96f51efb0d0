"""report.html (an interactive page that opens from disk) and the chemiscope export of a run folder.

Both are built from the run folder alone: :func:`write_report` after a run, or later with
``atomatlas report RUN_DIR``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPORT = "report.html"


def write_views(folder: str | Path, name: str | None = None) -> Path:
    """What a finished run folder gets for looking at it: chemiscope.json.gz (structure runs with per-atom
    labels), then report.html; returns the report's path. ``name``: the folder's final name, when it is
    still the run's temporary folder."""
    from atomatlas.report.chemiscope_export import write_chemiscope

    write_chemiscope(folder, name)
    return write_report(folder, name)


def write_report(folder: str | Path, name: str | None = None) -> Path:
    """Write ``folder/report.html`` (whole or not at all) and return its path."""
    from atomatlas.report.contents import gather
    from atomatlas.report.page import render

    folder = Path(folder)
    html = render(gather(folder, name))
    handle, temporary = tempfile.mkstemp(prefix=".report.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, folder / REPORT)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return folder / REPORT


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
