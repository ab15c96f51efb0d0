"""What a run folder holds, read back as the plain data report.html draws.

Everything here comes from the folder alone (labels.csv, map.csv, metrics.json,
config.toml, fractions.csv, contingency tables, figures), so a report can be rebuilt
after the run, e.g. by a newer atomatlas. The files may have been edited: each is parsed
as data only (JSON, CSV, TOML text, PNG bytes), never executed, and every string in them
is shown as text by the page. Only regular files inside the folder are read: a link (to
/etc/passwd, say) or a named pipe in place of a run file is refused in one line, and one
among the figures or tables is left out.
"""

from __future__ import annotations

import base64
import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.io import run_record
from atomatlas.untrusted import check_regular, kind_of, parse_json, read_text

MAX_POINTS = 100_000  # points drawn one by one; above, a uniform sample of this many over a density of all
MAX_ATOMS_3D = 50_000  # atoms of one frame in the 3-D view
CATEGORY_LIMIT = 60  # an integer column with at most this many values is a set of classes (clusters)
DENSITY_BINS = 200
MAX_TABLE_ROWS = 2_000  # a run without a map (classify) shows labels.csv as a table up to this many rows
MAX_FIGURE_BYTES = 5_000_000  # a larger PNG is named, not embedded
SEED = 0  # the sample of a large map is the same on every rebuild

COORDINATES = ("x", "y", "z")
NOT_COLOURS = {"input_row", "row", "atom", "frame", *COORDINATES}
IDS = ("structure", "file", "frame", "atom", "species", "row", "input_row")  # shown on hover when present


REBUILD = "rerun the run to rebuild it."


def run_file(path: Path) -> bool:
    """True when the run folder's file ``path`` is there as a regular file; refused when it is a link, pipe..."""
    return check_regular(path, f"atomatlas reads only the regular files of a run folder: {REBUILD}")


def _read_json(path: Path) -> dict:
    if not run_file(path):
        return {}
    data = parse_json(read_text(path, "JSON file"), path, REBUILD)  # NaN, Infinity, 1e400: null
    if not isinstance(data, dict):
        raise AtlasError(f"{path} does not hold a JSON object; {REBUILD}")
    return data


