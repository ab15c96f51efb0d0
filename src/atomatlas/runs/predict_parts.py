"""``atomatlas predict --scheduler``: new rows or structures labelled by a saved model on Dask workers
(``runs.run`` picks this plan for a ``[predict]`` run with ``[dask]``: runs.ON_DASK).

Any saved cluster, anomaly or classifier model (of an in-memory run or a Dask run) labels
new inputs where they are, with the very function in-memory ``predict`` uses
(:func:`atomatlas.runs.predict.row_outputs`):

* a table (a parquet file, a folder of them or a CSV) is read lazily and labelled
  partition by partition;
* structure files are streamed frame by frame to the workers in chunks of about
  :data:`CHUNK_CENTRES` centres (runs/dask_stream.py), described there as the saved run
  described its own (its descriptor and species), labelled and written as one file of
  ``labels.parquet/``.

Up to ``LABELS_CSV_MAX_ROWS`` rows the parts are joined into ``labels.csv``; beyond,
``labels.parquet/`` stays. Counts and scores against a label column are summed over the
parts; the client never holds the rows. Not written by this path: the map figure and
structures.extxyz (in-memory ``predict`` draws and writes them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from atomatlas import __version__
from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunFolder, RunResult, write_record

CHUNK_CENTRES = 20_000
PARTS = "labels.parquet"


def count_key(meta: dict, model: dict) -> str:
    """The column whose counts a prediction reports: the class, the cluster or the anomaly flag."""
    if meta["kind"] == "classifier":
        return "predicted"
    return "cluster" if model["clusterer"] is not None else "anomaly"


def run(config, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Label ``config.paths`` with the saved run's model on Dask workers into the run folder ``out``."""
    from atomatlas.datasets import resolve
    from atomatlas.io.models import META_FILE, MODEL_FILE, load_model
    from atomatlas.io.structures import expand_paths
    from atomatlas.engine.executors import executor
    from atomatlas.engine.parts import file_stamps, partial_work

    model, meta = load_model(config.run)
    folder = RunFolder(out, overwrite=overwrite)
    folder.check()
    inputs = expand_paths(config.paths) if "structures" in meta else [resolve(p) for p in config.paths]
    identity = {"config": config.to_toml(), "chunk": CHUNK_CENTRES, "inputs": file_stamps(inputs),
                "model": file_stamps([Path(config.run) / name for name in (MODEL_FILE, META_FILE)])}
    with executor(config.dask, progress) as engine, folder as tmp, partial_work(folder.target, identity) as work:
        label_new = _structures if "structures" in meta else _table
        labels, metrics, skipped = label_new(config, model, meta, engine, tmp, progress, work)
        metrics["model"] = {k: meta.get(k) for k in ("kind", "atomatlas_version", "feature_names")}
        metrics["dask"] = engine.record(work)
        write_record(tmp, "predict", metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics, skipped=skipped)


def _summary(key: str, counts: pd.Series, flagged, model: dict, metrics: dict) -> None:
    """The counts block of metrics.json, named as in-memory predict names it."""
    counts = counts.sort_index()
    if key == "predicted":
        metrics["counts"] = {str(k): int(v) for k, v in counts.items()}
    elif key == "cluster":
        metrics["cluster_sizes"] = {int(k): int(v) for k, v in counts.items()}
    if model.get("anomaly") is not None:
        metrics["anomaly"] = {"threshold": model["anomaly"].threshold_, "n_flagged": int(flagged)}


def _table(config, model, meta, engine, folder: Path, progress: bool, work):
    import dask

    from atomatlas.datasets import resolve
    from atomatlas.io.lazy_tables import lazy_columns, read_lazy_table
    from atomatlas.runs.on_sample import evaluation_from_counts, label_partition, write_labelled

    if len(config.paths) != 1:
        raise AtlasError(f"{config.run} was fit on a table: give one table of new rows, not {len(config.paths)} "
                         "files.")
    path, features = resolve(config.paths[0]), meta["feature_names"]
    columns = lazy_columns(path, config.delimiter)
    missing = [c for c in features if c not in columns]
    if missing:
        raise AtlasError(f"{config.paths[0]}: lacks {len(missing)} feature column(s) the model was fit on, e.g. "
                         f"{missing[:3]}; give a table with the same feature columns.")
    label = meta.get("label_column") if meta.get("label_column") in columns else None
    table = read_lazy_table(path, features=features, label_column=label, delimiter=config.delimiter)
    keep = list(dict.fromkeys([*table.id_columns, *([label] if label else [])]))
    shipped = dask.delayed(model, pure=True)  # one key in the graph, not a copy per partition
    example = label_partition(table.head, features, keep, model, meta)
    labelled = table.frame.map_partitions(label_partition, features, keep, shipped, meta, meta=example.iloc[:0])
    key = count_key(meta, model)
    flag = "anomaly" if model.get("anomaly") is not None else None
    written, counts = write_labelled(labelled, key, label, table.id_columns, None, folder, flag_column=flag)
    metrics = {"atomatlas_version": __version__, "input": {"path": config.paths[0],
                                                           "n_rows": int(counts["sizes"].sum()),
                                                           "partitions": table.frame.npartitions},
               "labels_file": "labels.csv" if written is not None else PARTS}
    _summary(key, counts["sizes"], counts.get("flagged"), model, metrics)
    if label is not None and key == "cluster":
        metrics["evaluation"] = evaluation_from_counts(counts["pairs"], label, folder)
    elif label is not None and key == "predicted":
        right = sum(int(n) for (truth, found), n in counts["pairs"].items() if str(truth) == str(found))
        metrics["accuracy"] = right / int(counts["sizes"].sum())
    return written, metrics, []


