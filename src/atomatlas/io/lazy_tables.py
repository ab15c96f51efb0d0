"""Tables larger than memory: a parquet file, a folder of parquet files or a CSV, read lazily with Dask.

The columns are chosen from the first rows by the same rules as in-memory tables
(:func:`atomatlas.io.tables.choose_columns`); the values are checked where they are, in
one pass that also gives the scaling statistics (:func:`feature_statistics`), so no step
brings the rows into this process.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.io.tables import MAX_MAGNITUDE, choose_columns

HEAD_ROWS = 1000  # rows of the first partition that decide the columns


@dataclass
class LazyTable:
    """A Dask DataFrame with its id, feature and label columns chosen."""

    frame: object  # dask.dataframe.DataFrame
    path: str
    id_columns: list[str]
    feature_names: list[str]
    label_column: str | None = None
    head: pd.DataFrame | None = None  # the first rows, which chose the columns

    def X(self):
        """The features as a Dask array of float64, chunked by partition (lengths known)."""
        return self.frame[self.feature_names].astype(float).to_dask_array(lengths=True)


def _open(path: Path, delimiter: str | None):
    import dask.dataframe as dd

    if not path.exists():
        raise AtlasError(f"{path}: file or folder not found; check the path.")
    if not path.is_dir():
        from atomatlas.untrusted import check_readable_file

        check_readable_file(path, "table")
    try:
        if path.is_dir():
            if not any(path.glob("*.parquet")):
                raise AtlasError(f"{path}: a folder without .parquet files; give a parquet file, a folder of them "
                                 "or a CSV file.")
            return dd.read_parquet(path)
        if path.suffix.lower() == ".parquet":
            return dd.read_parquet(path)
        sep = delimiter or ("\t" if path.suffix.lower() in (".tsv", ".tab") else ",")
        return dd.read_csv(path, sep=sep, blocksize="64MB", assume_missing=True)
    except AtlasError:
        raise
    except Exception as exc:  # pyarrow and pandas raise many kinds for broken files
        raise AtlasError(f"{path}: not a readable table ({str(exc).strip().splitlines()[0]}).") from exc


def lazy_columns(path: str | Path, delimiter: str | None = None) -> list[str]:
    """The column names of a lazily read table (nothing but its schema or first block is read)."""
    return [str(c) for c in _open(Path(path), delimiter).columns]


def read_lazy_table(path: str | Path, *, id_columns: list[str] | None = None, features: list[str] | None = None,
                    features_regex: str | None = None, exclude: list[str] | None = None,
                    label_column: str | None = None, delimiter: str | None = None) -> LazyTable:
    """The table at ``path`` (parquet file or folder, CSV/TSV), its columns chosen from its first rows."""
    shown = str(path)
    frame = _open(Path(path), delimiter)
    frame.columns = [str(c) for c in frame.columns]
    if len(set(frame.columns)) != len(frame.columns):
        raise AtlasError(f"{shown}: some column names appear more than once; give every column its own name.")
    with warnings.catch_warnings():  # a first partition shorter than HEAD_ROWS is fine: its rows choose
        warnings.filterwarnings("ignore", message="Insufficient elements for `head`")
        head = frame.head(HEAD_ROWS, npartitions=1)
    if head.empty:
        raise AtlasError(f"{shown}: the table has no data rows in its first partition.")
    id_columns, names = choose_columns(head, shown, id_columns=id_columns, features=features,
                                       features_regex=features_regex, exclude=list(exclude or []),
                                       label_column=label_column)
    bad = [n for n in names if not pd.api.types.is_numeric_dtype(frame[n].dtype)]
    if bad:
        advice = "leave them out with --exclude" if features is None else \
            "the columns asked for (by --features or a saved model) must hold numbers: fix them in the table"
        raise AtlasError(f"{shown}: feature column(s) {bad} are not numeric; {advice}.")
    return LazyTable(frame=frame, path=shown, id_columns=id_columns, feature_names=names, label_column=label_column,
                     head=head)


def _block_statistics(block: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """(5, d): finite count, sum and sum of squares (about ``shift``, against cancellation), min, max of each
    column of a block."""
    block = np.asarray(block, dtype=float)
    finite = np.isfinite(block)
    values = np.where(finite, block - shift, 0.0)
    big = np.where(finite, block, np.nan)
    with np.errstate(all="ignore"):
        low = np.nanmin(big, axis=0) if len(block) else np.full(block.shape[1], np.inf)
        high = np.nanmax(big, axis=0) if len(block) else np.full(block.shape[1], -np.inf)
    return np.stack([finite.sum(axis=0), values.sum(axis=0), (values ** 2).sum(axis=0),
                     np.nan_to_num(low, nan=np.inf), np.nan_to_num(high, nan=-np.inf)])


def feature_statistics(table: LazyTable, X, shift: np.ndarray, allow_constant: bool = False) -> dict:
    """Mean and standard deviation of every feature in one pass over the rows, refusing missing, infinite,
    huge and constant columns the way in-memory tables are refused. ``shift``: any rough mean (the first
    rows'). ``allow_constant``: keep constant columns (descriptors have them: species pairs absent), with a
    spread of 1 so that scaling leaves them constant, as scikit-learn's StandardScaler does."""
    import dask

    parts = [dask.delayed(_block_statistics)(block, shift) for block in X.to_delayed().ravel()]
    stats = dask.compute(*parts)
    rows = X.shape[0]
    finite = sum(s[0] for s in stats)
    total, squares = sum(s[1] for s in stats), sum(s[2] for s in stats)
    low, high = np.min([s[3] for s in stats], axis=0), np.max([s[4] for s in stats], axis=0)
    for i, name in enumerate(table.feature_names):
        if finite[i] < rows:
            raise AtlasError(f"{table.path}: feature column {name!r} has {int(rows - finite[i])} missing or infinite "
                             "value(s); fill or drop those rows.")
        if max(abs(low[i]), abs(high[i])) > MAX_MAGNITUDE:
            raise AtlasError(f"{table.path}: feature column {name!r} has values beyond +-{MAX_MAGNITUDE:g}; rescale it "
                             f"or leave it out with --exclude {name}.")
        if low[i] == high[i] and not allow_constant:
            raise AtlasError(f"{table.path}: feature column {name!r} is constant (every value is {low[i]:g}) and "
                             f"carries no information; leave it out with --exclude {name}.")
    offset = total / rows
    variance = np.maximum(squares / rows - offset ** 2, 0.0)
    spread = np.sqrt(variance)
    return {"rows": int(rows), "mean": shift + offset, "std": np.where(spread > 0, spread, 1.0)}