def _number(value, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def read_run_csv(path: Path) -> pd.DataFrame | None:
    """A CSV table of the run folder (None when absent), or one line saying it is damaged."""
    if not run_file(path):
        return None
    try:
        return pd.read_csv(path, keep_default_na=True)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AtlasError(f"{path} is not a readable CSV table ({exc}); rerun the run to rebuild it.") from exc


def _is_category(values: pd.Series) -> bool:
    if values.dtype == object or values.dtype == bool or isinstance(values.dtype, pd.StringDtype):
        return True
    return pd.api.types.is_integer_dtype(values) and values.nunique() <= CATEGORY_LIMIT


def _rounded(values: np.ndarray, digits: int = 5) -> list:
    """Numbers to about ``digits`` significant digits (a smaller file), NaN as null."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    scale = np.nanmax(np.abs(values[finite])) if finite.any() else 1.0
    decimals = int(max(0, digits - 1 - np.floor(np.log10(scale)))) if scale > 0 else digits
    out = np.round(values, decimals).astype(object)
    out[~finite] = None
    return out.tolist()


def encode_column(values: pd.Series) -> dict:
    """A column as the page reads it: classes as codes into levels, numbers rounded."""
    if _is_category(values):
        text = values.astype(object).where(values.notna(), None)
        text = text.map(lambda v: v if v is None else str(v))
        codes, levels = pd.factorize(text, sort=True)
        return {"kind": "category", "levels": [str(v) for v in levels], "codes": codes.tolist()}
    return {"kind": "number", "values": _rounded(values.to_numpy(dtype=float))}


def _point_table(folder: Path, labels: pd.DataFrame) -> pd.DataFrame:
    """labels.csv with the map's coordinates and the known labels (map.csv) beside it; coordinates checked."""
    table = labels.copy()
    map_table = read_run_csv(folder / "map.csv")
    if map_table is not None:
        if len(map_table) != len(labels):
            raise AtlasError(f"{folder / 'map.csv'} has {len(map_table)} rows and labels.csv {len(labels)}; "
                             "rerun the run to rebuild them.")
        for column in map_table.columns:
            table[column] = map_table[column].to_numpy()
    elif {"embedding_1", "embedding_2"} <= set(labels.columns):
        table["map_1"], table["map_2"] = labels["embedding_1"], labels["embedding_2"]
    for column in ("map_1", "map_2", *COORDINATES):
        if column in table and table[column].notna().any() and not pd.api.types.is_numeric_dtype(table[column]):
            raise AtlasError(f"{folder}: column {column!r} of labels.csv or map.csv holds text, not numbers; rerun "
                             "the run to rebuild them.")
    return table


def points(folder: Path, labels: pd.DataFrame, metrics: dict) -> dict | None:
    """The rows as points: map coordinates, 3-D positions, hover ids and every column to colour by."""
    table = _point_table(folder, labels)
    has_map = {"map_1", "map_2"} <= set(table.columns)
    has_3d = set(COORDINATES) <= set(table.columns)
    if not (has_map or has_3d) or table.empty:
        return None
    total = len(table)
    density = None
    row = np.arange(total)
    if has_map and total > MAX_POINTS:
        counts, xedges, yedges = np.histogram2d(table["map_1"], table["map_2"], bins=DENSITY_BINS)
        density = {"counts": counts.T.astype(int).tolist(), "x": _rounded((xedges[1:] + xedges[:-1]) / 2),
                   "y": _rounded((yedges[1:] + yedges[:-1]) / 2)}
        row = np.sort(np.random.default_rng(SEED).choice(total, MAX_POINTS, replace=False))
    elif total > MAX_POINTS:  # structures only (identify on a long trajectory): the first whole frames
        row = _first_frames(table)
    table = table.iloc[row]
    skip = {"map_1", "map_2", "embedding_1", "embedding_2", "embedding_3"}
    columns = {name: encode_column(table[name]) for name in table.columns if name not in skip}
    input_ids = set(metrics.get("input", {}).get("id_columns") or [])
    colour_by = [name for name in table.columns if name not in skip | NOT_COLOURS | input_ids
                 and not (columns[name]["kind"] == "category" and len(columns[name]["levels"]) > CATEGORY_LIMIT)]
    if "cluster" in colour_by:  # the first choice is what the run found
        colour_by.remove("cluster")
        colour_by.insert(0, "cluster")
    elif "class" in colour_by:
        colour_by.remove("class")
        colour_by.insert(0, "class")
    ids = [name for name in table.columns if name in IDS or name in input_ids]
    out = {"n": len(table), "total": total, "row": row.tolist(), "columns": columns, "colour_by": colour_by,
           "ids": ids, "density": density, "axis": metrics.get("map", {}).get("axis", "embedding")}
    if has_map:
        out["map"] = [_rounded(table["map_1"].to_numpy()), _rounded(table["map_2"].to_numpy())]
    if has_3d:
        out["frames"] = _frames(table)
    return out


def _frame_keys(table: pd.DataFrame) -> list[str]:
    return [c for c in ("structure", "frame") if c in table.columns]


def _first_frames(table: pd.DataFrame) -> np.ndarray:
    """Rows of the first frames that fit in MAX_POINTS (at least the first frame's first MAX_ATOMS_3D)."""
    keys = _frame_keys(table)
    if not keys:
        return np.arange(MAX_POINTS)
    sizes = table.groupby(keys, sort=False).size().to_numpy()
    frames = max(1, int(np.searchsorted(np.cumsum(sizes), MAX_POINTS, side="right")))
    return np.arange(min(int(sizes[:frames].sum()), MAX_POINTS))


def _frames(table: pd.DataFrame) -> list[dict]:
    """Each (structure, frame) with the positions of its rows (point indices), for the 3-D view."""
    keys = _frame_keys(table)
    groups = table.groupby(keys, sort=False).indices if keys else {"all": np.arange(len(table))}
    frames = []
    for key, index in groups.items():
        key = key if isinstance(key, tuple) else (key,)
        name = " frame ".join(str(k) for k in key) if keys else "all"
        frames.append({"name": name, "rows": index[:MAX_ATOMS_3D].tolist(), "atoms": len(index)})
    return frames


def cluster_table(folder: Path, labels: pd.DataFrame, metrics: dict) -> list[dict]:
    """One row per cluster: size, mean silhouette, representative and the dominant class of each label set."""
    recorded = metrics.get("cluster", {}).get("cluster_sizes")
    if labels is not None and "cluster" in labels.columns:
        sizes = labels["cluster"].value_counts().sort_index()
    elif isinstance(recorded, dict) and recorded:  # labels too many for labels.csv (labels.parquet/)
        try:
            sizes = pd.Series({int(k): int(v) for k, v in recorded.items()}).sort_index()
        except (TypeError, ValueError) as exc:
            raise AtlasError(f"{folder / 'metrics.json'}: cluster_sizes are not counts ({exc}); "
                             "rerun the run.") from exc
    else:
        return []
    silhouette = metrics.get("cluster", {}).get("silhouette_by_cluster", {})
    picks = read_run_csv(folder / "representatives.csv")
    representative = {}
    if picks is not None and "cluster" in picks.columns:
        id_columns = [c for c in picks.columns if c not in ("cluster", "input_row", *COORDINATES)]
        for _, pick in picks.iterrows():
            representative[str(pick["cluster"])] = " ".join(f"{c}={pick[c]}" for c in id_columns)
    scores = {}
    for path in sorted(folder.glob("contingency_*.csv")):
        table = read_run_csv(path)
        if table is None or table.shape[1] < 2:
            continue
        table = table.set_index(table.columns[0]).apply(pd.to_numeric, errors="coerce")
        for cluster in table.columns:
            column = table[cluster]
            if np.isfinite(column).all() and column.sum() > 0:  # counts; anything else (an edited file) is left out
                scores.setdefault(str(cluster), {})[path.stem.removeprefix("contingency_")] = {
                    "class": str(column.idxmax()), "fraction": float(column.max() / column.sum())}
    names = metrics.get("cluster", {}).get("names", {})
    names = names if isinstance(names, dict) else {}
    rows = []
    for cluster, size in sizes.items():
        key = str(cluster)
        record = names.get(key) if isinstance(names.get(key), dict) else {}
        rows.append({"cluster": key, "size": int(size), "silhouette": silhouette.get(key),
                     "representative": representative.get(key, ""), "scores": scores.get(key, {}),
                     "name": record["name"] if isinstance(record.get("name"), str) else "",
                     "novel_order": record.get("novel_order") is True})
    return rows


def figures(folder: Path) -> list[dict]:
    """The run's PNG figures (and those of its maps/ folder), embedded."""
    found = []
    maps = [] if kind_of(folder / "maps") != "folder" else sorted((folder / "maps").glob("*.png"))
    for path in sorted(folder.glob("*.png")) + maps:
        if kind_of(path) != "file":
            continue  # a link or pipe under a figure's name: not the run's
        data = path.read_bytes()
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            continue  # not a PNG, whatever its name
        entry = {"name": str(path.relative_to(folder))}
        if len(data) <= MAX_FIGURE_BYTES:
            entry["png"] = base64.b64encode(data).decode("ascii")
        found.append(entry)
    return found


def tables(folder: Path) -> list[dict]:
    """Small CSV tables worth reading on the page: contingency, fractions, comparison, phases, grains."""
    out = []
    for pattern in ("contingency_*.csv", "comparison.csv", "fractions.csv", "phases.csv", "anomaly_by_*.csv",
                    "grains.csv", "grain_boundaries.csv"):
        for path in sorted(folder.glob(pattern)):
            if kind_of(path) != "file":
                continue
            table = read_run_csv(path)
            if table is not None and len(table) <= 500:
                out.append({"name": path.name, **_as_table(table)})
    return out


def rerun_command(given: str) -> str:
    """The command that repeats the run in folder ``given`` (the path as the user gave it), safe to paste."""
    folder = given.rstrip("/") or given
    return f"atomatlas run {shlex.quote(folder + '/config.toml')} --out {shlex.quote(folder + '-again')}"


def gather(folder: Path, name: str | None = None) -> dict:
    """Everything report.html shows, from the run folder ``folder``; ``name``: the folder's path as the user gave
    it (``--out``, or ``atomatlas report``'s argument), when ``folder`` is still the run's temporary folder."""
    folder = Path(folder)
    name = str(name or folder)
    record = run_record.read(folder, REBUILD)
    metrics = record.sections  # every section of its declared type (io/run_record.py)
    marker = _read_json(folder / ".atomatlas-run")
    labels = read_run_csv(folder / "labels.csv")
    config = read_text(folder / "config.toml", "config") if run_file(folder / "config.toml") else ""
    fractions = read_run_csv(folder / "fractions.csv")  # identify's classes per frame
    if fractions is None:  # a per-atom clustering's clusters per frame
        fractions = read_run_csv(folder / "cluster_fractions.csv")
    cluster = metrics.get("cluster", {})
    return {
        "title": str(metrics.get("name") or Path(name).name), "folder": Path(name).name,
        "kind": record.kind or str(marker.get("kind", "run")),
        "summary": _summary(metrics),
        "points": points(folder, labels, metrics) if labels is not None else None,
        "clusters": cluster_table(folder, labels, metrics),
        "k_selection": cluster.get("k_selection"),
        "evaluation": metrics.get("evaluation"),
        "fractions": {"columns": [str(c) for c in fractions.columns], "rows": _finite_rows(fractions)}
        if fractions is not None else None,
        "rows": _rows(labels) if labels is not None and (labels.empty or not _has_points(labels, folder)) else None,
        "tables": tables(folder), "figures": figures(folder),
        "config": config, "versions": metrics.get("versions", {}),
        "rerun": rerun_command(name) if config else "",
    }


def _finite_rows(table: pd.DataFrame) -> list:
    """Rows of a table as plain values, NaN and infinities as null (an edited file may hold either)."""
    numeric = table.select_dtypes("number")
    shown = table.astype(object).where(table.notna(), None)
    for column in numeric.columns:
        shown[column] = shown[column].where(np.isfinite(numeric[column].astype(float)), None)
    return shown.values.tolist()


def _has_points(labels: pd.DataFrame, folder: Path) -> bool:
    columns = set(labels.columns)
    return kind_of(folder / "map.csv") == "file" or {"embedding_1", "embedding_2"} <= columns or set(COORDINATES) <= columns


def _rows(labels: pd.DataFrame) -> dict | None:
    """labels.csv itself, for runs without a map (one row per structure, as classify writes)."""
    return None if len(labels) > MAX_TABLE_ROWS else _as_table(labels)


def _as_table(table: pd.DataFrame) -> dict:
    """Column names and rows of plain values (numbers, text, null) for the page."""
    return {"columns": [str(c) for c in table.columns],
            "rows": [[_plain(v) for v in row] for row in table.itertuples(index=False)]}


def _plain(value):
    """A table cell as the page's JSON holds it: a finite number, text, or null."""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return None if pd.isna(value) else str(value)


def _summary(metrics: dict) -> list[list[str]]:
    """A few lines that say what the run did, as (what, value) pairs."""
    rows = []
    source = metrics.get("input", {})
    if source.get("path"):
        rows.append(["input", f"{source.get('path')} ({source.get('n_rows')} rows x {source.get('n_features')} "
                              "features)"])
    for step in ("scale", "reduce", "cluster"):
        part = metrics.get(step, {})
        if part.get("method"):
            text = str(part["method"])
            if step == "cluster":
                text += f", k = {part.get('k')}" + (f" (chosen by {part['selected_by']})" if part.get("selected_by")
                                                      else "")
                if "silhouette" in part.get("scores", {}):
                    text += f", silhouette {_number(part['scores']['silhouette'])}"
            rows.append([step, text])
    for key in ("n_structures", "model", "counts", "faults", "grains"):
        if key in metrics:
            rows.append([key, json.dumps(metrics[key]) if isinstance(metrics[key], dict) else str(metrics[key])])
    for name, scores in metrics.get("evaluation", {}).items():
        if "adjusted_rand_index" in scores:
            rows.append([f"vs {name}", f"ARI {_number(scores['adjusted_rand_index'])}, NMI "
                                       f"{_number(scores.get('normalized_mutual_info'))}, accuracy "
                                       f"{_number(scores.get('cluster_accuracy'))}"])
    return rows
