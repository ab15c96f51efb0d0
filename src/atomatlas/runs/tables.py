"""A table run: table -> scale -> reduce -> cluster and/or flag anomalies -> evaluate -> run folder.

What ``atomatlas cluster``, ``reduce`` and ``anomalies`` (and recipes with a ``[data]``
table) run. Structure runs (runs/structures.py) describe structures into a table and
then run the same flow (runs/flow.py, :func:`~atomatlas.runs.flow.fit_flow`). Writes ``labels.csv`` (id columns in input
order, integer ``cluster``, -1 for noise, ``embedding_*`` for a reduction of at most 3
components), ``metrics.json``, ``config.toml``, figures and the saved model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from atomatlas.errors import AtlasError
from atomatlas.runs.anomalies import Anomaly
from atomatlas.runs.flow import check_components, fit_flow
from atomatlas.runs.folder import RunFolder, RunResult, write_record
from atomatlas.runs.labels import collect_labels
from atomatlas.runs.sections import (Cluster, DaskSection, Data, Evaluate, NewRows, RunHeader, Step, check_keys,
                                     evaluations, header, reduce_step, scale_step)

FLOW_KEYS = {"name", "description", "seed", "scale", "reduce", "cluster", "anomaly", "evaluate", "compare", "predict",
             "dask"}


@dataclass(kw_only=True)
class TableRun(RunHeader):
    """The sections of a table run (docs/recipes.md): what to read, and the flow it goes through."""

    data: Data | None = None
    scale: Step = field(default_factory=lambda: Step("standard"))
    reduce: Step | None = None
    cluster: Cluster | None = None
    anomaly: Anomaly | None = None
    evaluate: list[Evaluate] = field(default_factory=list)
    compare: list[Cluster] = field(default_factory=list)
    predict: NewRows | None = None
    dask: DaskSection | None = None  # fitted on a sample, every row labelled on Dask workers (runs/on_sample.py)

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> TableRun:
        check_keys(raw, FLOW_KEYS | {"data"}, "top level")
        if raw.get("data") is None:
            raise AtlasError("config: a [data] section with a path (or a [structures] section) is required.")
        run = cls(**header(raw), data=Data.parse(raw["data"], base))
        run.parse_flow(raw, base, structures=False)
        return run

    def parse_flow(self, raw: dict, base: Path | None, structures: bool) -> None:
        """The flow's sections, shared with structure runs."""
        self.scale, self.reduce = scale_step(raw.get("scale")), reduce_step(raw.get("reduce"))
        self.cluster = Cluster.parse(raw["cluster"], "cluster") if "cluster" in raw else None
        self.anomaly = Anomaly.parse(raw["anomaly"]) if "anomaly" in raw else None
        self.evaluate = evaluations(raw.get("evaluate", []), base)
        self.compare = [Cluster.parse(entry, f"compare {i + 1}") for i, entry in enumerate(raw.get("compare", []))]
        self.predict = NewRows.parse(raw["predict"], base, structures) if raw.get("predict") else None
        if self.cluster is not None and self.cluster.on is None:
            self.cluster.on = "reduced" if self.reduce is not None else "scaled"
        if self.cluster is not None and self.cluster.on == "reduced" and self.reduce is None:
            raise AtlasError("config: [cluster] on = \"reduced\" needs a [reduce] section.")
        if self.compare and self.cluster is None:
            raise AtlasError("config: [[compare]] needs a [cluster] section to compare with.")
        for entry in self.compare:
            entry.on = entry.on or self.cluster.on
        if raw.get("dask") is not None:
            self.dask = DaskSection.parse(raw["dask"])
            refuse_on_dask(self)

    def to_toml(self) -> dict:
        out = self.header_toml()
        if self.data is not None:
            out["data"] = self.data.to_toml()
        out["scale"] = self.scale.to_toml()
        for key in ("reduce", "cluster", "anomaly", "predict"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key).to_toml()
        out["evaluate"] = [entry.to_toml() for entry in self.evaluate]
        out["compare"] = [entry.to_toml() for entry in self.compare]
        if self.dask is not None:
            out["dask"] = self.dask.to_toml()
        return out


def run(config: TableRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Read the table, run the flow into the run folder ``out`` (atomically: all or nothing). With ``[dask]`` a
    run is runs/on_sample.py's instead (runs.run picks it)."""
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()  # before any work: a bad --out should not cost a long fit
    table = config.data.read()
    label_sets = collect_labels(config.evaluate, table)
    check_components(config.reduce, len(table), len(table.feature_names))
    with folder as tmp:
        labels, metrics = fit_flow(config, table, label_sets, tmp, progress)
        write_record(tmp, "table", metrics, config.to_toml())
        if config.predict is not None and config.cluster is not None:
            predict_new_rows(config.predict, tmp, labels)
    return RunResult(path=Path(out), labels=labels, metrics=metrics)


def refuse_on_dask(config) -> None:
    """What a run on a sample cannot do, refused in one line before any work."""
    if config.predict is not None:
        raise AtlasError("[predict] inside a --scheduler run is not available: run `atomatlas predict RUN NEW "
                         "--scheduler ...` after it.")
    if getattr(config, "data", None) is not None and config.data.drop_constant:
        raise AtlasError("--drop-constant is not available with --scheduler: leave constant columns out with "
                         "--exclude.")
    if config.cluster is None and config.anomaly is None:
        raise AtlasError("--scheduler labels rows: give a [cluster] or an [anomaly] section (a reduction alone "
                         "runs in memory).")


def predict_new_rows(new: NewRows, folder: Path, training: pd.DataFrame) -> None:
    """The ``[predict]`` section: the model just saved labels the new rows into ``predict/``."""
    from atomatlas.io.models import load_model
    from atomatlas.runs.predict import predict_into

    model, meta = load_model(folder)
    predict_into(model, meta, new.new_input(), folder / "predict", new.delimiter, training=training,
                 build=new.build)
