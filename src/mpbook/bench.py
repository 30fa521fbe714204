"""The book's benchmarks: its recipes measured against the peers and the limits, in one run.

    python -m mpbook.bench [--quick] [--out DIR] [--only start,cpu,tiny,data,counters]

Five workloads, each run in this process tree under the same conditions, one after another:

1. ``start``: start + join of one process under every start method this platform offers; the
   start of a `Pool`, a `ProcessPoolExecutor`, joblib's workers and a Dask local cluster.
2. ``cpu``: a fixed batch of pure-Python CPU-bound tasks (`count_primes`), serial and on 1..N
   workers of Pool, ProcessPoolExecutor, joblib, Dask and the book's recipe: speedup, efficiency.
3. ``tiny``: tens of thousands of tasks that do nothing (`square`): per-task overhead.
4. ``data``: a large NumPy array handed to the workers by Queue, Pipe, pickled argument,
   initializer, joblib's memory map and shared memory, against memcpy measured in the same run.
5. ``counters``: a shared counter through a Manager proxy, a ``Value`` with its lock, shared
   memory slots, and counting locally; a plain dict in one process is the limit.

Every figure is the median of several repetitions (with min and max); the runs of one workload take
turns, repetition by repetition, so a burst of load from another program hits them all alike.
Results go to ``<stem>.json``, ``<stem>.md`` and ``<stem>-*.png`` in the output folder, the stem
naming the machine and Python (``linux-x86_64-2cpu-py3.11``), never the host.

**The book's recipe** is `recipe_map` on a pool from `recipe_pool`: chapter 06's advice in one
function. One long-lived pool of the book's start method with one worker per usable CPU, created
once and reused; a map whose chunks carry several tasks (about four chunks per worker); tasks
that send indices, not data, with a large array in shared memory (`share_array`).

This module is imported by spawned workers (its worker functions are targets), so it imports the
standard library only at the top; NumPy, joblib, Dask and matplotlib are imported where used.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import sys
import time

from mpbook.config import KNOWN_START_METHODS, StartMethodError, get_context, start_method, usable_cpus
from mpbook.tuning import do_nothing, load_array, sum_array, sum_loaded_rows, sum_shared_rows
from mpbook.workers import count_primes, square, whoami

__all__ = [
    "WORKLOADS",
    "main",
    "recipe_chunksize",
    "recipe_map",
    "recipe_pool",
    "share_array",
]

WORKLOADS = ("start", "cpu", "tiny", "data", "counters")
TIMEOUT_S = 600.0  # no wait in this module is longer than this
RECIPE_CHUNKS_PER_WORKER = 4  # chapter 06: a few chunks per worker, each carrying several tasks
# A run shorter than this is preceded by one untimed run of the same kind, so it is timed with its
# workers awake (a process idle for seconds takes milliseconds to be scheduled again).
WARM_UP_BELOW_S = 0.25
NOISE_FLOOR = 0.05  # two medians closer than this (relative) are a tie, however steady the runs
QUIET_CPU_PERCENT = 15.0  # --wait-quiet: a workload starts once the CPUs are less busy than this
JSON_SCHEMA = 1


# --- the book's recipe -------------------------------------------------------------------


def recipe_pool(workers: int | None = None, initializer=None, initargs: tuple = ()):
    """Return a Pool the book's way: its start method (`get_context`), one worker per usable CPU.

    Create it once, reuse it for every map, close it with a ``with`` block (chapter 06, section 6).
    """
    if workers is None:
        workers = usable_cpus()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    return get_context().Pool(workers, initializer=initializer, initargs=initargs)


def recipe_chunksize(n_items: int, workers: int) -> int:
    """Return the chunksize of the recipe: about RECIPE_CHUNKS_PER_WORKER chunks per worker, at least 1."""
    if n_items < 0 or workers < 1:
        raise ValueError(f"need n_items >= 0 and workers >= 1, got {n_items}, {workers}")
    return max(1, math.ceil(n_items / (RECIPE_CHUNKS_PER_WORKER * workers)))


def recipe_map(pool, func, items, *, star: bool = False, timeout: float = TIMEOUT_S) -> list:
    """Return [func(item) for item in items] (``func(*item)`` with star=True), computed the book's way.

    Chapter 06's recipe for a map: a long-lived `Pool` (`recipe_pool`) sized to the usable CPUs;
    a few chunks per worker (`recipe_chunksize`), so each message carries many tiny tasks but the
    workers still share uneven work; arguments that are indices or names (a `SharedArrayRef`
    from `share_array`), never a large array; a timeout on the wait. Results in input order.
    """
    items = list(items)
    workers = getattr(pool, "_processes", None) or usable_cpus()
    chunksize = recipe_chunksize(len(items), workers)
    mapper = pool.starmap_async if star else pool.map_async
    return mapper(func, items, chunksize=chunksize).get(timeout=timeout)


@contextlib.contextmanager
def share_array(array):
    """Copy a NumPy array into a new shared memory block; yield its `SharedArrayRef`; then free the block.

    The recipe's way to give many tasks a large array: one copy, whatever the tasks and workers;
    each task receives the ref (a few dozen bytes) and row indices (`sum_shared_rows`).
    """
    from multiprocessing import shared_memory

    import numpy as np

    from mpbook.sharing import SharedArrayRef

    block = shared_memory.SharedMemory(create=True, size=max(1, array.nbytes))
    try:
        view = np.frombuffer(block.buf, dtype=array.dtype, count=array.size).reshape(array.shape)
        view[...] = array  # the one copy
        del view  # close() refuses while a view holds the buffer
        yield SharedArrayRef(block.name, tuple(array.shape), str(array.dtype))
    finally:
        block.close()
        block.unlink()  # once, by the creator


# --- workers of the benchmarks (module level: spawned children import them by name) -------


def sum_array_rows(array, start: int, stop: int) -> float:
    """Return the sum of rows start:stop of an array that arrived as an argument (joblib: a memory map)."""
    return float(array[start:stop].sum())


def serve_pipe_sums(conn, timeout: float = TIMEOUT_S) -> None:
    """Answer each NumPy array received on `conn` with its sum, until None arrives or `timeout` of silence."""
    try:
        while conn.poll(timeout):
            item = conn.recv()
            if item is None:
                return
            conn.send(float(item.sum()))
    except EOFError:  # the parent closed its end
        return
    finally:
        conn.close()


def serve_queue_sums(inbox, outbox, timeout: float = TIMEOUT_S) -> None:
    """Answer each NumPy array taken from `inbox` with its sum on `outbox`, until None or `timeout` of silence."""
    import queue

    while True:
        try:
            item = inbox.get(timeout=timeout)
        except queue.Empty:
            return
        if item is None:
            return
        outbox.put(float(item.sum()))


def count_with_manager(counts, lock, times: int) -> None:
    """Add 1 to counts["count"] `times` times through Manager proxies, each read-modify-write under `lock`."""
    for _ in range(times):
        if not lock.acquire(timeout=TIMEOUT_S):
            raise TimeoutError("could not acquire the manager's lock")
        try:
            counts["count"] += 1
        finally:
            lock.release()


_COUNTER = None  # this worker's shared Value, set by keep_counter (a pool initializer)


def keep_counter(counter) -> None:
    """Keep a shared ``Value`` in this worker (pool initializer: a Value travels only at process start)."""
    global _COUNTER
    _COUNTER = counter


def increment_kept_counter(times: int) -> None:
    """Add 1 to the kept Value `times` times, each read-modify-write under the Value's own lock."""
    lock = _COUNTER.get_lock()
    for _ in range(times):
        if not lock.acquire(timeout=TIMEOUT_S):
            raise TimeoutError("could not acquire the Value's lock")
        try:
            _COUNTER.value += 1
        finally:
            lock.release()


