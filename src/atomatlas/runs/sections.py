"""Config sections that several kinds of run share: typed, checked, every default explicit.

A run config (a recipe, a run folder's config.toml, or what a command builds from its
options) is a TOML table of sections. Each section here is a dataclass whose ``parse``
refuses unknown keys and bad values in one line, before any data is read, and whose
``to_toml`` writes it back the way a recipe writes it (method parameters beside
``method``). Sections that belong to one kind of run live in that run's module
(``[structures]`` in runs/structures.py, ``[label_few]`` in runs/label_few.py, ...).
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path

from atomatlas import datasets
from atomatlas.errors import AtlasError


def check_keys(section, allowed, where: str) -> None:
    """Refuse a section that is not a table, or that has keys the section does not know."""
    if not isinstance(section, dict):
        raise AtlasError(f"config: [{where}] must be a table of keys, got {section!r}.")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise AtlasError(f"config: unknown key {unknown[0]!r} in [{where}]; allowed: {sorted(allowed)}.")


def number(value, key: str, where: str, low: float, high: float, integer: bool = False, closed_low: bool = True):
    """``value`` if it is a number (an integer when asked) in [low, high] (or (low, high]); else a one-line error."""
    kind = int if integer else (int, float)
    ok = isinstance(value, kind) and not isinstance(value, bool) and (value >= low if closed_low else value > low) \
        and value <= high
    if not ok:
        bound = "[" if closed_low else "("
        raise AtlasError(f"config: [{where}] {key} must be {'an integer' if integer else 'a number'} in "
                         f"{bound}{low}, {high}]; got {value!r}.")
    return value


def input_path(value, base: Path | None, where: str) -> str:
    """An input as a config stores it: ``dataset:NAME`` kept, other paths made absolute (see datasets.input_spec)."""
    if not isinstance(value, str) or not value:
        raise AtlasError(f"config: {where} must be a file path (or dataset:NAME); got {value!r}.")
    return datasets.input_spec(value, base)


def split_method(raw, fixed: dict, registry, where: str) -> tuple[dict, dict]:
    """The section's own keys (with defaults) and its method parameters, checked against the method's registry."""
    if not isinstance(raw, dict):
        raise AtlasError(f"config: [{where}] must be a table of keys, got {raw!r}.")
    own = {key: raw.get(key, default) for key, default in fixed.items()}
    params = {key: value for key, value in raw.items() if key not in fixed}
    registry[own["method"]].check_params(params)
    return own, params


def method_toml(own: dict, params: dict) -> dict:
    """A method section as a recipe writes it: parameters beside ``method``, no None (TOML has no null)."""
    return {k: v for k, v in {**own, **params}.items() if v is not None}


@dataclass
class Step:
    """A step chosen by method name with its parameters: ``[scale]`` or ``[reduce]``."""

    method: str
    params: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw, default: str, registry, where: str) -> Step:
        own, params = split_method(raw, {"method": default}, registry, where)
        return cls(own["method"], params)

    def to_toml(self) -> dict:
        return method_toml({"method": self.method}, self.params)


def scale_step(raw) -> Step:
    from atomatlas.learn.scale import SCALERS

    return Step.parse(raw if raw is not None else {"method": "standard"}, "standard", SCALERS, "scale")


def reduce_step(raw) -> Step | None:
    from atomatlas.learn.reduce import REDUCERS

    return None if raw is None else Step.parse(raw, "pca", REDUCERS, "reduce")


@dataclass
class Data:
    """``[data]``: the table to read and which of its columns are ids, features and labels."""

    path: str
    id_columns: list[str] | None = None
    features: list[str] | None = None
    features_regex: str | None = None
    exclude: list[str] = field(default_factory=list)
    label_column: str | None = None
    delimiter: str | None = None
    drop_constant: bool = False

    @classmethod
    def parse(cls, raw, base: Path | None) -> Data:
        check_keys(raw, cls.__dataclass_fields__, "data")
        values = {**copy.deepcopy(raw), "path": input_path(raw.get("path"), base, "[data] path")}
        values["exclude"] = list(values.get("exclude") or [])
        return cls(**values)

    def read(self):
        """The validated Table (atomatlas.io.tables), its path shown as the user named it."""
        from atomatlas.io.tables import read_table

        table = read_table(datasets.resolve(self.path), id_columns=self.id_columns, features=self.features,
                           features_regex=self.features_regex, exclude=self.exclude,
                           label_column=self.label_column, delimiter=self.delimiter,
                           drop_constant=self.drop_constant)
        table.path = self.path
        return table

    def to_toml(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


CLUSTER_KEYS = {"method": "kmeans", "k": "auto", "select": "silhouette", "k_min": 2, "k_max": 10, "on": None,
                "name": None}


@dataclass
class Cluster:
    """``[cluster]`` or one ``[[compare]]`` entry: a clustering method, its k and its parameters."""

    method: str = "kmeans"
    k: int | str | None = "auto"
    select: str = "silhouette"
    k_min: int = 2
    k_max: int = 10
    on: str | None = None  # cluster the "reduced" rows or the "scaled" ones
    name: str | None = None
    params: dict = field(default_factory=dict)

    @classmethod
    def parse(cls, raw, where: str) -> Cluster:
        from atomatlas.learn.cluster import CLUSTERERS

        own, params = split_method(raw, CLUSTER_KEYS, CLUSTERERS, where)
        k = own["k"]
        if not (k == "auto" or k is None or (isinstance(k, int) and not isinstance(k, bool))):
            raise AtlasError(f"config: [{where}] k must be an integer or \"auto\"; got {k!r}.")
        if own["on"] not in (None, "reduced", "scaled"):
            raise AtlasError(f"config: [{where}] on must be \"reduced\" or \"scaled\"; got {own['on']!r}.")
        from atomatlas.runs.limits import check_restarts

        check_restarts(params, where)
        return cls(**own, params=params)

    def build(self, seed: int):
        """The unfitted AtlasCluster this section describes."""
        from atomatlas.learn.cluster import make_clusterer

        return make_clusterer(self.method, self.params, k=self.k, select=self.select, k_min=self.k_min,
                              k_max=self.k_max, random_state=seed)

    def label(self) -> str:
        return self.name or " ".join([self.method, *(f"{k}={v}" for k, v in self.params.items())])

    def to_toml(self) -> dict:
        return method_toml({k: getattr(self, k) for k in CLUSTER_KEYS}, self.params)


@dataclass
class Evaluate:
    """One ``[[evaluate]]`` entry: a label set to score against (a column of the table or of another file)."""

    column: str
    name: str
    labels: str | None = None  # another file holding the labels, joined on the columns ``on``
    on: list[str] | None = None
    transform: str = "none"

    @classmethod
    def parse(cls, raw, number_: int, base: Path | None) -> Evaluate:
        check_keys(raw, {"name", "labels", "on", "column", "transform"}, f"evaluate {number_}")
        if not raw.get("column"):
            raise AtlasError(f"config: [[evaluate]] entry {number_} needs a column (the label column).")
        labels = raw.get("labels")
        if labels is not None:
            labels = input_path(labels, base, f"[[evaluate]] {number_} labels")
            if not raw.get("on"):
                raise AtlasError(f"config: [[evaluate]] entry {number_} reads labels from another file and needs "
                                 "on = [join columns].")
        return cls(column=raw["column"], name=raw.get("name") or raw["column"], labels=labels,
                   on=list(raw["on"]) if raw.get("on") else None, transform=raw.get("transform", "none"))

    def to_toml(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def evaluations(raw, base: Path | None) -> list[Evaluate]:
    entries = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else []
    return [Evaluate.parse(entry, i + 1, base) for i, entry in enumerate(entries)]


@dataclass
class NewRows:
    """``[predict]`` of a fitting run: new rows (a table) or new structures (files or built) to label afterwards."""

    path: str | None = None
    delimiter: str | None = None
    paths: list[str] = field(default_factory=list)
    build: list[dict] = field(default_factory=list)

    @classmethod
    def parse(cls, raw, base: Path | None, structures: bool) -> NewRows:
        check_keys(raw, cls.__dataclass_fields__, "predict")
        out = cls(**copy.deepcopy(raw))
        if not structures:
            out.path = input_path(raw.get("path"), base, "[predict] path")
        else:
            out.paths = [input_path(p, base, "[predict] paths") for p in out.paths]
            if not out.paths and not out.build:
                raise AtlasError("config: [predict] for structures needs paths = [...] or build = [...].")
        return out

    def new_input(self):
        return self.path or self.paths

    def to_toml(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [])}


@dataclass(kw_only=True)
class RunHeader:
    """The name, description and seed every run config has; each run kind adds its sections."""

    name: str = "run"
    description: str = ""
    seed: int = 0

    def header_toml(self) -> dict:
        return {"name": self.name, "description": self.description, "seed": self.seed}


def header(raw: dict) -> dict:
    """The name, description and seed every config has."""
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise AtlasError(f"config: seed must be a non-negative integer; got {seed!r}.")
    return {"name": str(raw.get("name", "run")), "description": str(raw.get("description", "")), "seed": seed}


@dataclass
class DaskSection:
    """``[dask]``: where the work runs and how many rows choose k and start the clustering."""

    scheduler: str = "local"
    sample_size: int = 100_000
    workers: int | None = None  # local: worker processes (default: one per core)

    @classmethod
    def parse(cls, raw) -> DaskSection:
        check_keys(raw, cls.__dataclass_fields__, "dask")
        out = cls(**raw)
        if not isinstance(out.scheduler, str) or not out.scheduler:
            raise AtlasError("config: [dask] scheduler must be \"local\" or a scheduler address such as "
                             "\"tcp://host:8786\".")
        if isinstance(out.sample_size, bool) or not isinstance(out.sample_size, int) or out.sample_size < 100:
            raise AtlasError(f"config: [dask] sample_size must be an integer >= 100; got {out.sample_size!r}.")
        if out.workers is not None:
            from atomatlas.runs.limits import check_local_workers

            if out.scheduler != "local":
                raise AtlasError(f"config: [dask] workers sets the worker processes of scheduler = \"local\"; the "
                                 f"scheduler at {out.scheduler} has its own workers: drop workers (--workers).")
            check_local_workers(out.workers)
        return out

    def to_toml(self) -> dict:
        return {k: v for k, v in vars(self).items() if v is not None}
