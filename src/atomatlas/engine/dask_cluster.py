"""A Dask client for a run: a new LocalCluster on this machine, or a running scheduler checked before use.

``scheduler = "local"`` starts a ``LocalCluster`` of one single-threaded worker process per
core (or ``workers``); any other value is the address of a running scheduler
(``tcp://host:8786``), whose workers must see the inputs and the run folder at the same
paths (a shared file system). ``section`` is anything with ``scheduler`` and ``workers``
(runs/sections.py's ``DaskSection``).
"""

from __future__ import annotations

import contextlib
import logging
import os

from atomatlas.errors import AtlasError

CONNECT_SECONDS = 10.0
CONNECT_TIMEOUT = f"{CONNECT_SECONDS:g}s"


@contextlib.contextmanager
def connected(section, progress: bool):
    """A Dask client on a new LocalCluster or an existing scheduler, closed at the end."""
    from distributed import Client, LocalCluster

    if section.scheduler == "local":
        workers = section.workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               silence_logs=logging.ERROR, dashboard_address=":0")
        try:
            with Client(cluster) as client:
                _tell_dashboard(client, progress)
                yield client
        finally:
            cluster.close()
        return
    check_scheduler(section.scheduler)
    try:
        client = Client(section.scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise _unreachable(section.scheduler, str(exc)) from exc
    with client:
        _tell_dashboard(client, progress)
        yield client


def _unreachable(address: str, why: str) -> AtlasError:
    return AtlasError(f"cannot reach a Dask scheduler at {address} ({why}); start one with `dask scheduler` and "
                      "workers with `dask worker ADDRESS`, or use --scheduler local.")


def check_scheduler(address: str, timeout: float | None = None) -> None:
    """Refuse an address that does not answer as a Dask scheduler within ``timeout`` seconds.

    distributed's Client waits forever on a server that accepts the connection but never
    speaks its protocol (an HTTP server, say): we ask for the scheduler's identity
    ourselves, each step under a timeout.
    """
    import asyncio

    from distributed.comm import connect

    timeout = CONNECT_SECONDS if timeout is None else timeout

    async def identity():
        comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout)
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    from concurrent.futures import ThreadPoolExecutor

    try:  # in a thread of its own: the caller may already run an event loop (a notebook), where asyncio.run fails
        with ThreadPoolExecutor(1) as thread:
            reply = thread.submit(asyncio.run, identity()).result()
    except (OSError, TimeoutError, asyncio.TimeoutError) as exc:
        raise _unreachable(address, f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError)
                           else type(exc).__name__) from None
    except (ValueError, TypeError) as exc:  # a malformed address, or a reply that is not Dask's
        raise _unreachable(address, str(exc) or type(exc).__name__) from None
    except Exception as exc:  # noqa: BLE001 - whatever a foreign server sends back, it is not a scheduler
        raise _unreachable(address, f"it does not speak Dask's protocol: {type(exc).__name__}") from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise _unreachable(address, "something answered, but not a Dask scheduler")


def _tell_dashboard(client, progress: bool) -> None:
    if not progress:
        return
    import importlib.util

    link = client.dashboard_link if importlib.util.find_spec("bokeh") else None  # the dashboard needs bokeh
    workers = len(client.scheduler_info().get("workers", {}))
    print(f"  dask: {workers} worker(s) at {client.scheduler.address}"
          + (f", dashboard {link}" if link else ""), flush=True)


@contextlib.contextmanager
def quiet_dask():
    """Without dask's own warnings about its use of pandas 3 (not ours; nothing for a user to act on)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.reset_index is deprecated")
        yield


def dask_record(section, client, work=None) -> dict:
    """metrics.json's ``dask`` block: where the run ran, and what it took over from an interrupted run."""
    out = {"scheduler": section.scheduler, "address": client.scheduler.address,
           "workers": len(client.scheduler_info().get("workers", {}))}
    return {**out, "resume": work.record()} if work is not None else out
