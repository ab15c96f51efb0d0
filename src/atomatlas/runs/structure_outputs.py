"""What only structure runs write: the features table, per-atom labels (extxyz, ASE db) and the site map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.runs.describe import Described
from atomatlas.runs.folder import save_figure

# per-atom arrays written into structures.extxyz, with the value for atoms that are not centres
PER_ATOM_COLUMNS = {"cluster": -1, "cluster_uncertainty": float("nan"), "anomaly": -1, "anomaly_score": float("nan")}


def write_structure_outputs(folder: Path, described: Described, labels: pd.DataFrame, config,
                            per_atom: bool = True) -> dict:
    """features.parquet, per-atom labels (extxyz, ASE db), the site map; returns the structures metrics.
    ``per_atom`` False: not the per-atom files and shares (a sampled trajectory writes them for every frame)."""
    table = described.table
    table.frame.to_parquet(folder / "features.parquet", index=False)
    metrics = {"n_frames": len(described.frames), "n_centres": len(table),
               "descriptor": {"method": config.descriptor.method, "params": config.descriptor.params,
                              "species": described.descriptor.species, "n_features": len(table.feature_names)},
               "centers": config.centers.to_toml(), "descriptor_cache_hit": described.cached}
    if "cluster" not in labels and "anomaly" not in labels:
        return metrics
    if "atom" in labels:
        if not per_atom:
            return metrics
        write_atoms(folder, described, labels)
        if "cluster" in labels:
            metrics.update(write_cluster_fractions(folder, labels))
    elif "cluster" in labels:
        metrics.update(_site_outputs(folder, described, labels, config.name))
    return metrics


def write_atoms(folder: Path, described: Described, labels: pd.DataFrame, append: bool = False) -> None:
    """Every frame with per-atom ``cluster`` / ``anomaly`` arrays (-1: not a centre) in extxyz and an ASE db;
    ``append``: after the frames already there (a trajectory labelled chunk by chunk)."""
    import ase.db
    import ase.io

    images = []
    start = 0
    for frame, centres in zip(described.frames, described.centers):
        atoms = frame.atoms.copy()
        n = len(atoms) if centres is None else len(centres)
        rows = labels.iloc[start:start + n]
        start += n
        for column, missing in PER_ATOM_COLUMNS.items():
            if column in rows:
                values = np.full(len(atoms), missing, dtype=type(missing))
                values[rows["atom"].to_numpy()] = rows[column].to_numpy()
                atoms.arrays[column] = values
        atoms.info.update({"structure": frame.source, "frame": frame.index})
        images.append(atoms)
    ase.io.write(folder / "structures.extxyz", images, format="extxyz", append=append)
    with ase.db.connect(folder / "structures.db", append=append) as db:
        for atoms in images:
            db.write(atoms, structure=str(atoms.info["structure"]), frame=int(atoms.info["frame"]),
                     data={c: atoms.arrays[c] for c in PER_ATOM_COLUMNS if c in atoms.arrays})


def _site_outputs(folder: Path, described: Described, labels: pd.DataFrame, name: str) -> dict:
    """The site map of the first probe grid, and how purely clusters match site types (when known)."""
    from atomatlas.plots.structures import site_map

    out = {}
    atoms = described.frames[0].atoms
    first = labels[labels["frame"] == labels["frame"].iloc[0]]
    first = first[first["structure"] == first["structure"].iloc[0]]
    save_figure(folder, "site_map.png", site_map(atoms, first[["x", "y"]].to_numpy(), first["cluster"].to_numpy(),
                                                 title=name))
    if "site" in described.table.frame:
        from atomatlas.evaluate.sites import site_purity

        frame = described.table.frame
        out["site_purity"] = site_purity(frame["site"].to_numpy(), labels["cluster"].to_numpy(),
                                         frame["site_distance"].to_numpy())
    return out


def fractions(labels: pd.DataFrame, classes) -> pd.DataFrame:
    """The share of atoms of each class (labels' ``class``), one row per (structure, frame)."""
    counts = pd.crosstab([labels["structure"], labels["frame"]], labels["class"], normalize="index")
    return counts.reindex(columns=list(classes), fill_value=0.0).reset_index()


def cluster_fractions(labels: pd.DataFrame) -> pd.DataFrame:
    """The share of each cluster's atoms in every (structure, frame); clusters as "K: NAME" when named."""
    column = labels["cluster"].astype(str)
    if "cluster_name" in labels:
        column = column + ": " + labels["cluster_name"].astype(str)
    order = list(dict.fromkeys(column.to_numpy()[np.argsort(labels["cluster"].to_numpy(), kind="stable")]))
    return fractions(labels.assign(**{"class": column}), order)  # clusters for identify's classes


def write_cluster_fractions(folder: Path, labels: pd.DataFrame) -> dict:
    """cluster_fractions.csv, and for a trajectory (a file of several frames) cluster_fractions.png."""
    return write_fraction_table(folder, cluster_fractions(labels))


def write_fraction_table(folder: Path, shares: pd.DataFrame) -> dict:
    """cluster_fractions.csv of the shares, and cluster_fractions.png when a file holds several frames."""
    from atomatlas.plots.identify import fractions_figure
    from atomatlas.runs.folder import write_csv

    write_csv(folder / "cluster_fractions.csv", shares)
    out = {"fractions": "cluster_fractions.csv"}
    if shares.groupby("structure").size().max() > 1:
        classes = [c for c in shares.columns if c not in ("structure", "frame")]
        out["fractions_figure"] = save_figure(folder, "cluster_fractions.png", fractions_figure(shares, classes))
    return out


def write_atoms_in_order(folder: Path, frames, label_chunks, batch_atoms: int = 50_000) -> int:
    """structures.extxyz / .db of a run whose labels were written in chunks (a --scheduler run): the frames,
    read again in order, each given its own rows' per-atom labels (rows of a frame are consecutive, in the
    order of the frames); a frame without rows (unusable when described) is left out, as in memory. Holds one
    batch of frames and one chunk of labels; returns the frames written."""
    from types import SimpleNamespace

    def flush(batch: list, written: int) -> int:
        if batch:
            described = SimpleNamespace(frames=[f for f, _ in batch], centers=[rows["atom"] for _, rows in batch])
            write_atoms(folder, described, pd.concat([rows for _, rows in batch]), append=written > 0)
        return written + len(batch)

    groups = _frame_groups(label_chunks)
    group, batch, written = next(groups, None), [], 0
    for frame in frames:
        if group is None:
            break
        if group[0] != (str(frame.source), int(frame.index)):
            continue
        batch.append((frame, group[1]))
        group = next(groups, None)
        if sum(len(f.atoms) for f, _ in batch) >= batch_atoms:
            written, batch = flush(batch, written), []
    return flush(batch, written)


def _frame_groups(label_chunks):
    """((structure, frame), rows) for each run of consecutive rows of one frame, across the chunks."""
    carry = None
    for chunk in label_chunks:
        chunk = chunk if carry is None else pd.concat([carry, chunk], ignore_index=True)
        keys = chunk["structure"].astype(str).to_numpy() + "\x1f" + chunk["frame"].astype(str).to_numpy()
        bounds = [*np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]), len(chunk)]
        for start, end in zip(bounds[:-2], bounds[1:-1]):
            yield (str(chunk["structure"].iat[start]), int(chunk["frame"].iat[start])), chunk.iloc[start:end]
        carry = chunk.iloc[bounds[-2]:]
    if carry is not None and len(carry):
        yield (str(carry["structure"].iat[0]), int(carry["frame"].iat[0])), carry
