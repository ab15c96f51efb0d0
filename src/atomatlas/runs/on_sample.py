"""A table beyond memory (or a structure run's features, described on the workers): checked over every row,
fitted by the table flow on a seeded sample of its rows, then every row labelled where it is.

What a ``[dask]`` section makes of a table or structure run: the same config class and the
same flow (:func:`atomatlas.runs.flow.fit_flow`), fitted on at most ``[dask] sample_size``
rows drawn uniformly with the run's seed. So every scaler, reduction, clusterer, anomaly
detector and ``[[compare]]`` entry of an in-memory run works here, and the saved model is an
in-memory run's. One pass over all rows first refuses missing, infinite, huge and constant
features as in-memory tables are refused; after the fit, the saved model labels every
partition on the workers with ``predict``'s row function
(:func:`atomatlas.runs.predict.row_outputs`), placing each row on the sample's map.
``labels.csv`` (and map.csv) up to :data:`LABELS_CSV_MAX_ROWS` rows, ``labels.parquet/``
(one file per partition, written by the workers) beyond. Cluster sizes, anomaly counts and
the scores against the label column come from counts over every row; what needs every pair
of rows (k selection, silhouettes, dendrograms, ``[[compare]]``), the figures and
representatives.csv are the sample's, as ``metrics.json`` ``fit_on`` records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


LABELS_CSV_MAX_ROWS = 1_000_000  # beyond, labels.parquet/ written by the workers


def fit_on_sample(config, lazy, folder: Path, progress: bool, *, allow_constant: bool = False,
                  model_extra: dict | None = None, annotate=None, extra_columns=()):
    """Check every row, fit the flow on the seeded sample into ``folder``; returns (the sample as a Table, its
    rows' labels, metrics). ``annotate(sample)``: fit_flow's annotate step for that sample; ``extra_columns``:
    columns of the sample kept beside its ids and features (for ``annotate``)."""
    from atomatlas.io.lazy_tables import feature_statistics
    from atomatlas.runs.labels import collect_labels
    from atomatlas.runs.flow import check_components, fit_flow

    X = lazy.X()
    first = lazy.head[lazy.feature_names].to_numpy(dtype=float)  # rows already read; any rough mean will do
    stats = feature_statistics(lazy, X, shift=np.where(np.isfinite(first), first, 0.0).mean(axis=0),
                               allow_constant=allow_constant)
    sample, rows = sample_table(lazy, X, min(config.dask.sample_size, stats["rows"]), config.seed, extra_columns)
    label_sets = collect_labels(config.evaluate, sample)
    check_components(config.reduce, len(sample), len(sample.feature_names))
    frame, metrics = fit_flow(config, sample, label_sets, folder, progress, model_extra=model_extra,
                              annotate=annotate(sample) if annotate is not None else None)
    _rows_of_the_input(folder, rows)
    metrics["input"].update(path=lazy.path, n_rows=stats["rows"], partitions=lazy.frame.npartitions)
    metrics["fit_on"] = {"rows": len(sample), "of": stats["rows"], "seed": config.seed,
                         "what": "the fit, k selection, silhouettes, [[compare]], the figures and representatives; "
                                 "labels, sizes, counts and scores against the label column cover every row"}
    return sample, frame, metrics


def sample_table(lazy, X, size: int, seed: int, extra_columns=()):
    """(an in-memory Table of ``size`` rows drawn uniformly with ``seed``, their positions in the input)."""
    import dask

    from atomatlas.io.tables import Table

    lengths = np.asarray(X.chunks[0])
    rows = np.sort(np.random.default_rng(seed).choice(int(lengths.sum()), size, replace=False))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    columns = list(dict.fromkeys([*lazy.id_columns, *lazy.feature_names, *extra_columns,
                                  *([lazy.label_column] if lazy.label_column else [])]))
    parts = []
    for part, start, length in zip(lazy.frame.to_delayed(), starts, lengths):
        chosen = rows[(rows >= start) & (rows < start + length)] - start
        if len(chosen):
            parts.append(dask.delayed(_take_rows)(part, columns, chosen))
    frame = pd.concat(dask.compute(*parts), ignore_index=True)
    ids = list(lazy.id_columns)
    if not ids:  # rows known by their position in the input, as labels.csv numbers them
        frame.insert(0, "row", rows)
        ids = ["row"]
    return Table(frame=frame, path=lazy.path, id_columns=ids, feature_names=list(lazy.feature_names),
                 label_column=lazy.label_column), rows


def _take_rows(part: pd.DataFrame, columns: list, chosen: np.ndarray) -> pd.DataFrame:
    return part[columns].iloc[chosen]


def _rows_of_the_input(folder: Path, rows: np.ndarray) -> None:
    """representatives.csv and diverse.csv number rows in the sample: renumber them in the input."""
    for name in ("representatives.csv", "diverse.csv"):
        path = folder / name
        if path.exists():
            from atomatlas.runs.folder import write_csv

            table = pd.read_csv(path)
            table["input_row"] = rows[table["input_row"].to_numpy()]
            write_csv(path, table)


class MapPlace:
    """Rows placed on the fitted map: the reduction's first two axes, or the principal components the map of a
    run without a reduction is drawn on (fitted on the rows the flow saw)."""

    def __init__(self, model: dict, meta: dict, fitted_X: np.ndarray):
        self.scaler, self.reducer = model["scaler"], None
        if len(meta["embedding_columns"]) >= 2:
            self.reducer = model["reducer"]
        else:
            from atomatlas.runs.flow import view_pca

            self.reducer = view_pca(self.scaler.transform(fitted_X))

    def __call__(self, X: np.ndarray) -> pd.DataFrame | None:
        view = self.reducer.transform(self.scaler.transform(X))
        if view.shape[1] < 2:
            return None
        return pd.DataFrame({"map_1": view[:, 0], "map_2": view[:, 1]})


def label_partition(part: pd.DataFrame, features: list, keep: list, model: dict, meta: dict,
                    names: dict | None = None, place: MapPlace | None = None) -> pd.DataFrame:
    """One partition's ids (and label column) with the prediction's columns beside them; ``names``: {cluster:
    name} for a ``cluster_name`` column; ``place``: the map's columns too."""
    from atomatlas.runs.predict import row_outputs

    out = part[keep].copy()
    if not len(part):
        return out
    X = part[features].to_numpy(dtype=float)
    outputs, _ = row_outputs(model, meta, X)
    for name in outputs.columns:
        out[name] = outputs[name].to_numpy()
    if names is not None and "cluster" in out:
        out["cluster_name"] = out["cluster"].astype(str).map(names).fillna("noise")
    if place is not None and (view := place(X)) is not None:
        out["map_1"], out["map_2"] = view["map_1"].to_numpy(), view["map_2"].to_numpy()
    return out


def label_every_row(lazy, folder: Path, sample, metrics: dict, by_frame: bool = False):
    """Every row labelled by the model saved in ``folder``; the counts over every row into ``metrics``;
    returns the labels frame (None beyond LABELS_CSV_MAX_ROWS rows) and, with ``by_frame``, the
    (structure, frame, cluster) counts."""
    import dask

    from atomatlas.io.models import load_model

    model, meta = load_model(folder)
    names = {k: r["name"] for k, r in metrics.get("cluster", {}).get("names", {}).items()} or None
    place = MapPlace(model, meta, sample.X) if "map" in metrics else None
    keep = list(dict.fromkeys([*lazy.id_columns, *([lazy.label_column] if lazy.label_column else [])]))
    shipped = dask.delayed(model, pure=True)  # one key in the graph, not a copy per partition
    example = label_partition(lazy.head, lazy.feature_names, keep, model, meta, names, place)
    labelled = lazy.frame.map_partitions(label_partition, lazy.feature_names, keep, shipped, meta, names, place,
                                         meta=example.iloc[:0])
    key = "cluster" if "cluster" in example else "anomaly"
    flag = "anomaly" if "anomaly" in example else None
    written, counts = write_labelled(labelled, key, lazy.label_column, lazy.id_columns,
                                     metrics["input"]["n_rows"], folder, flag_column=flag, by_frame=by_frame)
    _counted(metrics, key, counts, lazy.label_column, folder)
    if not (folder / "map.csv").exists():
        metrics.pop("map", None)
    metrics["labels_file"] = "labels.csv" if written is not None else "labels.parquet"
    return written, counts.get("frames")


def _counted(metrics: dict, key: str, counts: dict, label: str | None, folder: Path) -> None:
    """metrics.json's sizes, flags and scores, over every row."""
    if key == "cluster":
        sizes = counts["sizes"].sort_index()
        metrics["cluster"]["cluster_sizes"] = {int(k): int(v) for k, v in sizes.items()}
        metrics["cluster"]["n_noise"] = int(sizes[sizes.index < 0].sum())
        if label:
            metrics.setdefault("evaluation", {}).update(evaluation_from_counts(counts["pairs"], label, folder))
    if "flagged" in counts:
        metrics["anomaly"]["n_flagged"] = int(counts["flagged"])


def write_labelled(labelled, key: str, label_column: str | None, id_columns: list, rows: int | None, folder: Path,
                   flag_column: str | None = None, by_frame: bool = False):
    """Write the lazily labelled rows and count them, reading and labelling them once: labels.csv (and map.csv)
    up to LABELS_CSV_MAX_ROWS rows, else labels.parquet/ written by the workers (the label column and the map
    left out; ``rows`` None: not known beforehand, so the workers write the parts, joined when they are few).
    Returns (the labels frame or None, {"sizes", "pairs" (label, key), "flagged", "frames"} counts)."""
    import dask

    from atomatlas.runs.folder import join_parts, write_csv

    wanted = {"sizes": labelled[key].value_counts()}
    if label_column:
        wanted["pairs"] = labelled.groupby([label_column, key]).size()
    if flag_column:
        wanted["flagged"] = labelled[flag_column].sum()
    if by_frame:
        wanted["frames"] = labelled.groupby(["structure", "frame", key]).size()
    mapped = [c for c in ("map_1", "map_2") if c in labelled.columns]
    small = rows is not None and rows <= LABELS_CSV_MAX_ROWS
    wanted["labels"] = labelled if small else labelled.drop(
        columns=[label_column] * bool(label_column) + mapped).to_parquet(
        folder / "labels.parquet", write_index=False, compute=False, name_function=lambda i: f"part-{i:06d}.parquet")
    done = dict(zip(wanted, dask.compute(*wanted.values())))  # one graph: the rows are read and labelled once
    written = done.pop("labels")
    if small:
        written = written.reset_index(drop=True)
        columns = [c for c in written.columns if c != label_column and c not in mapped]
        if mapped:
            _write_map(folder, written, label_column)
        written = written[columns] if id_columns else pd.concat(
            [pd.DataFrame({"row": np.arange(len(written))}), written[columns]], axis=1)
        write_csv(folder / "labels.csv", written)
    elif rows is None and int(done["sizes"].sum()) <= LABELS_CSV_MAX_ROWS:
        written = join_parts(folder / "labels.parquet", folder)
    else:
        written = None
        for stale in ("labels.csv", "map.csv"):  # the sample's, which the fit wrote
            (folder / stale).unlink(missing_ok=True)
    return written, done


def _write_map(folder: Path, written: pd.DataFrame, label_column: str | None) -> None:
    from atomatlas.runs.folder import write_csv

    table = written[["map_1", "map_2"]].copy()
    if label_column:
        table[f"label:{label_column}"] = written[label_column].to_numpy(dtype=object)
    write_csv(folder / "map.csv", table)


def evaluation_from_counts(counts, label_column: str, folder: Path) -> dict:
    """Scores against the label column from (label, cluster) counts; contingency_LABEL.csv."""
    from atomatlas.evaluate.clusters import evaluate_contingency
    from atomatlas.runs.folder import write_csv

    contingency = counts.unstack(fill_value=0).sort_index(axis=0).sort_index(axis=1)
    contingency.index = contingency.index.astype(str)
    write_csv(folder / f"contingency_{label_column}.csv", contingency.rename_axis("class").reset_index())
    return {label_column: evaluate_contingency(contingency)}


def run_table(config, out, *, overwrite: bool = False, progress: bool = False):
    """A ``[data]`` table with ``[dask]``: read lazily, fitted on a sample, every row labelled on the workers."""
    from atomatlas.datasets import resolve
    from atomatlas.engine.executors import executor
    from atomatlas.io.lazy_tables import read_lazy_table
    from atomatlas.runs.folder import RunFolder, RunResult, write_record

    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    data = config.data
    with executor(config.dask, progress) as engine, folder as tmp:
        lazy = read_lazy_table(resolve(data.path), id_columns=data.id_columns, features=data.features,
                               features_regex=data.features_regex, exclude=data.exclude,
                               label_column=data.label_column, delimiter=data.delimiter)
        lazy.path = data.path
        sample, _, metrics = fit_on_sample(config, lazy, tmp, progress)
        labels, _ = label_every_row(lazy, tmp, sample, metrics)
        metrics["dask"] = engine.record()
        write_record(tmp, "table", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics)
