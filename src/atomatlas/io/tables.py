"""Read a descriptor table and check that it can be learned from.

Every problem a user can fix becomes an :class:`AtlasError` naming the file,
the column (and row, where there is one) and what to do about it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError

# Columns with these names identify rows; they are never features unless asked for.
# ("row" is not among them: in element tables it is the periodic-table row, a feature.)
ID_COLUMN_NAMES = ("id", "key", "atom", "index", "name", "structure", "frame", "file")
# Squares of feature values are summed over rows and columns (variances, distances): far below sqrt(max float).
MAX_MAGNITUDE = 1e100
_OTHER_DELIMITERS = {";": "';'", "\t": "tab", "|": "'|'", " ": "space"}


@dataclass
class Table:
    """A validated table: id columns, numeric feature columns and an optional label."""

    frame: pd.DataFrame
    path: str
    id_columns: list[str]
    feature_names: list[str]
    label_column: str | None = None
    dropped_constant: list[str] = field(default_factory=list)

    @property
    def X(self) -> np.ndarray:
        return self.frame[self.feature_names].to_numpy(dtype=float)

    @property
    def ids(self) -> pd.DataFrame:
        if self.id_columns:
            return self.frame[self.id_columns].reset_index(drop=True)
        return pd.DataFrame({"row": np.arange(len(self.frame))})

    @property
    def labels(self) -> pd.Series | None:
        if self.label_column is None:
            return None
        return self.frame[self.label_column].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)


def read_frame(path: str | Path, delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/parquet file into a DataFrame, with clear errors."""
    path = Path(path)
    if not path.exists():
        raise AtlasError(f"{path}: file not found; check the path.")
    if path.is_dir():
        raise AtlasError(f"{path}: is a folder, not a table file; give a .csv, .tsv or .parquet file.")
    from atomatlas.untrusted import check_readable_file

    check_readable_file(path, "table")  # a named pipe would block the reader until something wrote to it
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = _read_parquet(path)
        else:
            frame = _read_text_table(path, delimiter or ("\t" if suffix in (".tsv", ".tab") else ","), delimiter)
    except OSError as exc:
        raise AtlasError(f"{path}: cannot read the file ({exc.strerror or exc}); check its permissions.") from exc
    if frame.shape[1] == 0:
        raise AtlasError(f"{path}: the file has no columns; give a table with a header row.")
    if len(frame) == 0:
        raise AtlasError(f"{path}: the table has a header but no data rows.")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _refuse_duplicates(path, names) -> None:
    seen, repeated = set(), []
    for name in map(str, names):
        if name in seen and name not in repeated:
            repeated.append(name)
        seen.add(name)
    if repeated:
        raise AtlasError(f"{path}: column name(s) {repeated} appear more than once; give every column its own "
                         "name (a table tool would silently rename the copies).")


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except OSError:
        raise
    except Exception as exc:  # pyarrow raises many types for broken files
        raise AtlasError(f"{path}: not a readable parquet file ({exc}).") from exc
    _refuse_duplicates(path, names)
    try:
        return pd.read_parquet(path)
    except Exception as exc:
        raise AtlasError(f"{path}: not a readable parquet file ({exc}).") from exc


def _read_text_table(path: Path, sep: str, delimiter: str | None) -> pd.DataFrame:
    try:
        header = pd.read_csv(path, sep=sep, nrows=1, header=None, dtype=str, keep_default_na=False)
        _refuse_duplicates(path, header.iloc[0] if len(header) else [])
        frame = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError as exc:
        raise AtlasError(f"{path}: the file is empty; give a table with a header row and data rows.") from exc
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise AtlasError(f"{path}: not a readable {sep!r}-separated table ({str(exc).strip()}); "
                         "check the file or pass --delimiter.") from exc
    if frame.shape[1] == 1 and delimiter is None:
        header = str(frame.columns[0])
        for other, name in _OTHER_DELIMITERS.items():
            if other in header.strip():
                raise AtlasError(f"{path}: found a single column; the file looks {name}-separated, "
                                 f"not {sep!r}-separated; pass --delimiter {other!r}.")
    return frame


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _looks_numeric(series: pd.Series) -> bool:
    """True for a text column whose values are mostly numbers (a broken numeric column)."""
    values = series.dropna()
    if len(values) == 0:
        return True  # an all-empty column: report it as all-NaN, not as an id
    parsed = pd.to_numeric(values, errors="coerce")
    return parsed.notna().mean() >= 0.5


