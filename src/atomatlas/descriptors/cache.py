"""Descriptors computed once: ``create`` with an on-disk cache keyed by everything that changes the numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from atomatlas.descriptors.base import Descriptor


def create_cached(descriptor: Descriptor, structures, centers=None, n_jobs: int = 1, progress: bool = False,
                  cache: Path | None | str = "default", refresh: bool = False) -> tuple[np.ndarray, bool]:
    """``descriptor.fit(structures).create(...)`` with an on-disk cache keyed by content; returns (rows, was_cached).

    ``cache``: "default" (``$ATOMATLAS_CACHE/descriptors``), a folder, or None (no cache).
    Every entry is verified when read; a damaged one is removed, with a note, and
    recomputed. ``refresh`` recomputes and replaces the entry whatever is there.
    """
    from atomatlas.io import cache as store

    where = store.folder("descriptors") if cache == "default" else (Path(cache) if cache else None)
    descriptor.fit(structures)  # species from these structures unless given (a no-op when they were)
    if where is None:
        return descriptor.create(structures, centers, n_jobs=n_jobs, progress=progress), False
    key = descriptor.cache_key(structures, centers)
    if not refresh:
        rows = store.load_array(key, where)
        if rows is not None:
            return rows, True
    rows = descriptor.create(structures, centers, n_jobs=n_jobs, progress=progress)
    store.store_array(key, rows, {"descriptor": descriptor.name, "params": descriptor.params,
                                  "structures": len(structures)}, where)
    return rows, False


