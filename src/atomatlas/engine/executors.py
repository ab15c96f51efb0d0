"""Where a plan's chunks run: in this process (:class:`LocalExecutor`) or on Dask workers (:class:`DaskExecutor`).

Both take the same step function and the same chunks and give back the step's results in
the order of the chunks, so ``--scheduler`` only picks the executor. A step is
``step(chunk, *shared, path)``: it works on one chunk (a list of frames, say), writes what
it made to ``path``, the chunk's part (``part_path(part)``; engine/parts.py: whole or not at
all), and returns a small summary. The local executor calls it as it is, chunk after chunk; the Dask executor sends
each chunk to a worker with the shared objects scattered once, at most
:data:`IN_FLIGHT_PER_WORKER` chunks per worker pending, so this process holds a few chunks
however long the input. ``finished(chunk, part)`` gives the result of a part an interrupted
run finished (``--resume``), or None to compute it.

Settings travel with every Dask task, as scikit-learn's ``Parallel`` carries its
``config_context``: the warning filters and scikit-learn's configuration of the process that
made the plan are those of the task (:func:`carried`).
"""

from __future__ import annotations

import contextlib
import warnings

IN_FLIGHT_PER_WORKER = 2
BAR_DELAY = 1.0  # seconds before a progress bar shows: none for work done sooner


def chunks(items, size_of, size: int):
    """Lists of consecutive ``items`` holding at least ``size`` (by ``size_of``) each, the last one what is left."""
    batch, held = [], 0
    for item in items:
        batch.append(item)
        held += size_of(item)
        if held >= size:
            yield batch
            batch, held = [], 0
    if batch:
        yield batch


class carried:
    """``step`` run under the warning filters and scikit-learn configuration of the process that made it."""

    def __init__(self, step):
        import sklearn

        self.step, self.filters, self.config = step, list(warnings.filters), sklearn.get_config()

    def __call__(self, *args):
        import sklearn

        with warnings.catch_warnings(), sklearn.config_context(**self.config):
            warnings.filters[:] = self.filters
            return self.step(*args)


class LocalExecutor:
    """Every chunk in this process, one after the other: the step is called unchanged."""

    name = "local"
    workers = 1

    def share(self, value):
        return value

    def map_chunks(self, step, batches, shared: tuple, *, part_path, desc: str, progress: bool,
                   finished=None) -> list:
        from tqdm.auto import tqdm

        results = []
        with tqdm(desc=desc, unit=" frames", leave=False, disable=None if progress else True,
                  delay=BAR_DELAY) as bar:
            for part, batch in enumerate(batches):
                done = finished(batch, part) if finished is not None else None
                results.append(done if done is not None else step(batch, *shared, part_path(part)))
                bar.update(len(batch))
        return results

    def record(self, work=None) -> dict | None:
        return None


class DaskExecutor:
    """Chunks sent to the workers of a Dask ``client``, a bounded number in flight."""

    name = "dask"

    def __init__(self, client, section):
        self.client, self.section = client, section
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))

    def share(self, value):
        return self.client.scatter(value, broadcast=True)  # once, not with every chunk

    def map_chunks(self, step, batches, shared: tuple, *, part_path, desc: str, progress: bool,
                   finished=None) -> list:
        """A worker's exception (an AtlasError: a frame it could not use) is raised here, as itself."""
        from distributed import wait
        from tqdm.auto import tqdm

        task = carried(step)
        pending, results = {}, {}

        def settle(limit: int) -> None:
            while len(pending) > limit:
                done, _ = wait(list(pending), return_when="FIRST_COMPLETED")
                for future in done:
                    results[pending.pop(future)] = future.result()

        with tqdm(desc=desc, unit=" frames", leave=False, disable=None if progress else True,
                  delay=BAR_DELAY) as bar:
            for part, batch in enumerate(batches):
                done = finished(batch, part) if finished is not None else None
                if done is not None:
                    results[part] = done
                else:
                    pending[self.client.submit(task, batch, *shared, part_path(part), pure=False)] = part
                bar.update(len(batch))
                settle(IN_FLIGHT_PER_WORKER * self.workers)
            settle(0)
        return [results[part] for part in sorted(results)]

    def record(self, work=None) -> dict:
        """metrics.json's ``dask`` block: where the run ran, and what it took over from an interrupted run."""
        from atomatlas.engine.dask_cluster import dask_record

        return dask_record(self.section, self.client, work)


@contextlib.contextmanager
def executor(section, progress: bool = False):
    """The executor of a run: on Dask when ``section`` (its ``[dask]`` section) is given, else in this process."""
    if section is None:
        yield LocalExecutor()
        return
    from atomatlas.engine.dask_cluster import connected, quiet_dask

    with quiet_dask(), connected(section, progress) as client:
        yield DaskExecutor(client, section)