def _first_bad_row(mask: np.ndarray) -> int:
    # Report the line number in the file: header is line 1, first data row is line 2.
    return int(np.flatnonzero(mask)[0]) + 2


def select_features(frame: pd.DataFrame, path: str, *, exclude_columns: list[str],
                    features: list[str] | None = None, features_regex: str | None = None) -> list[str]:
    """Pick the feature columns: explicit names, a regex, or every numeric column left."""
    if features:
        missing = [c for c in features if c not in frame.columns]
        if missing:
            raise AtlasError(f"{path}: feature column(s) {missing} not found; available columns: "
                             f"{list(frame.columns)}.")
        return list(features)
    candidates = [c for c in frame.columns if c not in exclude_columns]
    if features_regex is not None:
        try:
            pattern = re.compile(features_regex)
        except re.error as exc:
            raise AtlasError(f"--features-regex {features_regex!r} is not a valid regular expression ({exc}).") from exc
        chosen = [c for c in candidates if pattern.search(c)]
        if not chosen:
            raise AtlasError(f"{path}: no column matches --features-regex {features_regex!r}; "
                             f"available columns: {candidates}.")
        return chosen
    chosen = [c for c in candidates if _is_numeric(frame[c]) or _looks_numeric(frame[c])]
    if not chosen:
        raise AtlasError(f"{path}: no numeric feature columns left after removing id and label columns "
                         f"{exclude_columns}; name them with --features.")
    return chosen


def check_features(frame: pd.DataFrame, path: str, names: list[str], *, constant: str = "error"):
    """Coerce feature columns to float and reject what cannot be learned from.

    ``constant`` says what a constant column gets: ``"error"``, ``"drop"`` or ``"keep"``
    (new rows for a fitted model may well be constant in a column; that is fine there).
    Returns ``(frame, kept_names, dropped_constant_names)``.
    """
    frame = frame.copy()
    dropped = []
    for name in names:
        # new rows for a saved model (constant="keep") cannot leave out a column the model was fit on
        leave_out = (f"leave the column out with --exclude {name}" if constant != "keep" else
                     "the saved model was fit on this column: fix it in the new table")
        column = frame[name]
        if not _is_numeric(column):
            parsed = pd.to_numeric(column, errors="coerce")
            bad = parsed.isna() & column.notna()
            if bad.any():
                row = _first_bad_row(bad.to_numpy())
                value = column[bad].iloc[0]
                raise AtlasError(f"{path}: feature column {name!r} is not numeric (line {row} has {value!r}); "
                                 f"fix the value or {leave_out}.")
            column = parsed
        values = column.to_numpy(dtype=float)
        nan = np.isnan(values)
        if nan.all():
            raise AtlasError(f"{path}: feature column {name!r} is empty (all values missing); "
                             f"{leave_out}.")
        if nan.any():
            raise AtlasError(f"{path}: feature column {name!r} has {int(nan.sum())} missing value(s) "
                             f"(first on line {_first_bad_row(nan)}); fill or drop those rows.")
        inf = np.isinf(values)
        if inf.any():
            raise AtlasError(f"{path}: feature column {name!r} has {int(inf.sum())} infinite value(s) "
                             f"(first on line {_first_bad_row(inf)}); replace them with finite numbers.")
        huge = np.abs(values) > MAX_MAGNITUDE
        if huge.any():
            raise AtlasError(f"{path}: feature column {name!r} has {values[huge][0]:g} on line "
                             f"{_first_bad_row(huge)}: values beyond +-{MAX_MAGNITUDE:g} overflow when squared in "
                             f"distances and variances; rescale the column (other units) or {leave_out}.")
        if constant != "keep" and len(values) > 1 and np.ptp(values) == 0:
            if constant == "drop":
                dropped.append(name)
                continue
            raise AtlasError(f"{path}: feature column {name!r} is constant (every value is {values[0]:g}) "
                             f"and carries no information; pass --drop-constant or --exclude {name}.")
        frame[name] = values
    kept = [n for n in names if n not in dropped]
    if not kept:
        raise AtlasError(f"{path}: every feature column is constant; nothing to learn from.")
    return frame, kept, dropped


