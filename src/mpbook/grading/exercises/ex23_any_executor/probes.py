"""What ex23's checks must run inside the learner's process: executors, which cannot cross the trust boundary.

An executor holds threads, queues and processes of its own process: a check cannot hand one to the
learner's code. So each probe builds the executor here, in the learner's process, calls map_on on
it, and returns plain data that checks.py, in the trusted process, judges; a TimeoutError map_on
raises reaches the checks as one. The checks time the calls themselves, from the trusted side, and
know the learner's process's pid, so results computed in it are seen for what they are.

Code of the learner's that rewrote these probes could fake what they return (the results, the count
of submitted tasks); faking whoami's results with other pids, squares, or sleeps in input order is
the exercise's work done by hand, and the timeout tests are timed from the trusted side.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


class CountingThreadPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor that counts the tasks handed to it (Executor.map submits each one too)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def on_process_pool(module, func, items: list, timeout: float, workers: int):
    """Return module.map_on(executor, func, items, timeout) on a ProcessPoolExecutor(workers) in a `with` block."""
    with ProcessPoolExecutor(max_workers=workers) as executor:
        return module.map_on(executor, func, items, timeout)


def on_counting_thread_pool(module, func, items: list, timeout: float, workers: int) -> dict:
    """Call module.map_on on a counting ThreadPoolExecutor(workers); return what it returned and the tasks submitted."""
    with CountingThreadPool(max_workers=workers) as executor:
        got = module.map_on(executor, func, items, timeout)
    return {"got": got, "submitted": executor.submitted}


def on_thread_pool(module, func, items: list, timeout: float, workers: int, wait: bool = True):
    """Return module.map_on(executor, func, items, timeout) on a ThreadPoolExecutor(workers).

    The executor is shut down with shutdown(wait=wait) afterwards, also when map_on raises: wait=False
    returns as soon as map_on does, so the checks can time map_on alone.
    """
    executor = ThreadPoolExecutor(max_workers=workers)
    try:
        return module.map_on(executor, func, items, timeout)
    finally:
        executor.shutdown(wait=wait)


def on_dask_cluster(module, func, items: list, timeout: float, workers: int):
    """Return module.map_on(client.get_executor(), func, items, timeout) on a local Dask cluster of `workers` processes."""
    from dask.distributed import Client, LocalCluster  # here: importing Dask takes a second

    cluster = LocalCluster(processes=True, n_workers=workers, threads_per_worker=1, dashboard_address=None)
    try:
        with Client(cluster) as client:
            return module.map_on(client.get_executor(), func, items, timeout)
    finally:
        cluster.close()
