"""From structures to a table of environments: frames -> centres -> descriptors -> Table.

The resulting :class:`~atomatlas.io.tables.Table` has id columns ``structure``,
``frame`` and ``atom`` (atom centres, with ``species``, ``x``, ``y``, ``z``) or
``structure``, ``frame``, ``point``, ``x``, ``y``, ``z`` (probe points), plus one column per
descriptor feature; from there the table flow (scale, reduce, cluster, evaluate) is
unchanged. :func:`write_structure_outputs` adds what only structures have: per-atom
labels in extxyz and an ASE database, a site map and representative environments.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.io.structures import Frame, read_frames
from atomatlas.io.tables import Table

STRUCTURE_KEYS = {"paths": [], "build": [], "index": ":", "format": None, "repeat": None, "displacement": 0.0,
                  "copies": 1, "label": None}
CENTER_KEYS = {"kind": "atoms", "species": [], "n": 100, "height": 1.0, "endpoint": True}
DESCRIPTOR_KEYS = {"method": "soap", "n_jobs": 1, "cache": True}
LABELS = ("source", "site", "tag")


@dataclass
class Described:
    """Structures turned into an environment table."""

    frames: list
    centers: list
    descriptor: object
    table: Table
    cached: bool


def normalise_structures(config: dict, base: Path | None) -> dict:
    """Check the [structures], [centers] and [descriptor] sections and fill in defaults."""
    from atomatlas import datasets
    from atomatlas.descriptors.base import DESCRIPTORS, _register
    from atomatlas.recipes.schema import _check_keys, _split_method

    structures = config.get("structures") or {}
    _check_keys(structures, STRUCTURE_KEYS, "structures")
    out = {**copy.deepcopy(STRUCTURE_KEYS), **structures}
    out["paths"] = [datasets.input_spec(p, base) for p in out["paths"]]
    if not out["paths"] and not out["build"]:
        raise AtlasError("config: [structures] needs paths = [files or globs] or build = [{kind = ...}].")
    if out["label"] not in (None, *LABELS):
        raise AtlasError(f"config: [structures] label must be one of {list(LABELS)}; got {out['label']!r}.")
    centers = config.get("centers") or {}
    _check_keys(centers, CENTER_KEYS, "centers")
    centers = {**copy.deepcopy(CENTER_KEYS), **centers}
    if centers["kind"] not in ("atoms", "species", "surface_grid"):
        raise AtlasError(f"config: [centers] kind must be atoms, species or surface_grid; got {centers['kind']!r}.")
    if centers["kind"] == "species" and not centers["species"]:
        raise AtlasError("config: [centers] kind = \"species\" needs species = [...] (on the command line: --species).")
    if (out["label"] == "site") != (centers["kind"] == "surface_grid") and out["label"] in ("site", "tag"):
        raise AtlasError(f"config: label = {out['label']!r} needs "
                         f"{'probe points (centers kind = surface_grid)' if out['label'] == 'site' else 'atom centres'}.")
    if not DESCRIPTORS.names():
        _register()
    descriptor = _split_method(config.get("descriptor") or {}, DESCRIPTOR_KEYS, DESCRIPTORS, "descriptor")
    DESCRIPTORS[descriptor["method"]].make(descriptor["params"])  # refuses bad values before any structure is read
    return {"structures": out, "centers": centers, "descriptor": descriptor}


def describe_new(paths, build, model_meta: dict, seed: int = 0) -> Described:
    """Environments of new structures with the descriptor (and species) a saved run was fit with."""
    saved = model_meta["structures"]
    config = {"structures": {**STRUCTURE_KEYS, "paths": list(paths), "build": list(build)},
              "centers": saved["centers"], "descriptor": {**saved["descriptor"],
                                                          "params": {**saved["descriptor"]["params"],
                                                                     "species": saved["species"]}}}
    return describe(config, seed, fitting=False)


def load_frames(section: dict, seed: int, skipped: list | None = None) -> list[Frame]:
    """Read the files and build the generated structures; thermal copies when asked.

    With ``skipped`` (a list), unusable files and frames are recorded there and left out.
    """
    from atomatlas.datasets.structures import bcc_fcc_stack, build_surface, point_defect, thermal_supercells

    builders = {"bcc_fcc_stack": bcc_fcc_stack, "point_defect": point_defect}

    from atomatlas.datasets import resolve

    frames = read_frames([resolve(p) for p in section["paths"]], index=section["index"], format=section["format"],
                         skipped=skipped) if section["paths"] else []
    for spec in section["build"]:
        spec = dict(spec)
        kind = spec.pop("kind", None)
        try:
            atoms = builders[kind](**spec) if kind in builders else build_surface(kind, **spec)
        except TypeError as exc:
            raise AtlasError(f"config: [structures] build {kind!r}: {exc}.") from exc
        frames.append(Frame(atoms=atoms, source=kind, index=0))
    if section["repeat"] is not None or section["displacement"] or section["copies"] > 1:
        shaken = []
        for number, frame in enumerate(frames):
            shaken += thermal_supercells(frame.atoms, repeat=section["repeat"] or (1, 1, 1),
                                         displacement=section["displacement"], copies=section["copies"],
                                         seed=seed + number, source=frame.source)
        frames = shaken
    return frames


def frame_centers(frame: Frame, centers: dict):
    """Centres of one frame: None (all atoms), atom indices or probe positions."""
    from atomatlas.descriptors.centers import species_centers, surface_grid

    if centers["kind"] == "atoms":
        return None
    if centers["kind"] == "species":
        return species_centers(frame.atoms, centers["species"])
    return surface_grid(frame.atoms, n=centers["n"], height=centers["height"], endpoint=centers["endpoint"])


def describe(config: dict, seed: int, progress: bool = False, fitting: bool = True,
             skipped: list | None = None) -> Described:
    """Frames, centres and the environment Table for a normalised structures config.

    ``fitting``: the rows will be clustered, so rows that are all alike are refused (new
    rows for a saved model may well be alike: every atom of a perfect crystal).
    """
    from atomatlas.descriptors.base import create_cached, make_descriptor

    spec = config["descriptor"]
    descriptor = make_descriptor(spec["method"], spec["params"])
    if descriptor.averaged:
        raise AtlasError("average = 'inner'/'outer' gives one row per structure; environments are per atom: use "
                         "average = 'off' (averaged SOAP is available from Python, atomatlas.descriptors).")
    frames = _usable(load_frames(config["structures"], seed, skipped), config["centers"], descriptor, skipped)
    centers = [frame_centers(f, config["centers"]) for f in frames]
    structures = [f.atoms for f in frames]
    use_centers = None if all(c is None for c in centers) else [
        np.arange(len(f.atoms)) if c is None else c for f, c in zip(frames, centers)]
    # cache = false recomputes and replaces the entry (a damaged or doubtful one is then gone)
    X, cached = create_cached(descriptor, structures, use_centers, n_jobs=spec["n_jobs"], progress=progress,
                              refresh=not spec["cache"])
    _check_rows(X, spec, fitting)
    ids = _ids(frames, centers, config)
    frame = pd.concat([ids, pd.DataFrame(X, columns=descriptor.feature_names())], axis=1)
    label = config["structures"]["label"]
    table = Table(frame=frame, path=f"{len(frames)} structure(s)",
                  id_columns=[c for c in ids.columns if c not in LABELS],
                  feature_names=descriptor.feature_names(), label_column=label)
    return Described(frames=frames, centers=centers, descriptor=descriptor, table=table, cached=cached)


def _usable(frames: list[Frame], centers: dict, descriptor, skipped: list | None) -> list[Frame]:
    """Frames the descriptor can describe at the chosen centres; the others skipped (or an error)."""
    from atomatlas.io.structures import Skipped

    if descriptor.species is None:
        descriptor.fit_species([f.atoms for f in frames])
    usable = []
    for frame in frames:  # before any work: a bad frame is named with its file and index
        where = f"{frame.source}, frame {frame.index}"
        try:
            descriptor.check_structure(frame.atoms, where)
            frame_centers(frame, centers)
        except AtlasError as exc:
            if skipped is None:
                raise
            text = str(exc)
            skipped.append(Skipped(frame.source, frame.index, text[len(where) + 2:] if text.startswith(where) else text))
            continue
        usable.append(frame)
    if not usable:
        from atomatlas.io.structures import nothing_usable

        raise nothing_usable(skipped) if skipped else AtlasError("no structure to describe.")
    return usable


def _check_rows(X: np.ndarray, spec: dict, fitting: bool) -> None:
    """Descriptors that cannot tell any two environments apart, or are not numbers, end the run here."""
    if not np.isfinite(X).all():
        raise AtlasError(f"descriptor {spec['method']!r} gave non-finite values ({spec['params']}); check the "
                         "structures' coordinates and the descriptor parameters.")
    # rows equal up to rounding (a perfect crystal's atoms): clusters would only follow the round-off
    if fitting and len(X) > 1 and np.ptp(X, axis=0).max() <= 1e-9 * max(float(np.abs(X).max()), 1e-300):
        raise AtlasError(f"descriptor {spec['method']!r} gives every environment the same row "
                         f"(parameters {spec['params']}): every atom has the same surroundings (a perfect crystal?) or r_cut is "
                         "shorter than every neighbour distance; nothing to cluster: add other structures or raise r_cut.")


def _ids(frames, centers, config) -> pd.DataFrame:
    from atomatlas.sites import nearest_sites

    parts = []
    for f, c in zip(frames, centers):
        atoms = f.atoms
        if c is not None and np.asarray(c).ndim == 2:  # probe points
            part = pd.DataFrame({"structure": f.source, "frame": f.index, "point": np.arange(len(c)),
                                 "x": c[:, 0], "y": c[:, 1], "z": c[:, 2]})
            if config["structures"]["label"] == "site":
                part["site"], part["site_distance"] = nearest_sites(atoms, c)
        else:
            index = np.arange(len(atoms)) if c is None else np.asarray(c)
            part = pd.DataFrame({"structure": f.source, "frame": f.index, "atom": index,
                                 "species": np.array(atoms.get_chemical_symbols())[index],
                                 "x": atoms.positions[index, 0], "y": atoms.positions[index, 1],
                                 "z": atoms.positions[index, 2]})
            part["tag"] = atoms.get_tags()[index]
        part["source"] = Path(f.source).stem
        parts.append(part)
    ids = pd.concat(parts, ignore_index=True)
    if config["structures"]["label"] != "tag" and "tag" in ids:
        ids = ids.drop(columns="tag")
    if config["structures"]["label"] != "source":
        ids = ids.drop(columns="source")
    return ids


def write_structure_outputs(folder: Path, described: Described, labels: pd.DataFrame, config: dict) -> dict:
    """features.parquet, per-atom labels (extxyz, ASE db), the site map; returns metrics."""
    table = described.table
    table.frame.to_parquet(folder / "features.parquet", index=False)
    metrics = {"n_frames": len(described.frames), "n_centres": len(table),
               "descriptor": {"method": config["descriptor"]["method"], "params": config["descriptor"]["params"],
                              "species": described.descriptor.species,
                              "n_features": len(table.feature_names)},
               "centers": config["centers"], "descriptor_cache_hit": described.cached}
    if "cluster" not in labels and "anomaly" not in labels:
        return metrics
    if "atom" in labels:
        _write_atoms(folder, described, labels)
    elif "cluster" in labels:
        metrics.update(_site_outputs(folder, described, labels, config))
    return metrics


# per-atom arrays written into structures.extxyz, with the value for atoms that are not centres
PER_ATOM_COLUMNS = {"cluster": -1, "anomaly": -1, "anomaly_score": float("nan")}


def _write_atoms(folder: Path, described: Described, labels: pd.DataFrame) -> None:
    """Every frame with per-atom ``cluster`` / ``anomaly`` arrays (-1: not a centre) in extxyz and an ASE db."""
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
        atoms.info.update({"source": frame.source, "frame": frame.index})
        images.append(atoms)
    ase.io.write(folder / "structures.extxyz", images, format="extxyz")
    with ase.db.connect(folder / "structures.db", append=False) as db:
        for atoms in images:
            db.write(atoms, source=str(atoms.info["source"]), frame=int(atoms.info["frame"]),
                     data={c: atoms.arrays[c] for c in PER_ATOM_COLUMNS if c in atoms.arrays})


def _site_outputs(folder: Path, described: Described, labels: pd.DataFrame, config: dict) -> dict:
    from atomatlas.runfiles import save_figure as _save_figure
    from atomatlas.plots.structures import site_map

    out = {}
    atoms = described.frames[0].atoms
    first = labels[labels["frame"] == labels["frame"].iloc[0]]
    first = first[first["structure"] == first["structure"].iloc[0]]
    _save_figure(folder, "site_map.png", site_map(atoms, first[["x", "y"]].to_numpy(), first["cluster"].to_numpy(),
                                                  title=config["name"]))
    if "site" in described.table.frame:
        from atomatlas.sites import site_purity

        frame = described.table.frame
        out["site_purity"] = site_purity(frame["site"].to_numpy(), labels["cluster"].to_numpy(),
                                         frame["site_distance"].to_numpy())
    return out
