"""The one way descriptor work is spread over this machine's cores: :func:`map_ordered`.

Every descriptor's ``create(..., n_jobs)`` (DScribe's ``create_parallel``) and identify's
labelling go through it. Work goes to processes (joblib's loky), or to threads where the
work releases the GIL (no copies of the inputs). Either way each worker keeps one BLAS
thread (a worker process one freud thread too), else the workers' thread pools fight over
the cores, and results come back in order as each finishes.

joblib's loky workers keep running when their parent is killed outright (SIGKILL, an
out-of-memory kill): they finish their task and then idle for minutes. Each worker process
here starts a watchdog thread that exits it as soon as its parent process is gone.
"""

from __future__ import annotations

import os
import threading
import time

WATCH_INTERVAL = 0.5  # seconds between checks of the parent
POOLS = ("processes", "threads")


def _exit_with_parent(parent: int) -> None:
    def watch():
        while True:
            if os.getppid() != parent:  # re-parented: the run that started us is gone
                os._exit(1)
            time.sleep(WATCH_INTERVAL)

    threading.Thread(target=watch, name="atomatlas-parent-watch", daemon=True).start()


def map_ordered(function, items, n_jobs: int = 1, pool: str = "processes"):
    """``function(item)`` for every item, yielded in order; on ``n_jobs`` workers of ``pool`` when ``n_jobs > 1``.

    One item or ``n_jobs == 1`` calls ``function`` here, unchanged. ``function`` must be picklable for processes
    (a module-level function or a ``functools.partial`` of one).
    """
    if pool not in POOLS:
        raise ValueError(f"pool must be one of {POOLS}, not {pool!r}")
    items = list(items)
    if n_jobs == 1 or len(items) <= 1:
        yield from (function(item) for item in items)
        return
    from joblib import Parallel, delayed, parallel_config
    from threadpoolctl import threadpool_limits

    if pool == "threads":
        with threadpool_limits(1, user_api="blas"):
            yield from Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(
                delayed(function)(item) for item in items)
        return
    with parallel_config(backend="loky", initializer=_exit_with_parent, initargs=(os.getpid(),)):
        run = Parallel(n_jobs=n_jobs, return_as="generator")
    yield from run(delayed(_single_threaded)(function, item) for item in items)


def _single_threaded(function, item):
    """One task in a worker process: one process per core, so no BLAS threads on top (nor freud's TBB threads:
    :func:`freud_threads`)."""
    global _IN_WORKER
    from threadpoolctl import threadpool_limits

    _IN_WORKER = True  # the worker's own: it ends with the pool
    with threadpool_limits(1):
        return function(item)


_IN_WORKER = False


def freud_threads(freud) -> None:
    """One freud (TBB) thread in a worker process of the pool, all cores elsewhere; called where freud is used,
    so that workers that never need freud (SOAP's) never import it (0.8 s: it imports matplotlib's pyplot)."""
    if _IN_WORKER:
        freud.parallel.set_num_threads(1)