def predict_part(frames: list, descriptor, centers, model: dict, meta: dict, key: str, path: str):
    """On a worker: one chunk of frames described, labelled and written to ``path``; returns (counts, flagged
    rows, rows)."""
    from atomatlas.runs.predict import row_outputs
    from atomatlas.engine.parts import write_part
    from atomatlas.runs.described_parts import described_table

    table = described_table(descriptor, frames, centers, None)
    outputs, _ = row_outputs(model, meta, table[meta["feature_names"]].to_numpy(dtype=float))
    out = pd.concat([table.drop(columns=meta["feature_names"]), outputs], axis=1)
    write_part(out, path)
    return summarise(out, key)


def summarise(labels: pd.DataFrame, key: str) -> tuple[dict, int, int]:
    """What a chunk's task returns, from its labels (also those of a chunk an interrupted run finished)."""
    flagged = int(labels["anomaly"].sum()) if "anomaly" in labels else 0
    return labels[key].value_counts().to_dict(), flagged, len(labels)


def _structures(config, model, meta, engine, folder: Path, progress: bool, work):
    from atomatlas.engine.executors import chunks
    from atomatlas.engine.parts import finite_columns
    from atomatlas.io.structures import iter_frames, nothing_usable
    from atomatlas.runs.describe import frame_centers, saved_config
    from atomatlas.runs.folder import join_parts
    from atomatlas.runs.described_parts import usable
    from atomatlas.runs.on_sample import LABELS_CSV_MAX_ROWS

    described = saved_config(meta["structures"], config.paths)
    descriptor = described.descriptor.build()
    descriptor.prepare()
    if descriptor.feature_names() != meta["feature_names"]:
        raise AtlasError(f"{config.run}: model.json's feature columns are not what its descriptor gives; the run "
                         "folder is damaged or was edited: rerun the fit.")
    skipped, key = [], count_key(meta, model)

    def size_of(frame) -> int:
        centres = frame_centers(frame, described.centers)
        return len(frame.atoms) if centres is None else len(centres)

    def finished(batch, part):
        def summarise_checked(labels):  # structure models cluster or flag: numbers only
            finite_columns(labels, [key])
            return summarise(labels, key)

        return work.finished_part(part, batch, sum(map(size_of, batch)), summarise_checked)

    frames = (frame for frame in iter_frames(config.paths, skipped=skipped)
              if usable(described, descriptor, frame, skipped))
    done = engine.map_chunks(predict_part, chunks(frames, size_of, CHUNK_CENTRES),
                             (engine.share(descriptor), described.centers, engine.share(model), meta, key),
                             part_path=work.part_path, desc="predict on the workers", progress=progress,
                             finished=finished)
    if not done:
        raise nothing_usable(skipped) if skipped else AtlasError("no structure to label.")
    parts = folder / PARTS
    work.adopt_parts(len(done), parts)
    counts = pd.DataFrame([c for c, _, _ in done]).fillna(0).sum().astype(np.int64)
    rows = sum(n for _, _, n in done)
    labels = join_parts(parts, folder) if rows <= LABELS_CSV_MAX_ROWS else None
    metrics = {"atomatlas_version": __version__, "input": {"path": ", ".join(config.paths), "n_rows": int(rows)},
               "labels_file": "labels.csv" if labels is not None else PARTS,
               "skipped": [vars(s) for s in skipped]}
    _summary(key, counts, sum(f for _, f, _ in done), model, metrics)
    return labels, metrics, skipped
