"""``atomatlas identify --scheduler``: every atom of a trajectory labelled on Dask workers.

The files are streamed frame by frame to the workers in chunks of about
:data:`CHUNK_ATOMS` atoms (runs/dask_stream.py); the model is sent to every worker once.
Each worker labels its chunk as in-memory ``identify`` does (local order, the atom
ensemble) and writes it as one file of ``labels.parquet/``; only each frame's class
fractions come back. Up to ``LABELS_CSV_MAX_ROWS`` atoms the parts are then joined into
``labels.csv`` (as in-memory runs write it); beyond, ``labels.parquet/`` stays.
structures.extxyz is not written by this path.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from atomatlas import __version__
from atomatlas.errors import AtlasError
from atomatlas.runs.folder import RunFolder, RunResult, save_figure, write_csv, write_record

CHUNK_ATOMS = 50_000


def label_part(frames: list, model, classes: list, path: str) -> tuple[pd.DataFrame, dict, int]:
    """On a worker: one chunk labelled and written to ``path``; returns (fractions per frame, counts, atoms)."""
    from atomatlas.runs.identify import label_atoms

    from atomatlas.runs.resume import write_part

    labels, _ = label_atoms(frames, model, classes)
    write_part(labels, path)
    return summarise(labels, classes)


def summarise(labels: pd.DataFrame, classes: list, checked: bool = False) -> tuple[pd.DataFrame, dict, int]:
    """What a chunk's task returns, from its labels (also those of a chunk an interrupted run finished: then
    ``checked``, the classes and probabilities are checked first, raising ValueError)."""
    from atomatlas.runs.structure_outputs import fractions
    from atomatlas.runs.resume import finite_columns

    if checked:
        finite_columns(labels, ["probability"])
        if not labels["class"].isin(classes).all():
            raise ValueError("unknown classes")

    return fractions(labels, classes), labels["class"].value_counts().to_dict(), len(labels)


def run(config, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """An ``[identify]`` run: on Dask workers when it has a ``[dask]`` section, else in this process."""
    from atomatlas.runs import identify

    if config.dask is None:
        return identify.run(config, out, overwrite=overwrite, progress=progress)
    return identify_on_workers(config, out, overwrite=overwrite, progress=progress)


def identify_on_workers(config, out, *, overwrite: bool = False, progress: bool = False) -> RunResult:
    """Label every atom on the workers; labels.csv (or labels.parquet/), fractions.csv and fractions.png."""
    from atomatlas.io.structures import expand_paths, iter_frames, nothing_usable
    from atomatlas.plots.identify import fractions_figure
    from atomatlas.runs.dask_stream import join_parts, stream_to_workers
    from atomatlas.runs.identify import load_model
    from atomatlas.runs.resume import file_stamps, partial_work
    from atomatlas.runs.scale_out import LABELS_CSV_MAX_ROWS, connected, dask_record, quiet_dask

    settings = config.identify
    folder = RunFolder(out, overwrite=overwrite, kind="identify")
    folder.check()
    model, meta = load_model(settings.model)
    classes, skipped = meta["classes"], []
    identity = {"config": config.to_toml(), "chunk": CHUNK_ATOMS, "inputs": file_stamps(expand_paths(settings.paths)),
                "model": file_stamps([settings.model]) if settings.model else "shipped"}
    with (quiet_dask(), connected(config.dask, progress) as client, folder as tmp,
          partial_work(folder.target, identity) as work):
        shipped = client.scatter(model, broadcast=True)
        start = time.perf_counter()
        done = stream_to_workers(
            client, iter_frames(settings.paths, index=settings.index, format=settings.format, skipped=skipped),
            lambda frame: len(frame.atoms),
            lambda batch, part: client.submit(label_part, batch, shipped, classes, work.part_path(part), pure=False),
            CHUNK_ATOMS, "identify on the workers", progress,
            lambda batch, part: work.finished_part(part, batch, sum(len(f.atoms) for f in batch),
                                                   lambda labels: summarise(labels, classes, checked=True)))
        seconds = time.perf_counter() - start
        if not done:
            raise nothing_usable(skipped) if skipped else AtlasError("no structure to label.")
        parts = tmp / "labels.parquet"
        work.adopt_parts(len(done), parts)
        shares = pd.concat([share for share, _, _ in done], ignore_index=True)
        counts = pd.DataFrame([c for _, c, _ in done]).sum().astype(int).sort_index().to_dict()
        n_atoms = sum(n for _, _, n in done)
        labels = join_parts(parts, tmp) if n_atoms <= LABELS_CSV_MAX_ROWS else None
        write_csv(tmp / "fractions.csv", shares)
        figures = [save_figure(tmp, "fractions.png", fractions_figure(shares, classes))] \
            if shares.groupby("structure").size().max() > 1 else []
        metrics = {"name": config.name, "atomatlas_version": __version__, "n_frames": len(shares),
                   "n_atoms": int(n_atoms), "classes": classes, "atoms_per_second": n_atoms / seconds,
                   "counts": counts, "figures": figures, "model": settings.model or "shipped",
                   "skipped": [vars(item) for item in skipped],
                   "labels_file": "labels.csv" if labels is not None else "labels.parquet",
                   "dask": dask_record(config.dask, client, work)}
        write_record(tmp, metrics, config.to_toml())
    return RunResult(path=Path(out), labels=labels, metrics=metrics, skipped=skipped)

