"""Workload 1, ``start``: what it costs to start a process, a pool, an executor, joblib's workers, a cluster.

Start + join of one `Process` running `do_nothing` under every start method this platform offers
(one uncounted start first: the first forkserver start also starts the server); a `Pool` and a
`ProcessPoolExecutor` of the book's start method from creation until every worker has run its
initializer (`signal_ready`); joblib until its first call returns; a Dask local cluster until its
workers have joined. No goal: these are the costs the other workloads keep out of their clocks.
"""

from __future__ import annotations

import time

from mpbook.bench import harness
from mpbook.bench.records import PEER, Measure, Variant, WorkloadResult
from mpbook.bench.tasks import signal_ready
from mpbook.config import KNOWN_START_METHODS, get_context
from mpbook.tuning import do_nothing
from mpbook.workers import square, whoami

ID = "start"
TITLE = "Start cost"
VARIANTS = (
    *(
        Variant(f"process_{method}", f"{method}: start + join one Process", PEER)
        for method in KNOWN_START_METHODS
    ),
    Variant("pool", "Pool({workers})", PEER),
    Variant("executor", "ProcessPoolExecutor({workers})", PEER),
    Variant("joblib", "joblib Parallel(n_jobs={workers}), first call", PEER),
    Variant("dask", "Dask LocalCluster({workers} workers)", PEER),
)
GOALS = ()
READY_TIMEOUT_S = 60  # a spawned worker starts in ~0.1-0.3 s here; far more on a loaded laptop


def _start_and_join(context) -> float:
    """Return the seconds to start a Process of `context` running do_nothing, and join it."""
    started = time.perf_counter()
    process = context.Process(target=do_nothing)
    process.start()
    process.join(timeout=READY_TIMEOUT_S)
    seconds = time.perf_counter() - started
    if process.is_alive():
        process.kill()
        process.join(timeout=10)
        raise RuntimeError(f"a {context.get_start_method()} child did not end within {READY_TIMEOUT_S} s")
    if process.exitcode != 0:
        raise RuntimeError(f"a {context.get_start_method()} child failed with exit code {process.exitcode}")
    return seconds


def _wait_ready(ready, workers: int) -> bool:
    """Return True once `workers` distinct workers have said they are ready (each wait timed out)."""
    return len({ready.get(timeout=READY_TIMEOUT_S) for _ in range(workers)}) == workers


def _timed_pool_start(workers: int) -> tuple[float, bool]:
    """Return (seconds from creating a Pool until every worker has started, every worker said so)."""
    context = get_context()
    ready = context.Queue()
    try:
        started = time.perf_counter()
        with context.Pool(workers, initializer=signal_ready, initargs=(ready,)) as pool:
            ok = _wait_ready(ready, workers)
            seconds = time.perf_counter() - started
            squares = pool.map_async(square, range(workers), chunksize=1).get(timeout=READY_TIMEOUT_S)
            ok = ok and squares == [x * x for x in range(workers)]
    finally:
        ready.close()
        ready.join_thread()
    return seconds, ok


def _timed_executor_start(workers: int) -> tuple[float, bool]:
    """Return (seconds from creating a ProcessPoolExecutor until every worker has started, all said so).

    It starts workers on demand, one per task submitted while none is idle: `workers` tasks start them all.
    """
    from concurrent.futures import ProcessPoolExecutor

    context = get_context()
    ready = context.Queue()
    try:
        started = time.perf_counter()
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=signal_ready, initargs=(ready,)
        ) as ex:
            futures = [ex.submit(square, x) for x in range(workers)]
            ok = _wait_ready(ready, workers)
            seconds = time.perf_counter() - started
            ok = ok and [f.result(timeout=READY_TIMEOUT_S) for f in futures] == [
                x * x for x in range(workers)
            ]
    finally:
        ready.close()
        ready.join_thread()
    return seconds, ok


def _timed_joblib_start(workers: int) -> tuple[float, bool]:
    """Return (seconds for joblib's first Parallel call of one 10 ms task per worker, results right)."""
    started = time.perf_counter()
    try:
        seen = harness.joblib_run(workers, [(whoami, (i, 0.01)) for i in range(workers)])
        seconds = time.perf_counter() - started
    finally:
        harness.stop_joblib_workers()
    return seconds, [task for task, _pid, _name in seen] == list(range(workers))


def _timed_dask_start(workers: int) -> tuple[float, bool]:
    """Return (seconds to start a Dask local cluster and its client, True)."""
    with harness.dask(workers) as (_client, seconds):
        pass
    return seconds, True


def measure(settings: harness.Settings) -> WorkloadResult:
    """Measure every start: each start method's Process, then a pool, an executor, joblib and Dask."""
    import multiprocessing

    n = settings.workers
    methods = [m for m in KNOWN_START_METHODS if m in multiprocessing.get_all_start_methods()]
    facts = {"workers": n, "methods": methods}
    variants = {v.id: v for v in VARIANTS}
    measures = []
    for method in methods:
        context = multiprocessing.get_context(method)
        _start_and_join(context)  # not counted: the first forkserver start also starts the server
        times = [_start_and_join(context) for _ in range(settings.start_repeats)]
        measures.append(Measure.of(variants[f"process_{method}"], times, facts=facts))
    starters = {
        "pool": (_timed_pool_start, settings.start_repeats),
        "executor": (_timed_executor_start, settings.start_repeats),
        "joblib": (_timed_joblib_start, settings.start_repeats),
        "dask": (_timed_dask_start, settings.dask_start_repeats),
    }
    for variant_id, (starter, repeats) in starters.items():
        results = [starter(n) for _ in range(repeats)]
        measures.append(
            Measure.of(
                variants[variant_id], [s for s, _ok in results], all(ok for _s, ok in results), facts=facts
            )
        )
    return WorkloadResult(
        ID,
        "start + join of one Process running do_nothing per start method (one uncounted "
        f"start first); a Pool and a ProcessPoolExecutor ({get_context().get_start_method()}) from creation "
        "until every worker has run its initializer; joblib (loky) until its first call of one 10 ms task per "
        "worker returns; a Dask local cluster until its workers have joined",
        tuple(measures),
        facts,
    )


def judge(result: WorkloadResult, workers: int) -> list:
    """Return no targets: starting costs are reported, not judged."""
    return []
