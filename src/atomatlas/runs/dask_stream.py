"""Frames streamed to Dask workers in chunks, with a bounded number in flight.

What ``environments --scheduler`` and ``identify --scheduler`` share: the client reads the
files one frame at a time, groups frames into chunks of about ``chunk`` atoms (or
centres) and hands each chunk to a task on the workers; it waits whenever
``IN_FLIGHT_PER_WORKER`` chunks per worker are pending, so it never holds more than a few
chunks, however long the trajectory.
"""

from __future__ import annotations

from pathlib import Path

IN_FLIGHT_PER_WORKER = 2


def stream_to_workers(client, frames, size_of, submit, chunk: int, desc: str, progress: bool,
                      finished=None) -> list:
    """``submit(batch, part)`` (a Future) for every chunk of ``frames``; the results in the order of the parts.

    ``finished(batch, part)``: the result of a chunk an interrupted run finished (runs/resume.py), or None
    to compute it. A worker's exception (an AtlasError: a frame it could not use) is raised here, as itself.
    """
    from distributed import wait
    from tqdm.auto import tqdm

    workers = max(1, len(client.scheduler_info().get("workers", {})))
    pending, results = {}, {}
    bar = tqdm(desc=desc, unit=" frames", leave=False, disable=not progress)

    def settle(limit: int) -> None:
        while len(pending) > limit:
            finished, _ = wait(list(pending), return_when="FIRST_COMPLETED")
            for future in finished:
                results[pending.pop(future)] = future.result()

    def send(batch) -> None:
        part = len(pending) + len(results)
        done = finished(batch, part) if finished is not None else None
        if done is not None:
            results[part] = done
        else:
            pending[submit(batch, part)] = part

    batch, size = [], 0
    for frame in frames:
        batch.append(frame)
        size += size_of(frame)
        bar.update(1)
        if size >= chunk:
            send(batch)
            batch, size = [], 0
            settle(IN_FLIGHT_PER_WORKER * workers)
    if batch:
        send(batch)
    settle(0)
    bar.close()
    return [results[part] for part in sorted(results)]


def join_parts(parts: Path, folder: Path):
    """The part files of ``parts`` (named in the order of the frames) as one labels.csv; the parts removed."""
    import shutil

    import pandas as pd

    from atomatlas.runs.folder import write_csv

    labels = pd.concat([pd.read_parquet(p) for p in sorted(parts.glob("*.parquet"))], ignore_index=True)
    write_csv(folder / "labels.csv", labels)
    shutil.rmtree(parts)
    return labels
