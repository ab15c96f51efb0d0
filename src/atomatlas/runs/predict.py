"""A predict run (``atomatlas predict``): new rows or structures labelled by a saved run's model.

Cluster runs give each new row a cluster (and its place on the run's map), classifier
runs a class and its probability, anomaly runs a score and a flag by the saved threshold
(novelty detection). The run folder records ``[predict] run = SAVED, paths = [NEW]`` in
its config.toml, so ``atomatlas run OUT/config.toml`` repeats it from anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from atomatlas import __version__, datasets
from atomatlas.errors import AtlasError
from atomatlas.io.models import load_model
from atomatlas.io.tables import read_frame, read_table
from atomatlas.runs.folder import (RunFolder, RunResult, embedding_columns, save_figure, write_csv, write_metrics,
                                   write_record)
from atomatlas.runs.labels import evaluate_all
from atomatlas.runs.sections import check_keys, header, input_path


@dataclass
class PredictRun:
    """``[predict]`` with ``run``: which saved run labels which new inputs."""

    run: str
    paths: list[str]
    delimiter: str | None = None
    name: str = "predict"
    description: str = ""
    seed: int = 0
    build: list = field(default_factory=list)
    dask: object = None  # a sections.DaskSection: labelled on Dask workers (runs/predict_parts.py runs it: runs.ON_DASK)

    @classmethod
    def parse(cls, raw: dict, base: Path | None) -> PredictRun:
        from atomatlas.runs.sections import DaskSection

        check_keys(raw, {"name", "description", "seed", "predict", "dask"}, "top level of a predict config")
        section = raw["predict"]
        check_keys(section, {"run", "paths", "delimiter"}, "predict")
        paths = section.get("paths")
        if not isinstance(paths, list) or not paths:
            raise AtlasError("config: [predict] needs paths = [the new table or structure files].")
        run = section.get("run")
        if not isinstance(run, str) or not run:
            raise AtlasError(f"config: [predict] run must be the folder of a saved run; got {run!r}.")
        return cls(**header(raw), run=os.path.abspath(base / run if base is not None else run),
                   paths=[input_path(p, base, "[predict] paths") for p in paths], delimiter=section.get("delimiter"),
                   dask=DaskSection.parse(raw["dask"]) if raw.get("dask") is not None else None)

    @classmethod
    def of(cls, run_dir, new, delimiter: str | None = None, dask: dict | None = None) -> PredictRun:
        """The config of labelling ``new`` (a path or several) with the run saved in ``run_dir``; ``dask``: the
        ``[dask]`` section, to label on Dask workers."""
        from atomatlas.runs.sections import DaskSection

        paths = [new] if isinstance(new, (str, Path)) else list(new)
        return cls(run=os.path.abspath(run_dir), paths=[input_path(str(p), None, "new input") for p in paths],
                   delimiter=delimiter, dask=DaskSection.parse(dask) if dask else None)

    def to_toml(self) -> dict:
        predict = {"run": self.run, "paths": self.paths}
        if self.delimiter is not None:
            predict["delimiter"] = self.delimiter
        out = {"name": self.name, "seed": self.seed, "predict": predict}
        return {**out, "dask": self.dask.to_toml()} if self.dask is not None else out


def run(config: PredictRun, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    model, meta = load_model(config.run)
    if "structures" not in meta and len(config.paths) != 1:
        raise AtlasError(f"{config.run} was fit on a table: give one table of new rows, not {len(config.paths)} files.")
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    training_labels = Path(config.run) / "labels.csv"
    training = pd.read_csv(training_labels) if training_labels.exists() else None
    new = config.paths if "structures" in meta else config.paths[0]
    skipped = [] if "structures" in meta else None  # a batch of structure files: a bad one is skipped and named
    with folder as tmp:
        frame, metrics = predict_into(model, meta, new, tmp, config.delimiter, training=training, mkdir=False,
                                      skipped=skipped)
        write_record(tmp, "predict", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=frame, metrics=metrics, skipped=skipped or [])


def _new_table(meta: dict, path, delimiter, build, skipped=None):
    """The new rows as a Table (structures described as the saved run described its own): (table, label, described)."""
    features = meta["feature_names"]
    if "structures" in meta:
        from atomatlas.runs.describe import describe_new

        paths = [str(p) for p in (path if isinstance(path, (list, tuple)) else [path] if path else [])]
        described = describe_new(paths, build, meta["structures"], skipped=skipped)
        described.table.path = ", ".join(paths) or "built structures"
        return described.table, None, described
    path = str(path)
    file = datasets.resolve(path)
    columns = read_frame(file, delimiter).columns
    missing = [c for c in features if c not in columns]
    if missing:
        raise AtlasError(f"{path}: lacks {len(missing)} feature column(s) the model was fit on, e.g. "
                         f"{missing[:3]}; give a table with the same feature columns.")
    label = meta.get("label_column") if meta.get("label_column") in columns else None
    table = read_table(file, features=features, label_column=label, delimiter=delimiter, constant="keep")
    table.path = path
    return table, label, None


def predict_into(model: dict, meta: dict, path, folder: Path, delimiter=None, training=None, mkdir=True,
                 build=(), skipped: list | None = None) -> tuple[pd.DataFrame, dict]:
    """Label the new input with a loaded model into ``folder``: labels.csv, metrics.json, map, structures.
    ``skipped`` (a list): structure files and frames that cannot be used are recorded there and left out."""
    if mkdir:
        folder.mkdir()
    table, label, described = _new_table(meta, path, delimiter, build, skipped)
    frame = table.ids.copy()
    metrics = {"atomatlas_version": __version__, "input": {"path": table.path, "n_rows": len(table)},
               "model": {k: meta.get(k) for k in ("kind", "atomatlas_version", "feature_names")}}
    if skipped:
        metrics["skipped"] = [vars(s) for s in skipped]
    if meta["kind"] == "classifier":
        _classify(model, table, label, frame, metrics)
    else:
        _cluster(model, meta, table, label, frame, metrics, folder, training)
    if described is not None and ("cluster" in frame or "anomaly" in frame):
        from atomatlas.runs.describe import saved_config
        from atomatlas.runs.structure_outputs import write_structure_outputs

        described.table.frame = frame.join(described.table.frame[meta["feature_names"]])
        metrics["structures"] = write_structure_outputs(folder, described, frame, saved_config(meta["structures"]))
    write_csv(folder / "labels.csv", frame)
    write_metrics(folder, "predict", metrics)
    return frame, metrics


def row_outputs(model: dict, meta: dict, X) -> tuple[pd.DataFrame, object]:
    """(the columns a prediction writes beside the ids, the embedding or None) of the new rows ``X``: the same
    row by row in memory and on Dask workers (runs/predict_parts.py)."""
    out, embedding = {}, None
    if meta["kind"] == "classifier":
        classifier = model["classifier"]
        out["predicted"] = classifier.predict(X)
        if hasattr(classifier, "predict_proba"):
            proba = classifier.predict_proba(X)
            out["probability"] = proba.max(axis=1)
            out.update({f"probability_{name}": proba[:, i] for i, name in enumerate(classifier.classes_)})
        return pd.DataFrame(out), None
    X_scaled = model["scaler"].transform(X)
    embedding = model["reducer"].transform(X_scaled) if model["reducer"] is not None else None
    if model["clusterer"] is not None:
        from atomatlas.learn.merged_mixture import assignment_uncertainty

        clustered = embedding if meta["cluster_on"] == "reduced" else X_scaled
        out["cluster"] = model["clusterer"].predict(clustered)
        uncertainty = assignment_uncertainty(getattr(model["clusterer"], "estimator_", None), clustered)
        if uncertainty is not None:  # as the fit wrote it: 0 at a cluster's heart, 1 a tie
            out["cluster_uncertainty"] = uncertainty
    out.update(embedding_columns(embedding))
    if model.get("anomaly") is not None:
        detector = model["anomaly"]
        out["anomaly_score"] = detector.oddness(X_scaled)
        out["anomaly"] = (detector.predict(X_scaled) == -1).astype(int)
    return pd.DataFrame(out), embedding


def _classify(model, table, label, frame: pd.DataFrame, metrics: dict) -> None:
    outputs, _ = row_outputs(model, {"kind": "classifier"}, table.X)
    for name in outputs.columns:
        frame[name] = outputs[name].to_numpy()
    metrics["counts"] = frame["predicted"].value_counts().sort_index().to_dict()
    if label is not None:
        truth = table.labels.astype(str).to_numpy()
        metrics["accuracy"] = float((truth == frame["predicted"].to_numpy()).mean())


def _cluster(model: dict, meta: dict, table, label, frame: pd.DataFrame, metrics: dict, folder: Path,
             training) -> None:
    """Clusters (and anomaly flags) of the new rows, scored against their labels when they have them."""
    outputs, embedding = row_outputs(model, meta, table.X)
    for name in outputs.columns:
        frame[name] = outputs[name].to_numpy()
    labels = frame["cluster"].to_numpy() if "cluster" in frame else None
    if labels is not None:
        metrics["cluster_sizes"] = {int(k): int(v) for k, v in pd.Series(labels).value_counts().sort_index().items()}
        if label is not None:
            metrics["evaluation"] = evaluate_all({label: table.labels}, labels, folder)
    if model.get("anomaly") is not None:
        metrics["anomaly"] = {"threshold": model["anomaly"].threshold_, "n_flagged": int(frame["anomaly"].sum())}
    if labels is not None and embedding is not None and embedding.shape[1] >= 2 and training is not None:
        _map(embedding, labels, training, meta, folder)


def _map(embedding, labels, training: pd.DataFrame, meta: dict, folder: Path) -> None:
    """The new rows on the run's map, the training rows in grey behind them."""
    from atomatlas.plots.reduce import embedding_map

    fig = embedding_map(embedding, labels, title="new rows", axis_name=meta.get("reduce", "embedding"))
    if {"embedding_1", "embedding_2"} <= set(training.columns):
        for ax in fig.axes[:1]:
            ax.scatter(training["embedding_1"], training["embedding_2"], s=6, color="#cccccc", zorder=0,
                       label="training rows")
    save_figure(folder, "map.png", fig)
