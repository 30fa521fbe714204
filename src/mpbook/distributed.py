"""Code that runs unchanged on one machine's processes and on a cluster (chapter 08).

Why this module exists: the step from "a pool on my laptop" to "many machines" should not
be a rewrite. `concurrent.futures.Executor` is the seam. `ProcessPoolExecutor`, loky's
reusable executor (what joblib runs on) and Dask's ``client.get_executor()`` all offer the
same ``submit()`` returning a `concurrent.futures.Future`, so `map_with` below, written
against that interface alone, runs on each of them:

    your process                        executor                      workers
    map_with(ex, f, items) --submit(f, item)--> [ pending tasks ] --> process 1: f(item) ...
                                                                 \\--> process 2 (or a machine): f(item) ...
    [f(item), ...] <--- future.result(timeout) <--- results, in any order, put back in input order

`dask_client` gives the Dask side of it: a client of a real cluster when the environment
variable MPBOOK_DASK_SCHEDULER holds a scheduler address (``tcp://host:8786``), otherwise a
small local cluster of worker processes on this machine, so the chapter needs no setup:

    client --tasks--> scheduler --tasks--> worker processes (or machines)
    client <--results-- scheduler <--"done"-- workers   (results stay on a worker until gathered)

`close_dask` closes the client and, when it started one, the local cluster: no process is left.

`describe_array` is a task for joblib's automatic memory-mapping of large NumPy arrays.

Standard library only at import time, like the rest of the package: Dask is imported inside
`dask_client`, NumPy never (a worker receives the array already built).
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from mpbook import _arguments

__all__ = [
    "DASK_SCHEDULER_VAR",
    "close_dask",
    "dask_client",
    "dask_scheduler_address",
    "describe_array",
    "map_with",
]

DASK_SCHEDULER_VAR = "MPBOOK_DASK_SCHEDULER"
DEFAULT_TIMEOUT_S = 60.0


def map_with(
    executor: concurrent.futures.Executor,
    func: Callable[[Any], Any],
    items: Iterable[Any],
    timeout: float = DEFAULT_TIMEOUT_S,
) -> list[Any]:
    """Return [func(item) for item in items], computed on executor, in input order.

    Uses only ``executor.submit`` and ``future.result(timeout)``, so any
    `concurrent.futures.Executor` works: ProcessPoolExecutor, ThreadPoolExecutor, loky's
    reusable executor, Dask's ``client.get_executor()``. `timeout` bounds the whole map: past
    it, `concurrent.futures.TimeoutError` is raised. If a task raises, its exception is
    re-raised here. Either way the tasks not yet started are cancelled first.
    """
    if not isinstance(executor, concurrent.futures.Executor):
        raise TypeError(
            "executor must be a concurrent.futures.Executor, such as ProcessPoolExecutor(2), "
            f"loky.get_reusable_executor(2) or client.get_executor(); got {type(executor).__name__}"
        )
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__} {func!r}")
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise TypeError(f"items must be an iterable of arguments (not a string), got {type(items).__name__}")
    _arguments.seconds("timeout", timeout, allow_zero=False, allow_infinite=False)

    deadline = time.monotonic() + timeout
    futures = [executor.submit(func, item) for item in items]
    try:
        return [future.result(timeout=max(0.0, deadline - time.monotonic())) for future in futures]
    except BaseException:
        for future in futures:  # do not leave the rest of the work queued behind a failure
            future.cancel()
        raise


def dask_scheduler_address() -> str | None:
    """Return the scheduler address in MPBOOK_DASK_SCHEDULER, or None when it is unset or blank."""
    address = os.environ.get(DASK_SCHEDULER_VAR, "").strip()
    return address or None


def dask_client(n_workers: int = 2, *, timeout: float = DEFAULT_TIMEOUT_S, dashboard: bool = True):
    """Return a `distributed.Client`: of the cluster at MPBOOK_DASK_SCHEDULER, or of a new local cluster.

    With the variable set, connects to that scheduler (``client.cluster`` is then None) and
    raises OSError if it cannot within `timeout` seconds. Otherwise starts a LocalCluster on
    this machine: `n_workers` worker processes with one thread each, listening on 127.0.0.1
    only, its web server on a free port with the dashboard (without it if ``dashboard=False``;
    the dashboard also needs bokeh), and waits up to `timeout` seconds for every worker.
    Close it with `close_dask(client)`.
    """
    _arguments.integer("n_workers", n_workers, minimum=1)
    _arguments.flag("dashboard", dashboard)
    seconds = _arguments.seconds("timeout", timeout, allow_zero=False, allow_infinite=False)

    from distributed import Client, LocalCluster  # here: Dask takes about a second to import

    address = dask_scheduler_address()
    if address is not None:
        return Client(address, timeout=seconds)

    cluster = LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # The scheduler always runs a small web server (health checks); a free port on this machine
        # only, never the fixed 8787, so two clusters do not collide. The dashboard is a page of it.
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": dashboard},
        death_timeout=seconds,  # a worker that cannot start or reach the scheduler gives up
    )
    client = None
    try:
        client = Client(cluster, timeout=seconds)
        client.wait_for_workers(n_workers, timeout=seconds)
    except BaseException:
        if client is not None:
            client.close(timeout=seconds)
        cluster.close(timeout=seconds)
        raise
    return client


def close_dask(client, timeout: float = 30.0) -> None:
    """Close client and, if it was started by `dask_client` on this machine, its local cluster too.

    A cluster reached by address is left running: it belongs to whoever started it.
    """
    seconds = _arguments.seconds("timeout", timeout, allow_zero=False, allow_infinite=False)
    if not hasattr(client, "close") or not hasattr(client, "cluster"):
        raise TypeError(f"client must be a distributed.Client, got {type(client).__name__}")
    cluster = client.cluster
    try:
        client.close(timeout=seconds)
    finally:  # even if the client could not close cleanly, stop the processes we started
        if cluster is not None:
            cluster.close(timeout=seconds)


def describe_array(values: Any) -> tuple[str, bool, float]:
    """Return (type name, writeable?, sum) of the NumPy array a worker received.

    joblib replaces a large array by a read-only ``memmap`` of a file it wrote once;
    other pools send a pickled, writeable copy. Raises TypeError for anything but an array.
    """
    flags = getattr(values, "flags", None)
    if flags is None or not hasattr(values, "sum"):
        raise TypeError(f"values must be a NumPy array, got {type(values).__name__}")
    return type(values).__name__, bool(flags.writeable), float(values.sum())