def choose_columns(frame: pd.DataFrame, path: str, *, id_columns: list[str] | None, features: list[str] | None,
                   features_regex: str | None, exclude: list[str], label_column: str | None):
    """(id columns, feature columns) of a table, from its first rows: ids are columns named like ids (``key``,
    ``id``, ``atom``...) plus any text column unless given; features every other numeric column unless given."""
    for name in exclude:
        if name not in frame.columns:
            raise AtlasError(f"{path}: --exclude column {name!r} not found; available columns: {list(frame.columns)}.")
    if label_column is not None and label_column not in frame.columns:
        raise AtlasError(f"{path}: label column {label_column!r} not found; available columns: "
                         f"{list(frame.columns)}; pass the right name to --labels.")
    if id_columns is None:
        id_columns = [c for c in frame.columns
                      if c != label_column and c not in (features or [])
                      and (c.lower() in ID_COLUMN_NAMES
                           or not (_is_numeric(frame[c]) or _looks_numeric(frame[c])))]
    else:
        missing = [c for c in id_columns if c not in frame.columns]
        if missing:
            raise AtlasError(f"{path}: id column(s) {missing} not found; available columns: {list(frame.columns)}.")
    not_features = list(dict.fromkeys([*id_columns, *exclude, *([label_column] if label_column else [])]))
    names = select_features(frame, path, exclude_columns=not_features, features=features,
                            features_regex=features_regex)
    return list(id_columns), names


def read_table(path: str | Path, *, id_columns: list[str] | None = None, features: list[str] | None = None,
               features_regex: str | None = None, exclude: list[str] | None = None,
               label_column: str | None = None, delimiter: str | None = None,
               drop_constant: bool = False, constant: str | None = None) -> Table:
    """Read and validate a descriptor table.

    Id columns default to columns named like ids (``key``, ``id``, ``atom``...) plus any
    text column; features default to every other numeric column.
    """
    path = str(path)
    frame = read_frame(path, delimiter)
    exclude = list(exclude or [])
    if label_column is not None and label_column in frame.columns and frame[label_column].isna().all():
        raise AtlasError(f"{path}: label column {label_column!r} has no values.")
    id_columns, names = choose_columns(frame, path, id_columns=id_columns, features=features,
                                       features_regex=features_regex, exclude=exclude, label_column=label_column)
    constant = constant or ("drop" if drop_constant else "error")
    frame, names, dropped = check_features(frame, path, names, constant=constant)
    return Table(frame=frame.reset_index(drop=True), path=path, id_columns=list(id_columns),
                 feature_names=names, label_column=label_column, dropped_constant=dropped)


def join_labels(table: Table, labels_path: str | Path, *, on: list[str], column: str,
                delimiter: str | None = None) -> pd.Series:
    """Labels for ``table``'s rows from another file, joined on ``on``; missing rows are NaN."""
    labels_frame = read_frame(labels_path, delimiter)
    for name in on:
        for where, frame in ((table.path, table.frame), (str(labels_path), labels_frame)):
            if name not in frame.columns:
                raise AtlasError(f"{where}: join column {name!r} not found; available columns: {list(frame.columns)}.")
    if column not in labels_frame.columns:
        raise AtlasError(f"{labels_path}: label column {column!r} not found; available columns: "
                         f"{list(labels_frame.columns)}.")
    if labels_frame.duplicated(on).any():
        raise AtlasError(f"{labels_path}: rows are not unique on {on}; each labelled row must appear once.")
    keys = labels_frame[on + [column]]
    merged = table.frame[on].merge(keys, on=on, how="left", validate="many_to_one")
    if merged[column].notna().sum() == 0:
        raise AtlasError(f"{labels_path}: no row matches {table.path} on {on}; check the join columns.")
    return merged[column].reset_index(drop=True)