def increment_slot(name: str, slot: int, times: int) -> None:
    """Add 1 to int64 slot `slot` of the shared memory block `name`, `times` times (no lock: one writer)."""
    from multiprocessing import shared_memory

    block = shared_memory.SharedMemory(name=name)
    try:
        cells = block.buf.cast("q")
        try:
            for _ in range(times):
                cells[slot] += 1
        finally:
            cells.release()  # close() refuses while a view holds the buffer
    finally:
        block.close()


def count_locally(times: int) -> int:
    """Return `times`, counted one by one in a local variable: nothing is shared until the result."""
    count = 0
    for _ in range(times):
        count += 1
    return count


# --- measuring ---------------------------------------------------------------------------


class _Settings:
    """Sizes of the workloads: the full run, or a quick one that only keeps the harness working."""

    def __init__(self, quick: bool, workers: int, wait_quiet: float = 0.0) -> None:
        self.quick = quick
        self.workers = workers
        self.wait_quiet = wait_quiet  # seconds a round of repetitions may wait for quiet CPUs (0: never)
        self.rounds: list[dict] = []  # what each wait found, collected per workload by main()
        self.repeats = 3 if quick else 5
        self.start_repeats = 3 if quick else 7
        self.dask_start_repeats = 1 if quick else 3
        # cpu: equal-sized ranges of count_primes above one million
        self.cpu_tasks = 4 * workers if quick else 8 * workers
        self.cpu_span = 6_000 if quick else 24_000
        # tiny: Dask takes about 2 ms a task here, so its runs are fewer than the others'
        self.tiny_tasks = 2_000 if quick else 20_000
        self.dask_tiny_repeats = 2 if quick else 3
        # data: 256 MB in the full run, as the issue asks
        self.data_values = 4_000_000 if quick else 32_000_000  # float64: 32 MB / 256 MB
        # counters: increments per worker (the Manager's are 100 times dearer)
        self.increments = 20_000 if quick else 200_000
        self.manager_increments = 200 if quick else 2_000

    def gate(self) -> None:
        """Before a round of repetitions: wait (up to wait_quiet seconds) for quiet CPUs, and note the outcome."""
        if self.wait_quiet > 0:
            self.rounds.append(_wait_for_quiet(self.wait_quiet, sample_s=1.0))


def _stats(times: list[float]) -> dict:
    """Return the repetitions with their median, min and max (seconds)."""
    return {
        "repetitions": [round(t, 7) for t in times],
        "median": round(statistics.median(times), 7),
        "min": round(min(times), 7),
        "max": round(max(times), 7),
    }


def _measure_in_turns(runs: dict, repeats: int, check, *, fewer: dict | None = None, gate=None) -> dict:
    """Time each of runs {name: function} `repeats` times, taking turns; return {name: stats + "correct"}.

    A run shorter than WARM_UP_BELOW_S is preceded by one untimed run of its own (see there).
    gate(), if given, is called before each round of turns (`_Settings.gate`: wait for quiet CPUs).
    check(result) says whether one run's result is correct; every result is checked. `fewer`
    {name: repeats} gives some slow runs fewer repetitions (at least 1).
    """
    fewer = fewer or {}
    times: dict[str, list[float]] = {name: [] for name in runs}
    correct = dict.fromkeys(runs, True)
    for rep in range(repeats):
        if gate is not None:
            gate()
        for name, run in runs.items():
            if rep >= max(1, fewer.get(name, repeats)):
                continue
            if not times[name] or times[name][-1] < WARM_UP_BELOW_S:
                run()  # untimed: wakes workers that sat idle while the other runs took their turn
            started = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - started)
            correct[name] = correct[name] and bool(check(result))
    return {name: {**_stats(times[name]), "correct": correct[name]} for name in runs}


def _load() -> float | None:
    """Return the 1-minute load average (None where the platform has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _cpu_busy_percent(seconds: float) -> float | None:
    """Return how busy the CPUs were over the next `seconds`, in percent of all of them (None without psutil)."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.cpu_percent(interval=seconds)


def _wait_for_quiet(limit_s: float, sample_s: float = 2.0) -> dict:
    """Wait up to limit_s seconds until the CPUs are quiet (below QUIET_CPU_PERCENT busy over sample_s).

    Other programs' work shows up as slower workers; this cannot stop them, only start when they pause.
    Returns {"waited_s", "cpu_busy_percent", "quiet"}.
    """
    began = time.monotonic()
    while True:
        busy = _cpu_busy_percent(sample_s)
        if busy is None or busy < QUIET_CPU_PERCENT or time.monotonic() - began >= limit_s:
            break
        time.sleep(1)
    return {
        "waited_s": round(time.monotonic() - began, 1),
        "cpu_busy_percent": busy,
        "quiet": busy is not None and busy < QUIET_CPU_PERCENT,
    }


