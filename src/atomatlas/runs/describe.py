"""Structures described as an environment table: frames -> centres -> descriptors -> Table.

The sections that say how (``[structures]``, ``[centers]``, ``[descriptor]``) live here,
so that a structure run and a prediction for one describe structures the same way.

The :class:`~atomatlas.io.tables.Table` has id columns ``structure``, ``frame`` and
``atom`` (atom centres, with ``species``, ``x``, ``y``, ``z``) or ``structure``,
``frame``, ``point``, ``x``, ``y``, ``z`` (probe points), plus one column per descriptor
feature; from there the table flow (runs/flow.py) is unchanged.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.io.structures import Frame, Skipped, nothing_usable, read_frames
from atomatlas.io.tables import Table
from atomatlas.runs.limits import check_generated, check_grid, check_structures
from atomatlas.runs.sections import check_keys, input_path, method_toml, split_method

LABELS = ("source", "site", "tag")  # id-like columns that may serve as the label set instead


@dataclass
class Described:
    """Structures turned into an environment table."""

    frames: list
    centers: list
    descriptor: object
    table: Table
    cached: bool


CENTER_KINDS = ("atoms", "species", "surface_grid")


@dataclass
class Structures:
    """``[structures]``: files or globs (any ASE format), built structures, thermal copies, a label set."""

    paths: list[str] = field(default_factory=list)
    build: list[dict] = field(default_factory=list)
    index: str = ":"
    format: str | None = None
    repeat: list[int] | None = None
    displacement: float = 0.0
    copies: int = 1
    label: str | None = None  # "source", "site" or "tag": score against it
    fit_frames: int | None = None  # fit on this many frames drawn by the seed, then label every frame (runs/trajectory.py)

    @classmethod
    def parse(cls, raw, base: Path | None) -> Structures:
        raw = raw or {}
        check_keys(raw, cls.__dataclass_fields__, "structures")
        out = cls(**copy.deepcopy(raw))
        out.paths = [input_path(p, base, "[structures] paths") for p in out.paths]
        if not out.paths and not out.build:
            raise AtlasError("config: [structures] needs paths = [files or globs] or build = [{kind = ...}].")
        if out.label not in (None, *LABELS):
            raise AtlasError(f"config: [structures] label must be one of {list(LABELS)}; got {out.label!r}.")
        displacement = out.displacement
        if isinstance(displacement, bool) or not isinstance(displacement, (int, float)) \
                or not 0 <= displacement < 1:  # NaN fails both comparisons
            raise AtlasError(f"config: [structures] displacement must be a number from 0 to 1 (x the nearest-"
                             f"neighbour distance); got {displacement!r}.")
        check_structures(out)
        _check_fit_frames(out)
        return out

    def to_toml(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _check_fit_frames(section: Structures) -> None:
    n = section.fit_frames
    if n is None:
        return
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise AtlasError(f"config: [structures] fit_frames must be a whole number >= 1 (frames to fit on); got {n!r}.")
    if section.build or section.repeat is not None or section.displacement or section.copies > 1:
        raise AtlasError("config: [structures] fit_frames samples the frames of files as they are read: drop "
                         "build, repeat, displacement and copies, or fit_frames.")


@dataclass
class Centers:
    """``[centers]``: every atom, atoms of chosen species, or an n x n probe grid ``height`` A above a surface."""

    kind: str = "atoms"
    species: list[str] = field(default_factory=list)
    n: int = 100
    height: float = 1.0
    endpoint: bool = True

    @classmethod
    def parse(cls, raw, label: str | None) -> Centers:
        raw = raw or {}
        check_keys(raw, cls.__dataclass_fields__, "centers")
        out = cls(**copy.deepcopy(raw))
        if out.kind not in CENTER_KINDS:
            raise AtlasError(f"config: [centers] kind must be atoms, species or surface_grid; got {out.kind!r}.")
        if out.kind == "species" and not out.species:
            raise AtlasError("config: [centers] kind = \"species\" needs species = [...] (on the command line: "
                             "--species).")
        if out.kind == "surface_grid":
            check_grid(out.n)
        if label in ("site", "tag") and (label == "site") != (out.kind == "surface_grid"):
            needs = "probe points (centers kind = surface_grid)" if label == "site" else "atom centres"
            raise AtlasError(f"config: label = {label!r} needs {needs}.")
        return out

    def to_toml(self) -> dict:
        return asdict(self)


DESCRIPTOR_KEYS = {"method": "soap", "n_jobs": 1, "cache": True}


@dataclass
class Descriptor:
    """``[descriptor]``: the method, its parameters, how many processes, and whether to use the cache."""

    method: str = "soap"
    n_jobs: int = 1
    cache: bool = True  # false: recompute and replace the cache entry
    params: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw) -> Descriptor:
        from atomatlas.descriptors.methods import DESCRIPTORS

        own, params = split_method(raw or {}, DESCRIPTOR_KEYS, DESCRIPTORS, "descriptor")
        out = cls(**own, params=params)
        out.build()  # refuses bad values before any structure is read
        return out

    def build(self):
        from atomatlas.descriptors.methods import make_descriptor

        return make_descriptor(self.method, self.params)

    def to_toml(self) -> dict:
        return method_toml({k: getattr(self, k) for k in DESCRIPTOR_KEYS}, self.params)


def load_frames(section, seed: int, skipped: list | None = None) -> list[Frame]:
    """Read the files and build the generated structures of a ``[structures]`` section; thermal copies when asked.

    With ``skipped`` (a list), unusable files and frames are recorded there and left out.
    """
    from atomatlas.datasets import resolve
    from atomatlas.datasets.structures import build, thermal_supercells

    frames = read_frames([resolve(p) for p in section.paths], index=section.index, format=section.format,
                         skipped=skipped) if section.paths else []
    for spec in section.build:
        spec = dict(spec)
        kind = spec.pop("kind", None)
        frames.append(Frame(atoms=build(kind, spec), source=kind, index=0))
    if section.repeat is not None or section.displacement or section.copies > 1:
        factor = section.copies * int(np.prod(section.repeat or (1, 1, 1)))
        check_generated(factor * sum(len(frame.atoms) for frame in frames), "[structures] repeat x copies")
        shaken = []
        for number, frame in enumerate(frames):
            shaken += thermal_supercells(frame.atoms, repeat=section.repeat or (1, 1, 1),
                                         displacement=section.displacement, copies=section.copies,
                                         seed=seed + number, source=frame.source)
        frames = shaken
    return frames


def frame_centers(frame: Frame, centers):
    """Centres of one frame: None (all atoms), atom indices or probe positions."""
    from atomatlas.descriptors.centers import species_centers, surface_grid

    if centers.kind == "atoms":
        return None
    if centers.kind == "species":
        return species_centers(frame.atoms, centers.species)
    return surface_grid(frame.atoms, n=centers.n, height=centers.height, endpoint=centers.endpoint)


def describe(config, seed: int, progress: bool = False, fitting: bool = True,
             skipped: list | None = None) -> Described:
    """Frames, centres and the environment Table of a structure run's config.

    ``fitting``: the rows will be clustered, so rows that are all alike are refused (new
    rows for a saved model may well be alike: every atom of a perfect crystal).
    """
    return describe_frames(config, load_frames(config.structures, seed, skipped), progress, fitting, skipped)


def describe_frames(config, frames: list[Frame], progress: bool = False, fitting: bool = True,
                    skipped: list | None = None, use_cache: bool = True) -> Described:
    """:func:`describe` of frames already read (a sample of a trajectory, or one chunk of it); ``use_cache``
    False: neither read nor write the descriptor cache (a long trajectory's chunks would fill it)."""
    from atomatlas.descriptors.cache import create_cached

    spec = config.descriptor
    descriptor = spec.build()
    if descriptor.averaged:
        raise AtlasError("average = 'inner'/'outer' gives one row per structure; environments are per atom: use "
                         "average = 'off' (averaged SOAP is available from Python, atomatlas.descriptors).")
    frames = _usable(frames, config.centers, descriptor, skipped)
    centers = [frame_centers(f, config.centers) for f in frames]
    use_centers = None if all(c is None for c in centers) else [
        np.arange(len(f.atoms)) if c is None else c for f, c in zip(frames, centers)]
    # cache = false recomputes and replaces the entry (a damaged or doubtful one is then gone)
    X, cached = create_cached(descriptor, [f.atoms for f in frames], use_centers, n_jobs=spec.n_jobs,
                              progress=progress, refresh=not spec.cache, cache="default" if use_cache else None)
    _check_rows(X, spec, fitting)
    ids = centre_ids(frames, centers, config.structures.label)
    frame = pd.concat([ids, pd.DataFrame(X, columns=descriptor.feature_names())], axis=1)
    table = Table(frame=frame, path=f"{len(frames)} structure(s)", id_columns=[c for c in ids.columns if c not in LABELS],
                  feature_names=descriptor.feature_names(), label_column=config.structures.label)
    return Described(frames=frames, centers=centers, descriptor=descriptor, table=table, cached=cached)


def _usable(frames: list[Frame], centers, descriptor, skipped: list | None) -> list[Frame]:
    """Frames the descriptor can describe at the chosen centres; the others skipped (or an error)."""
    descriptor.fit([f.atoms for f in frames])  # species from every frame, unless they were given
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
        raise nothing_usable(skipped) if skipped else AtlasError("no structure to describe.")
    return usable


def _check_rows(X: np.ndarray, spec, fitting: bool) -> None:
    """Descriptors that cannot tell any two environments apart, or are not numbers, end the run here."""
    if not np.isfinite(X).all():
        raise AtlasError(f"descriptor {spec.method!r} gave non-finite values ({spec.params}); check the "
                         "structures' coordinates and the descriptor parameters.")
    # rows equal up to rounding (a perfect crystal's atoms): clusters would only follow the round-off
    if fitting and len(X) > 1 and np.ptp(X, axis=0).max() <= 1e-9 * max(float(np.abs(X).max()), 1e-300):
        raise AtlasError(f"descriptor {spec.method!r} gives every environment the same row (parameters "
                         f"{spec.params}): every atom has the same surroundings (a perfect crystal?) or r_cut is "
                         "shorter than every neighbour distance; nothing to cluster: add other structures or raise r_cut.")


def centre_ids(frames, centers, label: str | None) -> pd.DataFrame:
    """Id columns of every centre: where it is, and (when asked) its site type, tag or source as a label."""
    from atomatlas.evaluate.sites import nearest_sites

    parts = []
    for f, c in zip(frames, centers):
        atoms = f.atoms
        if c is not None and np.asarray(c).ndim == 2:  # probe points
            part = pd.DataFrame({"structure": f.source, "frame": f.index, "point": np.arange(len(c)),
                                 "x": c[:, 0], "y": c[:, 1], "z": c[:, 2]})
            if label == "site":
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
    if label != "tag" and "tag" in ids:
        ids = ids.drop(columns="tag")
    if label != "source":
        ids = ids.drop(columns="source")
    return ids


@dataclass
class Description:
    """How structures are described: what ``describe`` needs of a structure run's config."""

    structures: Structures
    centers: Centers
    descriptor: Descriptor
    name: str = "predict"


def saved_description(descriptor: Descriptor, centers: Centers, species: list[str]) -> dict:
    """What model.json records so that new structures are described the same way (:func:`saved_config`)."""
    return {"descriptor": {"method": descriptor.method, "n_jobs": descriptor.n_jobs, "cache": descriptor.cache,
                           "params": descriptor.params}, "centers": centers.to_toml(), "species": species}


def saved_config(saved: dict, paths=(), build=()) -> Description:
    """New structures described with the descriptor (and species) a saved run was fit with."""
    params = {**saved["descriptor"]["params"], "species": saved["species"]}
    return Description(structures=Structures(paths=list(paths), build=list(build)),
                        centers=Centers(**saved["centers"]),
                        descriptor=Descriptor(method=saved["descriptor"]["method"],
                                              n_jobs=saved["descriptor"].get("n_jobs", 1),
                                              cache=saved["descriptor"].get("cache", True), params=params))


def describe_new(paths, build, saved: dict, seed: int = 0, skipped: list | None = None):
    """Environments of new structures, described as the saved run described its own; with ``skipped`` (a list)
    unusable files and frames are recorded there and left out."""
    return describe(saved_config(saved, paths, build), seed, fitting=False, skipped=skipped)
