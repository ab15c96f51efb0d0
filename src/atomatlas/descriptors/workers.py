"""Worker processes for descriptor work that end with the run that started them.

joblib's loky workers keep running when their parent is killed outright (SIGKILL, an
out-of-memory kill): they finish their task and then idle for minutes. Each worker here
starts a watchdog thread that exits the worker as soon as its parent process is gone.
"""

from __future__ import annotations

import os
import threading
import time

WATCH_INTERVAL = 0.5  # seconds between checks of the parent


def _exit_with_parent(parent: int) -> None:
    def watch():
        while True:
            if os.getppid() != parent:  # re-parented: the run that started us is gone
                os._exit(1)
            time.sleep(WATCH_INTERVAL)

    threading.Thread(target=watch, name="atomatlas-parent-watch", daemon=True).start()


def parallel(n_jobs: int, **kwargs):
    """A ``joblib.Parallel`` on loky whose workers exit when this process dies."""
    from joblib import Parallel, parallel_config

    with parallel_config(backend="loky", initializer=_exit_with_parent, initargs=(os.getpid(),)):
        return Parallel(n_jobs=n_jobs, **kwargs)
