"""Progress bars for long fits, switched on by whoever runs them (a CLI run), never by an estimator parameter.

    with progress_bars():            # the CLI does this around a run
        model.fit(X)                  # a k search inside shows a bar on a terminal
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

_show = contextvars.ContextVar("atomatlas_progress", default=False)


@contextmanager
def progress_bars(show: bool = True):
    """Show progress bars (on a terminal only) for the work done inside the block."""
    token = _show.set(show)
    try:
        yield
    finally:
        _show.reset(token)


def shown() -> bool:
    return _show.get()


def bar(items, desc: str, unit: str = "it"):
    """``items`` wrapped in a tqdm bar when bars are on and the output is a terminal; else ``items``."""
    if not _show.get():
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit=unit, leave=False, disable=None)
