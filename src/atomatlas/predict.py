"""Labelling new rows or structures with a saved run (``atomatlas predict``)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from atomatlas import __version__, datasets
from atomatlas.errors import AtlasError
from atomatlas.io.models import load_model
from atomatlas.io.rundir import RunFolder
from atomatlas.io.tables import read_table
from atomatlas.pipeline import RunResult, evaluate_all
from atomatlas.runfiles import embedding_columns, save_figure, write_csv, write_json


def predict_config(run_dir: str | Path, path, delimiter: str | None = None, name: str = "predict") -> dict:
    """The config of a predict run: the saved run and the new input, as config.toml records them.

    ``atomatlas run OUT/config.toml`` repeats it from any working folder (paths are absolute,
    bundled inputs stay ``dataset:NAME``).
    """
    from atomatlas.datasets import input_spec

    paths = [path] if isinstance(path, (str, Path)) else list(path)
    return {"name": name, "seed": 0, "predict": {"run": os.path.abspath(run_dir),
                                                 "paths": [input_spec(str(p)) for p in paths],
                                                 "delimiter": delimiter}}


def predict_run(run_dir: str | Path, path, out: str | Path, *, overwrite: bool = False,
                delimiter: str | None = None) -> RunResult:
    """Label the rows of a new table (or new structures) with the model saved in ``run_dir``; write a run folder."""
    import tomli_w

    from atomatlas.recipes.schema import to_toml_dict

    config = predict_config(run_dir, path, delimiter)
    model, meta = load_model(run_dir)
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    training = None
    if (Path(run_dir) / "labels.csv").exists():
        training = pd.read_csv(Path(run_dir) / "labels.csv")
    new = config["predict"]["paths"]
    if "structures" not in meta and len(new) != 1:
        raise AtlasError(f"{run_dir} was fit on a table: give one table of new rows, not {len(new)} files.")
    with folder as tmp:
        frame, metrics = predict_into(model, meta, new if "structures" in meta else new[0], tmp, delimiter,
                                      training=training, mkdir=False)
        (tmp / "config.toml").write_text(tomli_w.dumps(to_toml_dict(config)))
    return RunResult(path=Path(out), labels=frame, metrics=metrics)


def predict_into(model: dict, meta: dict, path, folder: Path, delimiter=None, training=None, mkdir=True,
                  build=()):
    from atomatlas.io.tables import read_frame

    if mkdir:
        folder.mkdir()
    described = None
    features = meta["feature_names"]
    if "structures" in meta:  # a structure run: describe the new structures the same way
        from atomatlas.environments import describe_new

        paths = [str(p) for p in (path if isinstance(path, (list, tuple)) else [path] if path else [])]
        described = describe_new(paths, build, meta)
        table, label = described.table, None
        path = ", ".join(paths) or "built structures"
    else:
        path = str(path)
        file = datasets.resolve(path)
        columns = read_frame(file, delimiter).columns
        missing = [c for c in features if c not in columns]
        if missing:
            raise AtlasError(f"{path}: lacks {len(missing)} feature column(s) the model was fit on, e.g. "
                             f"{missing[:3]}; give a table with the same feature columns.")
        label = meta.get("label_column") if meta.get("label_column") in columns else None
        table = read_table(file, features=features, label_column=label, delimiter=delimiter, constant="keep")
    frame = table.ids.copy()
    metrics = {"atomatlas_version": __version__, "input": {"path": path, "n_rows": len(table)},
               "model": {k: meta.get(k) for k in ("kind", "atomatlas_version", "feature_names")}}
    if meta["kind"] == "classifier":
        classifier = model["classifier"]
        frame["predicted"] = classifier.predict(table.X)
        if hasattr(classifier, "predict_proba"):
            proba = classifier.predict_proba(table.X)
            frame["probability"] = proba.max(axis=1)
            for i, name in enumerate(classifier.classes_):
                frame[f"probability_{name}"] = proba[:, i]
        metrics["counts"] = frame["predicted"].value_counts().sort_index().to_dict()
        if label is not None:
            truth = table.labels.astype(str).to_numpy()
            metrics["accuracy"] = float((truth == frame["predicted"].to_numpy()).mean())
    else:
        X_scaled = model["scaler"].transform(table.X)
        embedding = model["reducer"].transform(X_scaled) if model["reducer"] is not None else None
        X_cluster = embedding if meta["cluster_on"] == "reduced" else X_scaled
        labels = None
        if model["clusterer"] is not None:
            labels = model["clusterer"].predict(X_cluster)
            frame["cluster"] = labels
            metrics["cluster_sizes"] = {int(k): int(v)
                                        for k, v in pd.Series(labels).value_counts().sort_index().items()}
            if label is not None:
                metrics["evaluation"] = evaluate_all({label: table.labels}, labels, folder)
        for name, values in embedding_columns(embedding).items():
            frame[name] = values
        if model.get("anomaly") is not None:
            from atomatlas.anomalies import flag_new

            metrics["anomaly"] = flag_new(model["anomaly"], X_scaled, frame)
        if labels is not None and embedding is not None and embedding.shape[1] >= 2 and training is not None:
            from atomatlas.plots.reduce import embedding_map

            fig = embedding_map(embedding, labels, title="new rows", axis_name=meta.get("reduce", "embedding"))
            if {"embedding_1", "embedding_2"} <= set(training.columns):
                for ax in fig.axes[:1]:
                    ax.scatter(training["embedding_1"], training["embedding_2"], s=6, color="#cccccc", zorder=0,
                               label="training rows")
            save_figure(folder, "map.png", fig)
    if described is not None and ("cluster" in frame or "anomaly" in frame):
        from atomatlas.environments import write_structure_outputs

        described.table.frame = frame.join(described.table.frame[features])
        metrics["structures"] = write_structure_outputs(folder, described, frame, {
            "name": "predict", "descriptor": meta["structures"]["descriptor"],
            "centers": meta["structures"]["centers"]})
    write_csv(folder / "labels.csv", frame)
    write_json(folder / "metrics.json", metrics)
    return frame, metrics
