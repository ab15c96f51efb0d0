"""Trajectories: fit on a seeded sample of frames, then label every frame, one chunk in memory at a time.

``[structures] fit_frames = N`` (``environments --fit-frames N``) reads the files twice and
never holds them whole. The first pass draws N frames with the run's seed (reservoir
sampling: one pass, N frames held) and the table flow fits on them as on any structure
run. The second pass describes every frame, :data:`CHUNK_ATOMS` atoms at a time, and
labels it with the model the fit has just saved, as ``predict`` would. labels.csv, map.csv,
structures.extxyz / structures.db and cluster_fractions.csv / .png then hold every frame;
features.parquet, representatives.csv, the k selection and the scores are the fitted
frames'. Cluster names come from the fitted frames, each atom's identify label from its own. The chunks
bypass the descriptor cache, which would otherwise grow by the trajectory's every feature.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.engine.executors import chunks
from atomatlas.io.structures import Frame, iter_frames
from atomatlas.runs.folder import write_csv
from atomatlas.runs.on_sample import MapPlace

CHUNK_ATOMS = 50_000  # atoms described and labelled at once (whole frames, at least this many but the last)


def frame_files(section) -> list[str]:
    from atomatlas.datasets import resolve

    return [resolve(p) for p in section.paths]


def sample_frames(section, seed: int, skipped: list) -> tuple[list[Frame], int]:
    """(``section.fit_frames`` usable frames drawn uniformly with ``seed``, in file order; how many were read)."""
    rng = np.random.default_rng(seed)
    n = section.fit_frames
    drawn: list[tuple[int, Frame]] = []
    seen = 0
    for frame in iter_frames(frame_files(section), section.index, section.format, skipped):
        if len(drawn) < n:
            drawn.append((seen, frame))
        elif (slot := int(rng.integers(0, seen + 1))) < n:  # Algorithm R: every frame kept with chance n / seen
            drawn[slot] = (seen, frame)
        seen += 1
    return [frame for _, frame in sorted(drawn, key=lambda pair: pair[0])], seen


def label_every_frame(config, folder: Path, fitted_X: np.ndarray, names: dict | None, skipped: list,
                      progress: bool = False) -> dict:
    """Label every frame of ``config``'s files with the model saved in ``folder`` (fit on the rows ``fitted_X``);
    ``names``: the clusters' records, or None; returns what was labelled."""
    from tqdm.auto import tqdm

    from atomatlas.io.models import load_model
    from atomatlas.runs.describe import describe_frames, saved_config

    model, meta = load_model(folder)
    description = saved_config(meta["structures"])  # the fit's species and parameters, for every chunk
    description.structures.label = config.structures.label  # the label set the map's rows carry, as the fit's did
    place = MapPlace(model, meta, fitted_X)
    sink = _Sink(folder)
    late: list = []  # frames only the describing pass refuses (the fitted frames' species miss theirs)
    frames = iter_frames(frame_files(config.structures), config.structures.index, config.structures.format, [])
    with tqdm(desc="labelling frames", unit="frame", leave=False, disable=None if progress else True) as bar:
        for chunk in chunks(frames, lambda frame: len(frame.atoms), CHUNK_ATOMS):
            described = describe_frames(description, chunk, fitting=False, skipped=late, use_cache=False)
            rows = _label_rows(model, meta, described, names)
            sink.add(described, rows, _map_rows(config, place, described))
            bar.update(len(chunk))
    known = {(item.source, item.index) for item in skipped}
    skipped += [item for item in late if (item.source, item.index) not in known]
    return sink.close()


def _label_rows(model: dict, meta: dict, described, names: dict | None) -> pd.DataFrame:
    from atomatlas.runs.cluster_names import atom_labels
    from atomatlas.runs.predict import row_outputs

    outputs, _ = row_outputs(model, meta, described.table.X)
    rows = pd.concat([described.table.ids, outputs], axis=1)
    if names is not None:
        local_order = described.table.X if meta["structures"]["descriptor"]["method"] == "local_order" else None
        rows["identify"] = atom_labels(described, local_order)[0]
        rows["cluster_name"] = rows["cluster"].astype(str).map({k: r["name"] for k, r in names.items()})
        rows["cluster_name"] = rows["cluster_name"].fillna("noise")
    return rows


def _map_rows(config, place, described) -> pd.DataFrame | None:
    """A chunk's rows on the fit's map (map.csv's coordinates and label columns)."""
    from atomatlas.runs.labels import collect_labels

    table = place(described.table.X)
    if table is not None:
        for name, values in collect_labels(config.evaluate, described.table).items():
            table[f"label:{name}"] = values.to_numpy(dtype=object)
    return table


class _Sink:
    """labels.csv, map.csv, structures.extxyz / .db and the per-frame cluster shares, appended chunk by chunk."""

    def __init__(self, folder: Path):
        self.folder, self.first, self.shares, self.sizes, self.n_frames, self.n_rows = folder, True, [], {}, 0, 0

    def add(self, described, rows: pd.DataFrame, map_rows: pd.DataFrame | None) -> None:
        from atomatlas.runs.structure_outputs import cluster_fractions, write_atoms

        write_csv(self.folder / "labels.csv", rows, append=not self.first)
        if map_rows is None:  # a one-feature table has no map
            (self.folder / "map.csv").unlink(missing_ok=True)
        else:
            write_csv(self.folder / "map.csv", map_rows, append=not self.first)
        if "atom" in rows:  # probe points have no atoms to write, nor shares of them
            write_atoms(self.folder, described, rows, append=not self.first)
        clusters = rows["cluster"] if "cluster" in rows else pd.Series(dtype=int)  # an anomaly run has none
        if "atom" in rows and len(clusters):
            self.shares.append(cluster_fractions(rows))
        for cluster, count in clusters.value_counts().items():
            self.sizes[int(cluster)] = self.sizes.get(int(cluster), 0) + int(count)
        self.first, self.n_frames, self.n_rows = False, self.n_frames + len(described.frames), self.n_rows + len(rows)

    def close(self) -> dict:
        from atomatlas.runs.structure_outputs import write_fraction_table

        out = {"n_frames": self.n_frames, "n_centres": self.n_rows, "cluster_sizes": dict(sorted(self.sizes.items()))}
        if not self.shares:
            return out
        shares = pd.concat(self.shares, ignore_index=True)
        ids = ["structure", "frame"]
        order = sorted((c for c in shares.columns if c not in ids), key=lambda c: int(str(c).split(":")[0]))
        return {**out, **write_fraction_table(self.folder, shares[ids + order].fillna(0.0))}
