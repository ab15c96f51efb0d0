"""Writing a run folder's files the same way in every kind of run.

``labels.csv`` and other tables with a fixed float format (same seed, byte-identical
files), ``metrics.json`` as plain JSON, figures as PNG, and the header every
``metrics.json`` starts with.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.io.tables import Table, read_table

FLOAT_FORMAT = "%.8g"  # fixed text form: the same seed gives byte-identical CSV files


def package_versions() -> dict:
    import importlib.metadata as md

    versions = {"python": platform.python_version(), "atomatlas": __version__}
    for name in ("numpy", "scipy", "pandas", "scikit-learn", "skops", "matplotlib", "openTSNE", "umap-learn"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = None
    return versions


def json_ready(value):
    """Plain JSON: numpy scalars to Python, NaN/inf to null, keys to strings."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return json_ready(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(json_ready(data), indent=2) + "\n")


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def save_figure(folder: Path, name: str, fig) -> str:
    from atomatlas.plots import save

    save(fig, folder / name)
    return name


def read_input(config: dict) -> Table:
    from atomatlas.datasets import resolve

    data = config["data"]
    table = read_table(resolve(data["path"]), id_columns=data["id_columns"], features=data["features"],
                       features_regex=data["features_regex"], exclude=data["exclude"],
                       label_column=data["label_column"], delimiter=data["delimiter"],
                       drop_constant=data["drop_constant"])
    table.path = data["path"]  # as the user named it (dataset:NAME, not an install path)
    return table


def run_header(config: dict, table: Table) -> dict:
    """The part of metrics.json every run shares: what ran, on what input."""
    return {"name": config["name"], "atomatlas_version": __version__, "seed": config["seed"],
            "input": {"path": table.path, "n_rows": len(table), "n_features": len(table.feature_names),
                      "features": table.feature_names, "id_columns": table.id_columns,
                      "label_column": table.label_column, "dropped_constant": table.dropped_constant},
            "scale": {"method": config["scale"]["method"], "params": config["scale"]["params"]}}


def embedding_columns(embedding: np.ndarray | None) -> dict:
    if embedding is None or embedding.shape[1] > 3:
        return {}
    return {f"embedding_{i + 1}": embedding[:, i] for i in range(embedding.shape[1])}