@contextlib.contextmanager
def _environment_kept():
    """Restore os.environ after the block: Dask's nanny sets OMP_NUM_THREADS=1 and friends in it."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _dask(workers: int):
    """Yield (client, seconds the local cluster took to start); close client and cluster after."""
    from mpbook.distributed import close_dask, dask_client

    with _environment_kept():
        started = time.perf_counter()
        client = dask_client(n_workers=workers, dashboard=False, timeout=120)
        seconds = time.perf_counter() - started
        try:
            yield client, seconds
        finally:
            close_dask(client, timeout=60)


def _dask_map(client, func, *iterables) -> list:
    """Return [func(*args) ...] computed on the Dask cluster, in order, waiting at most TIMEOUT_S."""
    from distributed import wait

    futures = client.map(func, *iterables, pure=False)  # pure=False: compute, never reuse a result
    _done, not_done = wait(futures, timeout=TIMEOUT_S)
    if not_done:
        raise TimeoutError(f"{len(not_done)} Dask tasks not done within {TIMEOUT_S} s")
    return client.gather(futures)


def _joblib(n_jobs: int, calls) -> list:
    """Return the results of joblib.Parallel(n_jobs) over `calls` [(func, args), ...], each task timed out."""
    from joblib import Parallel, delayed

    timeout = TIMEOUT_S if n_jobs > 1 else None  # one job runs here, in sequence: no timeout to give
    return Parallel(n_jobs=n_jobs, timeout=timeout)(delayed(func)(*args) for func, args in calls)


def _stop_joblib_workers() -> None:
    """Shut down the workers joblib keeps between Parallel calls (loky's reusable executor)."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(reuse=True).shutdown(wait=True)


def _executor(workers: int):
    """Return a ProcessPoolExecutor of the book's start method."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context())


def _warm(pool_or_executor, workers: int) -> None:
    """Make every worker of a Pool or an executor start (and import the workers' module) before timing."""
    if hasattr(pool_or_executor, "map_async"):
        pool_or_executor.starmap_async(whoami, [(i, 0.05) for i in range(workers)], chunksize=1).get(
            timeout=TIMEOUT_S
        )
    else:
        list(pool_or_executor.map(whoami, range(workers), [0.05] * workers, timeout=TIMEOUT_S))


def _ratio(slow: float, fast: float) -> float:
    return round(slow / fast, 4) if fast > 0 else float("inf")


def _spread(stats: dict) -> float:
    """Return (max - min) / median of one measure: the noise its own repetitions show."""
    return (stats["max"] - stats["min"]) / stats["median"] if stats["median"] > 0 else 0.0


def _versus_best_peer(workload: str, recipe_name: str, measures: dict, peers: list[str]) -> dict:
    """Return the target "the recipe is at least as fast as the best peer, within noise" for one workload."""
    best = min(peers, key=lambda name: measures[name]["median"])
    recipe, peer = measures[recipe_name], measures[best]
    noise = max(NOISE_FLOOR, _spread(recipe), _spread(peer))
    value = recipe["median"] / peer["median"]
    return {
        "id": f"{workload}_recipe_vs_best_peer",
        "description": f"{workload}: the book's recipe is at least as fast as the best peer, within noise",
        "measured": round(value, 4),
        "threshold": round(1 + noise, 4),
        "comparison": "<=",
        "met": value <= 1 + noise,
        "detail": f"recipe ({recipe_name}) median {recipe['median']:.4g} s, best peer {best} "
        f"{peer['median']:.4g} s; noise = max({NOISE_FLOOR}, relative spread of either) = {noise:.2f}",
    }


# --- workload 1: start cost --------------------------------------------------------------


def _start_and_join(context) -> float:
    """Return the seconds to start a Process of `context` running do_nothing, and join it."""
    started = time.perf_counter()
    process = context.Process(target=do_nothing)
    process.start()
    process.join(timeout=60)
    seconds = time.perf_counter() - started
    if process.is_alive():
        process.kill()
        process.join(timeout=10)
        raise RuntimeError(f"a {context.get_start_method()} child did not end within 60 s")
    if process.exitcode != 0:
        raise RuntimeError(f"a {context.get_start_method()} child failed with exit code {process.exitcode}")
    return seconds


def signal_ready(ready) -> None:
    """Put this worker's pid on the `ready` queue (a pool initializer: the worker has started)."""
    ready.put(os.getpid())


def _wait_ready(ready, workers: int) -> bool:
    """Return True once `workers` distinct workers have said they are ready (each wait timed out)."""
    return len({ready.get(timeout=60) for _ in range(workers)}) == workers


def _timed_pool_start(workers: int) -> tuple[float, bool]:
    """Return (seconds from creating a Pool until every worker has started, every worker said so)."""
    context = get_context()
    ready = context.Queue()
    try:
        started = time.perf_counter()
        with context.Pool(workers, initializer=signal_ready, initargs=(ready,)) as pool:
            ok = _wait_ready(ready, workers)
            seconds = time.perf_counter() - started
            ok = ok and pool.map_async(square, range(workers), chunksize=1).get(timeout=60) == [
                x * x for x in range(workers)
            ]
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
            ok = ok and [f.result(timeout=60) for f in futures] == [x * x for x in range(workers)]
    finally:
        ready.close()
        ready.join_thread()
    return seconds, ok


def _timed_joblib_start(workers: int) -> tuple[float, bool]:
    """Return (seconds for joblib's first Parallel call of one 10 ms task per worker, results right)."""
    started = time.perf_counter()
    try:
        seen = _joblib(workers, [(whoami, (i, 0.01)) for i in range(workers)])
        seconds = time.perf_counter() - started
    finally:
        _stop_joblib_workers()
    return seconds, [task for task, _pid, _name in seen] == list(range(workers))


def _timed_dask_start(workers: int) -> tuple[float, bool]:
    """Return (seconds to start a Dask local cluster and its client, True)."""
    with _dask(workers) as (_client, seconds):
        pass
    return seconds, True


def run_start(settings: _Settings) -> dict:
    """Workload 1: what it costs to start a process, a pool, an executor, joblib's workers, a cluster."""
    import multiprocessing

    measures = {}
    methods = [m for m in KNOWN_START_METHODS if m in multiprocessing.get_all_start_methods()]
    for method in methods:
        context = multiprocessing.get_context(method)
        _start_and_join(context)  # not counted: the first forkserver start also starts the server
        times = [_start_and_join(context) for _ in range(settings.start_repeats)]
        measures[f"{method}: start + join one Process"] = {**_stats(times), "correct": True}
    n = settings.workers
    starters = {
        f"Pool({n})": (_timed_pool_start, settings.start_repeats),
        f"ProcessPoolExecutor({n})": (_timed_executor_start, settings.start_repeats),
        f"joblib Parallel(n_jobs={n}), first call": (_timed_joblib_start, settings.start_repeats),
        f"Dask LocalCluster({n} workers)": (_timed_dask_start, settings.dask_start_repeats),
    }
    for name, (starter, repeats) in starters.items():
        results = [starter(n) for _ in range(repeats)]
        measures[name] = {**_stats([s for s, _ok in results]), "correct": all(ok for _s, ok in results)}
    return {
        "description": "start + join of one Process running do_nothing per start method (one uncounted "
        f"start first); a Pool and a ProcessPoolExecutor ({get_context().get_start_method()}) from creation "
        "until every worker has run its initializer; joblib (loky) until its first call of one 10 ms task per "
        "worker returns; a Dask local cluster until its workers have joined",
        "methods": methods,
        "measures": measures,
        "correct": all(s["correct"] for s in measures.values()),
    }


# --- workload 2: CPU-bound ---------------------------------------------------------------


def run_cpu(settings: _Settings) -> dict:
    """Workload 2: a fixed batch of CPU-bound tasks, serial and on 1..N workers of every runner."""
    base, span = 1_000_000, settings.cpu_span
    tasks = [(base + i * span, base + (i + 1) * span) for i in range(settings.cpu_tasks)]
    starts, stops = [a for a, _ in tasks], [b for _, b in tasks]
    expected = [count_primes(a, b) for a, b in tasks]

    def check(result):
        return list(result) == expected

    by_workers = {}
    serial = {}
    cluster_start = {}
    for n in range(1, settings.workers + 1):
        with contextlib.ExitStack() as stack:
            pool = stack.enter_context(recipe_pool(n))
            executor = stack.enter_context(_executor(n))
            stack.callback(_stop_joblib_workers)
            _warm(pool, n)
            _warm(executor, n)
            _joblib(n, [(whoami, (i, 0.05)) for i in range(n)])
            runs = {
                "serial": lambda: [count_primes(a, b) for a, b in tasks],
                "Pool.starmap (default chunksize)": lambda pool=pool: pool.starmap_async(
                    count_primes, tasks
                ).get(timeout=TIMEOUT_S),
                "ProcessPoolExecutor.map": lambda ex=executor: list(
                    ex.map(count_primes, starts, stops, timeout=TIMEOUT_S)
                ),
                "joblib Parallel": lambda n=n: _joblib(n, [(count_primes, t) for t in tasks]),
                "recipe_map": lambda pool=pool: recipe_map(pool, count_primes, tasks, star=True),
            }
            by_workers[str(n)] = _measure_in_turns(runs, settings.repeats, check, gate=settings.gate)
            serial[str(n)] = by_workers[str(n)].pop("serial")
        # Dask alone: its scheduler runs in this process and its workers keep a heartbeat, which
        # would slow the others down if the cluster were up while they ran.
        with _dask(n) as (client, cluster_start[str(n)]):
            by_workers[str(n)].update(
                _measure_in_turns(
                    {"Dask client.map": lambda: _dask_map(client, count_primes, starts, stops)},
                    settings.repeats,
                    check,
                    gate=settings.gate,
                )
            )
    for n, measures in by_workers.items():
        t1 = serial[n]["median"]  # the serial runs that took turns with these: the same conditions
        for stats in measures.values():
            stats["speedup"] = round(t1 / stats["median"], 4)
            stats["efficiency"] = round(t1 / (int(n) * stats["median"]), 4)
    return {
        "description": f"{len(tasks)} tasks count_primes(a, a + {span}) above {base:,}, equal in size; "
        "pools started and warmed before timing; the serial loop takes turns with the runners of each "
        "number of workers, except Dask, measured after them with only its cluster up; speedup = serial median / median, efficiency = speedup / workers",
        "tasks": len(tasks),
        "serial": serial[str(settings.workers)],
        "serial_by_workers": serial,
        "workers": by_workers,
        "dask_cluster_start_s": {n: round(s, 4) for n, s in cluster_start.items()},
        "correct": all(s["correct"] for s in serial.values())
        and all(s["correct"] for m in by_workers.values() for s in m.values()),
    }


# --- workload 3: many tiny tasks ---------------------------------------------------------


def run_tiny(settings: _Settings) -> dict:
    """Workload 3: tens of thousands of tasks that do nothing: what each runner costs per task."""
    n = settings.workers
    items = list(range(settings.tiny_tasks))
    expected = [x * x for x in items]
    tuned = recipe_chunksize(len(items), n)

    def check(result):
        return list(result) == expected

    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(recipe_pool(n))
        executor = stack.enter_context(_executor(n))
        stack.callback(_stop_joblib_workers)
        _warm(pool, n)
        _warm(executor, n)
        _joblib(n, [(whoami, (i, 0.05)) for i in range(n)])
        runs = {
            "serial loop": lambda: [square(x) for x in items],
            "Pool.map (default chunksize)": lambda: pool.map_async(square, items).get(timeout=TIMEOUT_S),
            "Pool.map chunksize=1": lambda: pool.map_async(square, items, chunksize=1).get(timeout=TIMEOUT_S),
            "ProcessPoolExecutor.map (default chunksize=1)": lambda: list(
                executor.map(square, items, timeout=TIMEOUT_S)
            ),
            f"ProcessPoolExecutor.map chunksize={tuned}": lambda: list(
                executor.map(square, items, chunksize=tuned, timeout=TIMEOUT_S)
            ),
            "joblib Parallel": lambda: _joblib(n, [(square, (x,)) for x in items]),
            "recipe_map": lambda: recipe_map(pool, square, items),
        }
        measures = _measure_in_turns(runs, settings.repeats, check, gate=settings.gate)
    with _dask(n) as (client, cluster_start):  # alone, as in run_cpu
        measures.update(
            _measure_in_turns(
                {"Dask client.map": lambda: _dask_map(client, square, items)},
                settings.dask_tiny_repeats,
                check,
                gate=settings.gate,
            )
        )
    serial = measures["serial loop"]["median"]
    recipe = measures["recipe_map"]["median"]
    for stats in measures.values():
        stats["per_task_us"] = round(stats["median"] / len(items) * 1e6, 4)
        stats["vs_serial"] = _ratio(stats["median"], serial)
        stats["vs_recipe"] = _ratio(stats["median"], recipe)
    return {
        "description": f"{len(items):,} tasks square(x) on {n} workers, pools started and warmed before timing; "
        f"the recipe's chunksize is {tuned}; Dask measured after the others with only its cluster up, "
        f"{settings.dask_tiny_repeats} repetitions (about 2 ms a task)",
        "tasks": len(items),
        "workers": n,
        "recipe_chunksize": tuned,
        "measures": measures,
        "dask_cluster_start_s": round(cluster_start, 4),
        "correct": all(s["correct"] for s in measures.values()),
    }


# --- workload 4: moving a large array ----------------------------------------------------


def _stop_servers(processes, inboxes) -> None:
    """Tell every server process to stop (None on its inbox), join each with a timeout, kill what is left."""
    for inbox in inboxes:
        with contextlib.suppress(OSError, ValueError, BrokenPipeError):
            (inbox.put if hasattr(inbox, "put") else inbox.send)(None)
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join(timeout=10)


def run_data(settings: _Settings) -> dict:
    """Workload 4: a large NumPy array handed to N workers, each summing its share, six ways; memcpy as the limit."""
    import numpy as np

    n = settings.workers
    context = get_context()
    data = np.arange(settings.data_values, dtype=np.float64)
    total = float(data.sum())  # exact: every partial sum is an integer below 2**53
    rows = len(data)
    shares = [(i * rows // n, (i + 1) * rows // n) for i in range(n)]

    def check(result):
        return result == total

    target = np.empty_like(data)
    target[...] = 1.0  # touch every page first: np.copyto then measures the copy alone

    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(recipe_pool(n))
        stack.callback(_stop_joblib_workers)
        _warm(pool, n)
        _joblib(n, [(whoami, (i, 0.05)) for i in range(n)])
        inbox, outbox = context.Queue(), context.Queue()
        queue_servers = [
            context.Process(target=serve_queue_sums, args=(inbox, outbox, TIMEOUT_S)) for _ in range(n)
        ]
        pipes = [context.Pipe() for _ in range(n)]
        pipe_servers = [
            context.Process(target=serve_pipe_sums, args=(child, TIMEOUT_S)) for _, child in pipes
        ]
        for process in queue_servers + pipe_servers:
            process.start()
        stack.callback(_stop_servers, pipe_servers, [parent for parent, _ in pipes])
        stack.callback(_stop_servers, queue_servers, [inbox] * n)
        for _, child in pipes:
            child.close()  # the server holds its own copy of this end

        built = stack.enter_context(share_array(data))  # for data made in shared memory from the start

        def by_queue():
            for a, b in shares:
                inbox.put(data[a:b])
            return sum(outbox.get(timeout=TIMEOUT_S) for _ in shares)

        def by_pipe():
            for (parent, _), (a, b) in zip(pipes, shares, strict=True):
                parent.send(data[a:b])
            sums = []
            for parent, _ in pipes:
                if not parent.poll(TIMEOUT_S):
                    raise TimeoutError(f"no answer on a pipe within {TIMEOUT_S} s")
                sums.append(parent.recv())
            return sum(sums)

        def by_initializer():
            with context.Pool(n, initializer=load_array, initargs=(data,)) as fresh:
                return sum(fresh.starmap_async(sum_loaded_rows, shares, chunksize=1).get(timeout=TIMEOUT_S))

        def by_shared_memory():
            with share_array(data) as ref:
                return sum(recipe_map(pool, sum_shared_rows, [(ref, a, b) for a, b in shares], star=True))

        runs = {
            "memcpy (np.copyto, one core)": lambda: np.copyto(target, data) or total,
            "data.copy() into new memory": lambda: data.copy() is not None and total,
            "Queue": by_queue,
            "Pipe": by_pipe,
            "pickled argument (Pool.map)": lambda: sum(
                pool.map_async(sum_array, [data[a:b] for a, b in shares], chunksize=1).get(timeout=TIMEOUT_S)
            ),
            "initializer (new Pool, start included)": by_initializer,
            "joblib (memory-mapped by joblib)": lambda: sum(
                _joblib(n, [(sum_array_rows, (data, a, b)) for a, b in shares])
            ),
            "shared memory (recipe_map + share_array)": by_shared_memory,
            "shared memory, array already there (recipe_map)": lambda: sum(
                recipe_map(pool, sum_shared_rows, [(built, a, b) for a, b in shares], star=True)
            ),
        }
        measures = _measure_in_turns(runs, settings.repeats, check, gate=settings.gate)
    memcpy = measures["memcpy (np.copyto, one core)"]["median"]
    for stats in measures.values():
        stats["gb_per_s"] = round(data.nbytes / stats["median"] / 1e9, 4)
        stats["vs_memcpy"] = _ratio(stats["median"], memcpy)
    return {
        "description": f"a {data.nbytes / 1e6:.0f} MB float64 array, each of {n} workers summing its share "
        "of the rows; Queue and Pipe servers and the Pool started before timing, the initializer's pool "
        "is created in every run (that is when the array travels); shared memory includes creating and "
        "filling the block, except in the last row, where the array was made in shared memory before "
        "timing; GB/s = array bytes / median seconds",
        "nbytes": int(data.nbytes),
        "workers": n,
        "measures": measures,
        "correct": all(s["correct"] for s in measures.values()),
    }


# --- workload 5: shared counters ---------------------------------------------------------


def run_counters(settings: _Settings) -> dict:
    """Workload 5: N workers adding 1 to one counter: Manager proxy, Value with lock, shared memory, local counts."""
    from multiprocessing import shared_memory

    n = settings.workers
    k, k_manager = settings.increments, settings.manager_increments
    context = get_context()
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(recipe_pool(n))
        manager = stack.enter_context(context.Manager())
        counts, lock = manager.dict(count=0), manager.Lock()
        counter = context.Value("q", 0)
        value_pool = stack.enter_context(context.Pool(n, initializer=keep_counter, initargs=(counter,)))
        block = shared_memory.SharedMemory(create=True, size=8 * n)
        stack.callback(block.unlink)
        stack.callback(block.close)
        _warm(pool, n)
        _warm(value_pool, n)

        def plain_dict():
            box = {"count": 0}
            for _ in range(n * k):
                box["count"] += 1
            return box["count"]

        def by_manager():
            counts["count"] = 0
            pool.starmap_async(count_with_manager, [(counts, lock, k_manager)] * n, chunksize=1).get(
                timeout=TIMEOUT_S
            )
            return counts["count"]

        def by_value():
            with counter.get_lock():
                counter.value = 0
            value_pool.map_async(increment_kept_counter, [k] * n, chunksize=1).get(timeout=TIMEOUT_S)
            return counter.value

        def by_slots():
            cells = block.buf.cast("q")
            try:
                for i in range(n):
                    cells[i] = 0
                pool.starmap_async(increment_slot, [(block.name, i, k) for i in range(n)], chunksize=1).get(
                    timeout=TIMEOUT_S
                )
                return sum(cells)
            finally:
                cells.release()

        runs = {
            "plain dict, one process": plain_dict,
            "Manager dict proxy + Manager lock": by_manager,
            "Value with its lock (shared memory)": by_value,
            "shared_memory, one slot per worker": by_slots,
            "recipe_map: count locally, return counts": lambda: sum(recipe_map(pool, count_locally, [k] * n)),
        }
        runs_totals = {name: n * (k_manager if "Manager" in name else k) for name in runs}

        def checker(name):
            return lambda result: result == runs_totals[name]

        # each run has its own expected total, so check inside a wrapper that knows the name
        wrapped = {name: (lambda run=run, name=name: (name, run())) for name, run in runs.items()}
        measures = _measure_in_turns(
            wrapped, settings.repeats, lambda pair: checker(pair[0])(pair[1]), gate=settings.gate
        )
    limit = measures["plain dict, one process"]["median"] / runs_totals["plain dict, one process"]
    for name, stats in measures.items():
        stats["increments"] = runs_totals[name]
        stats["per_increment_us"] = round(stats["median"] / runs_totals[name] * 1e6, 5)
        stats["vs_plain_dict"] = _ratio(stats["median"] / runs_totals[name], limit)
    return {
        "description": f"{n} workers each adding 1 to one shared count, {k:,} times each "
        f"({k_manager:,} through the Manager); pools and the Manager started before timing; compared per "
        "increment",
        "workers": n,
        "measures": measures,
        "correct": all(s["correct"] for s in measures.values()),
    }


RUNNERS = {"start": run_start, "cpu": run_cpu, "tiny": run_tiny, "data": run_data, "counters": run_counters}


# --- targets -----------------------------------------------------------------------------


def _targets(workloads: dict, workers: int) -> list[dict]:
    """Return the issue's targets, each with the measured value, the threshold and whether it is met."""

    def missing(target_id, description, needs):
        return {
            "id": target_id,
            "description": description,
            "measured": None,
            "threshold": None,
            "comparison": None,
            "met": None,
            "detail": f"not measured: workload {needs!r} did not run",
        }

    targets = []
    description = f"cpu: the recipe's parallel efficiency on all {workers} usable CPUs is >= 0.9"
    if "cpu" in workloads:
        stats = workloads["cpu"]["workers"][str(workers)]["recipe_map"]
        targets.append(
            {
                "id": "cpu_recipe_efficiency",
                "description": description,
                "measured": stats["efficiency"],
                "threshold": 0.9,
                "comparison": ">=",
                "met": stats["efficiency"] >= 0.9,
                "detail": f"speedup {stats['speedup']:.3f} on {workers} workers",
            }
        )
        measures = workloads["cpu"]["workers"][str(workers)]
        targets.append(
            _versus_best_peer("cpu", "recipe_map", measures, [m for m in measures if m != "recipe_map"])
        )
    else:
        targets.append(missing("cpu_recipe_efficiency", description, "cpu"))
    d1 = "tiny: the recipe is >= 50x faster than Pool.map chunksize=1"
    d2 = "tiny: the recipe is within 5x of the serial loop"
    if "tiny" in workloads:
        measures = workloads["tiny"]["measures"]
        recipe = measures["recipe_map"]["median"]
        faster = measures["Pool.map chunksize=1"]["median"] / recipe
        slower = recipe / measures["serial loop"]["median"]
        targets.append(
            {
                "id": "tiny_recipe_vs_chunksize_1",
                "description": d1,
                "measured": round(faster, 4),
                "threshold": 50,
                "comparison": ">=",
                "met": faster >= 50,
                "detail": "Pool.map chunksize=1 median / recipe median",
            }
        )
        targets.append(
            {
                "id": "tiny_recipe_vs_serial",
                "description": d2,
                "measured": round(slower, 4),
                "threshold": 5,
                "comparison": "<=",
                "met": slower <= 5,
                "detail": "recipe median / serial loop median",
            }
        )
        peers = [m for m in measures if m not in ("recipe_map", "serial loop")]
        targets.append(_versus_best_peer("tiny", "recipe_map", measures, peers))
    else:
        targets += [
            missing("tiny_recipe_vs_chunksize_1", d1, "tiny"),
            missing("tiny_recipe_vs_serial", d2, "tiny"),
        ]
    description = "data: sharing the array with shared_memory is >= 5x faster than sending it through a Queue"
    if "data" in workloads:
        measures = workloads["data"]["measures"]
        shm = "shared memory (recipe_map + share_array)"
        value = measures["Queue"]["median"] / measures[shm]["median"]
        built_ratio = (
            measures["Queue"]["median"]
            / measures["shared memory, array already there (recipe_map)"]["median"]
        )
        size = workloads["data"]["nbytes"] / 1e6
        targets.append(
            {
                "id": "data_shared_memory_vs_queue",
                "description": description,
                "measured": round(value, 4),
                "threshold": 5,
                "comparison": ">=",
                "met": value >= 5,
                "detail": f"Queue median / shared memory median (block created and filled in every run), "
                f"for {size:.0f} MB"
                + ("" if size >= 256 else " (the target is set for 256 MB: this run used less)")
                + f"; with the array made in shared memory from the start: {built_ratio:.3g}x",
            }
        )
        peers = [m for m in measures if not m.startswith(("shared memory", "memcpy", "data.copy"))]
        targets.append(_versus_best_peer("data", shm, measures, peers))
    else:
        targets.append(missing("data_shared_memory_vs_queue", description, "data"))
    if "counters" in workloads:
        measures = {
            name: {k: stats[k] / stats["increments"] for k in ("median", "min", "max")}
            for name, stats in workloads["counters"]["measures"].items()
        }
        recipe = "recipe_map: count locally, return counts"
        peers = [m for m in measures if m not in (recipe, "plain dict, one process")]
        targets.append(_versus_best_peer("counters", recipe, measures, peers))
    return targets


# --- reports: JSON, Markdown, plots --------------------------------------------------------


def machine_stem(quick: bool = False) -> str:
    """Return the file stem naming this machine and Python: ``linux-x86_64-2cpu-py3.11`` (no host name)."""
    import platform

    system = (platform.system() or sys.platform).lower()
    machine = (platform.machine() or "unknown").lower()
    stem = f"{system}-{machine}-{usable_cpus()}cpu-py{sys.version_info.major}.{sys.version_info.minor}"
    return stem + ("-quick" if quick else "")


def _package_versions() -> dict:
    from importlib import metadata

    versions = {}
    for name in ("numpy", "joblib", "dask", "distributed", "psutil", "matplotlib"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _environment(quick: bool, method: str) -> dict:
    import platform

    return {
        "python_version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "system": platform.system(),
        "machine": platform.machine(),
        "start_method": method,
        "usable_cpus": usable_cpus(),
        "cpu_count": os.cpu_count(),
        "packages": _package_versions(),
        "quick": quick,
    }


def _fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _fmt_x(ratio: float) -> str:
    """Return a ratio for reading, with a multiplication sign: 0.62, 2.4, 310, 6,260 and the sign."""
    if ratio < 10:
        return f"{ratio:.2g}×" if ratio < 1 else f"{ratio:.1f}×"
    return f"{ratio:,.0f}×"


def _row(name: str, stats: dict, *extra: str) -> str:
    return (
        "| "
        + " | ".join([name, _fmt_s(stats["median"]), _fmt_s(stats["min"]), _fmt_s(stats["max"]), *extra])
        + " |"
    )


def _markdown(report: dict) -> str:
    env = report["environment"]
    w = report["workloads"]
    lines = [
        f"# mpbook benchmarks: {report['stem']}",
        "",
        f"Python {env['python_version']} ({env['implementation']}) on {env['platform']}, start method "
        f"`{env['start_method']}`, {env['usable_cpus']} usable CPUs (os.cpu_count() {env['cpu_count']}), "
        f"{'quick' if env['quick'] else 'full'} run of {report['duration_s']:.0f} s, "
        f"load average {report['load_average']['before']} before, {report['load_average']['after']} after.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v) + ".",
        "Every figure: median of the repetitions, with min and max. Generated by `python -m mpbook.bench`.",
        "",
    ]
    lines += ["## Targets", "", "| target | measured | threshold | met |", "| --- | --- | --- | --- |"]
    for t in report["targets"]:
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        measured = "-" if t["measured"] is None else f"{t['measured']:.3g}"
        threshold = "-" if t["threshold"] is None else f"{t['comparison']} {t['threshold']:.3g}"
        lines.append(f"| {t['description']} | {measured} | {threshold} | {met} |")
    lines.append("")
    lines += [
        "## Conditions",
        "",
        "How busy the machine was: the 1-minute load average around each workload (other programs count too),",
        "and, with `--wait-quiet`, how many rounds of repetitions started on quiet CPUs.",
        "",
        "| workload | seconds | load before | load after | rounds started quiet |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, workload in w.items():
        load = workload.get("load_average", {})
        rounds = f"{load['rounds_started_quiet']} of {load['rounds']}" if "rounds" in load else "-"
        lines.append(
            f"| {name} | {workload['duration_s']:.0f} | {load.get('before')} | {load.get('after')} | {rounds} |"
        )
    lines.append("")
    if "start" in w:
        lines += [
            "## 1 · Start cost",
            "",
            w["start"]["description"] + ".",
            "",
            "| what | median | min | max |",
            "| --- | --- | --- | --- |",
        ]
        lines += [_row(name, s) for name, s in w["start"]["measures"].items()]
        lines.append("")
    if "cpu" in w:
        cpu = w["cpu"]
        lines += [
            "## 2 · CPU-bound",
            "",
            cpu["description"]
            + ". Serial loop, measured beside each number of workers: "
            + ", ".join(
                f"{_fmt_s(t['median'])} (min {_fmt_s(t['min'])}, max {_fmt_s(t['max'])})"
                for t in cpu["serial_by_workers"].values()
            )
            + ".",
            "",
            "| runner | workers | median | min | max | speedup | efficiency |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for n, measures in cpu["workers"].items():
            for name, s in measures.items():
                lines.append(
                    f"| {name} | {n} | {_fmt_s(s['median'])} | {_fmt_s(s['min'])} | {_fmt_s(s['max'])} | "
                    f"{s['speedup']:.2f} | {s['efficiency']:.2f} |"
                )
        lines.append("")
    if "tiny" in w:
        lines += [
            "## 3 · Many tiny tasks",
            "",
            w["tiny"]["description"] + ".",
            "",
            "| runner | median | min | max | per task | × serial loop | × recipe |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, s in w["tiny"]["measures"].items():
            lines.append(
                _row(name, s, f"{s['per_task_us']:.2f} µs", _fmt_x(s["vs_serial"]), _fmt_x(s["vs_recipe"]))
            )
        lines.append("")
    if "data" in w:
        lines += [
            "## 4 · Moving a large array",
            "",
            w["data"]["description"] + ".",
            "",
            "| way | median | min | max | GB/s | × memcpy time |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, s in w["data"]["measures"].items():
            lines.append(_row(name, s, f"{s['gb_per_s']:.2f}", _fmt_x(s["vs_memcpy"])))
        lines.append("")
    if "counters" in w:
        lines += [
            "## 5 · Shared counters",
            "",
            w["counters"]["description"] + ".",
            "",
            "| way | increments | median | min | max | per increment | × plain dict |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, s in w["counters"]["measures"].items():
            lines.append(
                f"| {name} | {s['increments']:,} | {_fmt_s(s['median'])} | {_fmt_s(s['min'])} | {_fmt_s(s['max'])} | "
                f"{s['per_increment_us']:.3g} µs | {_fmt_x(s['vs_plain_dict'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def _figure(width: float, height: float):
    """Return (figure, axes) drawn by the Agg backend, without pyplot (no window, no global state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _errors(measures: list[dict], scale: float = 1.0) -> list[list[float]]:
    """Return matplotlib's [lower, upper] error lengths from median to min and max."""
    return [
        [(s["median"] - s["min"]) * scale for s in measures],
        [(s["max"] - s["median"]) * scale for s in measures],
    ]


def _hbar_plot(
    path,
    title: str,
    names: list[str],
    measures: list[dict],
    xlabel: str,
    labels: list[str],
    colors,
    *,
    log: bool,
    scale: float,
    line=None,
) -> None:
    fig, ax = _figure(10, 0.5 * len(names) + 1.6)
    values = [s["median"] * scale for s in measures]
    bars = ax.barh(names, values, xerr=_errors(measures, scale), color=colors, capsize=3, ecolor="0.3")
    ax.bar_label(bars, labels, padding=6, fontsize=9)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.set_xlim(min(s["min"] * scale for s in measures) / 2, max(s["max"] * scale for s in measures) * 8)
    else:
        ax.set_xlim(0, max(max(s["max"] * scale for s in measures), line[0] if line else 0) * 1.3)
    if line is not None:
        ax.axvline(line[0], color="tab:red", linestyle="--", label=line[1])
        ax.legend(loc="upper right", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=110)


def _plots(report: dict, out_dir, stem: str) -> list[str]:
    """Write the PNG plots of the workloads that ran; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    w = report["workloads"]
    env = report["environment"]
    tag = f"{stem} · Python {env['python_version']} · {env['start_method']} · {env['usable_cpus']} CPUs"
    files = []
    recipe_color, peer_color, limit_color = "tab:green", "tab:blue", "0.55"

    if "start" in w:
        measures = w["start"]["measures"]
        names = list(measures)
        _hbar_plot(
            out_dir / f"{stem}-start.png",
            f"What starting costs (median, bars: min to max)\n{tag}",
            names,
            [measures[m] for m in names],
            "milliseconds (log scale)",
            [_fmt_s(measures[m]["median"]) for m in names],
            [peer_color if "Process" in m and ":" in m else "tab:orange" for m in names],
            log=True,
            scale=1e3,
        )
        files.append(f"{stem}-start.png")

    if "cpu" in w:
        cpu = w["cpu"]
        fig, ax = _figure(8, 5)
        ns = sorted(int(n) for n in cpu["workers"])
        ax.plot(
            [0, max(ns) + 0.3],
            [0, max(ns) + 0.3],
            color=limit_color,
            linestyle="--",
            label="ideal: speedup = workers",
        )
        styles = {
            "Pool.starmap (default chunksize)": ("tab:blue", "o"),
            "ProcessPoolExecutor.map": ("tab:orange", "s"),
            "joblib Parallel": ("tab:purple", "^"),
            "Dask client.map": ("tab:red", "v"),
            "recipe_map": (recipe_color, "D"),
        }
        offsets = {name: (i - 2) * 0.04 for i, name in enumerate(styles)}  # side by side, not on top
        for name, (color, marker) in styles.items():
            xs = [n + offsets[name] for n in ns]
            stats = [cpu["workers"][str(n)][name] for n in ns]
            t1s = [cpu["serial_by_workers"][str(n)]["median"] for n in ns]
            ys = [t1 / s["median"] for t1, s in zip(t1s, stats, strict=True)]
            lower = [y - t1 / s["max"] for y, t1, s in zip(ys, t1s, stats, strict=True)]
            upper = [t1 / s["min"] - y for y, t1, s in zip(ys, t1s, stats, strict=True)]
            label = f"{name} (eff. {stats[-1]['efficiency']:.2f} on {ns[-1]})"
            ax.errorbar(
                xs,
                ys,
                yerr=[lower, upper],
                color=color,
                marker=marker,
                capsize=3,
                label=label,
                linewidth=2.5 if name == "recipe_map" else 1.2,
            )
        ax.set_xticks(ns)
        ax.set_xlim(0.5, max(ns) + 0.5)
        ax.set_ylim(0, max(ns) + 0.5)
        ax.set_xlabel("workers")
        ax.set_ylabel("speedup over the serial loop")
        ax.set_title(
            f"{cpu['tasks']} CPU-bound tasks: speedup (median, bars: min to max)\n{tag}", fontsize=11
        )
        ax.legend(loc="upper left", fontsize=8.5)
        ax.grid(alpha=0.3)
        fig.savefig(out_dir / f"{stem}-cpu.png", dpi=110)
        files.append(f"{stem}-cpu.png")

    if "tiny" in w:
        measures = w["tiny"]["measures"]
        names = sorted(measures, key=lambda m: measures[m]["median"])
        colors = [
            recipe_color if m == "recipe_map" else limit_color if m == "serial loop" else peer_color
            for m in names
        ]
        _hbar_plot(
            out_dir / f"{stem}-tiny.png",
            f"{w['tiny']['tasks']:,} tiny tasks on {w['tiny']['workers']} workers: wall time (median, bars: min to max)\n{tag}",
            names,
            [measures[m] for m in names],
            "seconds for all tasks (log scale)",
            [f"{_fmt_s(measures[m]['median'])}  ({_fmt_x(measures[m]['vs_serial'])} serial)" for m in names],
            colors,
            log=True,
            scale=1.0,
        )
        files.append(f"{stem}-tiny.png")

    if "data" in w:
        measures = w["data"]["measures"]
        names = [m for m in measures if not m.startswith("memcpy")]
        memcpy = measures["memcpy (np.copyto, one core)"]["gb_per_s"]
        nbytes = w["data"]["nbytes"]
        # GB/s: the max time gives the lowest rate
        rates = [
            {
                "median": nbytes / measures[m]["median"] / 1e9,
                "min": nbytes / measures[m]["max"] / 1e9,
                "max": nbytes / measures[m]["min"] / 1e9,
            }
            for m in names
        ]
        colors = [
            recipe_color
            if m.startswith("shared memory")
            else limit_color
            if m.startswith("data.copy")
            else peer_color
            for m in names
        ]
        _hbar_plot(
            out_dir / f"{stem}-data.png",
            f"A {nbytes / 1e6:.0f} MB array to {w['data']['workers']} workers: GB/s of array delivered and summed\n{tag}",
            names,
            rates,
            "GB/s (median, bars: min to max)",
            [
                f"{r['median']:.2f} GB/s  ({_fmt_s(measures[m]['median'])})"
                for r, m in zip(rates, names, strict=True)
            ],
            colors,
            log=False,
            scale=1.0,
            line=(memcpy, f"memcpy, one core: {memcpy:.1f} GB/s"),
        )
        files.append(f"{stem}-data.png")

    if "counters" in w:
        measures = w["counters"]["measures"]
        names = list(measures)
        per = [
            {k: measures[m][k] / measures[m]["increments"] for k in ("median", "min", "max")} for m in names
        ]
        colors = [
            recipe_color if m.startswith("recipe") else limit_color if m.startswith("plain") else peer_color
            for m in names
        ]
        _hbar_plot(
            out_dir / f"{stem}-counters.png",
            f"A shared counter, {w['counters']['workers']} workers: time per increment (median, bars: min to max)\n{tag}",
            names,
            per,
            "microseconds per increment (log scale)",
            [f"{p['median'] * 1e6:.3g} µs" for p in per],
            colors,
            log=True,
            scale=1e6,
        )
        files.append(f"{stem}-counters.png")
    return files


# --- command line ------------------------------------------------------------------------


def default_out_dir():
    """Return benchmarks/results of the mpbook checkout this runs from, else ./mpbook-bench-results."""
    from pathlib import Path

    here = Path(__file__).resolve().parent.parent.parent  # src/mpbook/bench.py -> the checkout
    for root in (here, Path.cwd()):
        if (root / "benchmarks").is_dir() and (root / "src" / "mpbook").is_dir():
            return root / "benchmarks" / "results"
    return Path.cwd() / "mpbook-bench-results"


def _parse_only(text: str) -> list[str]:
    import argparse

    names = [part.strip().lower() for part in text.replace(" ", ",").split(",") if part.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(map(repr, unknown)) or '(none given)'}; choose from: {', '.join(WORKLOADS)}"
        )
    return [name for name in WORKLOADS if name in names]


def _non_negative_seconds(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def _parser():
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mpbook.bench",
        description="Measure the book's recipes against Pool, ProcessPoolExecutor, joblib and Dask, and the limits.",
        epilog="Writes <stem>.json, <stem>.md and <stem>-*.png; the start method comes from MPBOOK_START_METHOD "
        "(default spawn).",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, few repetitions (about a minute)")
    parser.add_argument(
        "--out", metavar="DIR", help="output folder (default: benchmarks/results of the checkout)"
    )
    parser.add_argument(
        "--wait-quiet",
        metavar="SECONDS",
        type=_non_negative_seconds,
        default=0.0,
        help=f"before each workload and each round of repetitions, wait up to SECONDS for the CPUs to be "
        f"under {QUIET_CPU_PERCENT:.0f}%% busy (default 0: do not wait)",
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        type=_parse_only,
        default=list(WORKLOADS),
        help=f"comma-separated workloads to run, of: {','.join(WORKLOADS)} (default: all)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks the command line asks for; return 0, or 2 for bad arguments."""
    import json
    from pathlib import Path

    parser = _parser()
    args = parser.parse_args(argv)  # bad arguments: usage and message, exit 2
    try:
        method = start_method()
    except StartMethodError as exc:
        parser.error(str(exc))
    out_dir = Path(args.out) if args.out else default_out_dir()
    if out_dir.exists() and not out_dir.is_dir():
        parser.error(f"--out {args.out}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--out {args.out or out_dir}: cannot create the folder ({exc.strerror})")

    settings = _Settings(args.quick, usable_cpus(), args.wait_quiet)
    stem = machine_stem(args.quick)
    began = time.perf_counter()
    load_before = _load()
    print(f"mpbook bench: {stem}, start method {method}, {'quick' if args.quick else 'full'} run", flush=True)
    workloads = {}
    loads = {}
    for name in args.only:
        print(f"  {name} ...", end="", flush=True)
        started = time.perf_counter()
        loads[name] = _wait_for_quiet(args.wait_quiet) if args.wait_quiet > 0 else {}
        loads[name]["before"] = _load()
        settings.rounds = []
        workloads[name] = RUNNERS[name](settings)
        if settings.rounds:
            loads[name]["rounds"] = len(settings.rounds)
            loads[name]["rounds_started_quiet"] = sum(r["quiet"] for r in settings.rounds)
            loads[name]["rounds_waited_s"] = round(sum(r["waited_s"] for r in settings.rounds), 1)
        workloads[name]["duration_s"] = round(time.perf_counter() - started, 2)
        loads[name]["after"] = _load()
        print(
            f" {workloads[name]['duration_s']:.1f} s (correct: {workloads[name].get('correct', True)})",
            flush=True,
        )
    for name, load in loads.items():
        workloads[name]["load_average"] = load
    report = {
        "schema": JSON_SCHEMA,
        "stem": stem,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "environment": _environment(args.quick, method),
        "workloads": workloads,
        "targets": _targets(workloads, settings.workers),
        "load_average": {"before": load_before, "after": _load()},
        "duration_s": round(time.perf_counter() - began, 2),
    }
    report["files"] = [f"{stem}.json", f"{stem}.md", *_plots(report, out_dir, stem)]
    (out_dir / f"{stem}.md").write_text(_markdown(report) + "\n", encoding="utf-8")
    (out_dir / f"{stem}.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for target in report["targets"]:
        verdict = "n/a" if target["met"] is None else ("met" if target["met"] else "NOT met")
        print(
            f"  target {target['id']}: {target['measured']} ({target['comparison']} {target['threshold']}): {verdict}"
        )
    print(f"wrote {', '.join(report['files'])} to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
