"""How the workloads measure: runs taking turns, the machine's load, and the peers started alike.

    settings --> workload.measure(settings)
                   start pools / executors / joblib / Dask, warm them      (never timed)
                   measure_in_turns({variant id: run}):
                       for each repetition: gate() (wait for quiet CPUs), then every run once,
                       an untimed run first if the last one was short; check every result
                   --> {variant id: (times, all correct)} --> Measure.of(variant, ...)

Also the one rule every workload's "recipe against the best peer" goal uses (`versus_best_peer`),
and what the report says about the machine (`machine_stem`, `environment`).

Standard library only at import time; NumPy, joblib, Dask and psutil are imported where used.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

from mpbook.bench.records import LIMIT, PEER, RECIPE, Goal, Measure, Target, Variant
from mpbook.bench.tasks import TIMEOUT_S
from mpbook.config import get_context, usable_cpus
from mpbook.workers import whoami

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.pool import Pool

# The runners the cpu and tiny workloads both time, under the same ids and labels.
SERIAL = Variant("serial", "serial loop", LIMIT)
JOBLIB = Variant("joblib", "joblib Parallel", PEER)
RECIPE_MAP = Variant("recipe", "recipe_map", RECIPE)
DASK = Variant("dask", "Dask client.map", PEER)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

# A run shorter than this is preceded by one untimed run of the same kind, so it is timed with its
# workers awake (a process idle for seconds takes milliseconds to be scheduled again).
WARM_UP_BELOW_S = 0.25
NOISE_FLOOR = 0.05  # two medians closer than this (relative) are a tie, however steady the runs
QUIET_CPU_PERCENT = 15.0  # --wait-quiet: a workload starts once the CPUs are less busy than this


class Settings:
    """Sizes of the workloads: the full run, or a quick one that only keeps the harness working."""

    def __init__(self, quick: bool, workers: int, wait_quiet: float = 0.0) -> None:
        self.quick = quick
        self.workers = workers
        self.wait_quiet = wait_quiet  # seconds a round of repetitions may wait for quiet CPUs (0: never)
        self.rounds: list[dict] = []  # what each wait found, collected per workload by the command line
        self.repeats = 2 if quick else 5
        self.start_repeats = 2 if quick else 7
        self.dask_start_repeats = 1 if quick else 3
        # cpu: equal-sized ranges of count_primes above one million
        self.cpu_tasks = 4 * workers if quick else 8 * workers
        self.cpu_span = 3_000 if quick else 24_000
        # tiny: Dask takes about 2 ms a task here, so its runs are fewer than the others'
        self.tiny_tasks = 400 if quick else 20_000
        self.dask_tiny_repeats = 1 if quick else 3
        # data: 256 MB in the full run, as issue 7 asks
        self.data_values = 2_000_000 if quick else 32_000_000  # float64: 16 MB / 256 MB
        # counters: increments per worker (the Manager's are 100 times dearer)
        self.increments = 20_000 if quick else 200_000
        self.manager_increments = 200 if quick else 2_000

    def gate(self) -> None:
        """Before a round of repetitions: wait (up to wait_quiet seconds) for quiet CPUs, and note the outcome."""
        if self.wait_quiet > 0:
            self.rounds.append(wait_for_quiet(self.wait_quiet, sample_s=1.0))


def measure_in_turns(
    runs: Mapping[str, Callable[[], Any]],
    repeats: int,
    check: Callable[[str, Any], bool],
    *,
    fewer: Mapping[str, int] | None = None,
    gate: Callable[[], None] | None = None,
) -> dict[str, tuple[list[float], bool]]:
    """Time each of runs {id: function} `repeats` times, taking turns; return {id: (seconds, all correct)}.

    A run shorter than WARM_UP_BELOW_S is preceded by one untimed run of its own (see there).
    gate(), if given, is called before each round of turns (`Settings.gate`: wait for quiet CPUs).
    check(id, result) says whether one run's result is correct; every result is checked. `fewer`
    {id: repeats} gives some slow runs fewer repetitions (at least 1).
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
            correct[name] = correct[name] and bool(check(name, result))
    return {name: (times[name], correct[name]) for name in runs}


def ratio(slow: float, fast: float) -> float:
    """Return slow / fast rounded to 4 decimals (infinity when fast is 0)."""
    return round(slow / fast, 4) if fast > 0 else float("inf")


# --- the machine's load --------------------------------------------------------------------


def load_average() -> float | None:
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


def wait_for_quiet(limit_s: float, sample_s: float = 2.0) -> dict:
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


# --- the peers, started alike --------------------------------------------------------------


@contextlib.contextmanager
def _environment_kept() -> Iterator[None]:
    """Restore os.environ after the block: Dask's nanny sets OMP_NUM_THREADS=1 and friends in it."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def dask(workers: int) -> Iterator[tuple[Any, float]]:
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


def dask_map(client, func, *iterables) -> list:
    """Return [func(*args) ...] computed on the Dask cluster, in order, waiting at most TIMEOUT_S."""
    from distributed import wait

    futures = client.map(func, *iterables, pure=False)  # pure=False: compute, never reuse a result
    _done, not_done = wait(futures, timeout=TIMEOUT_S)
    if not_done:
        raise TimeoutError(f"{len(not_done)} Dask tasks not done within {TIMEOUT_S} s")
    return client.gather(futures)


def joblib_run(n_jobs: int, calls) -> list:
    """Return the results of joblib.Parallel(n_jobs) over `calls` [(func, args), ...], each task timed out."""
    from joblib import Parallel, delayed

    timeout = TIMEOUT_S if n_jobs > 1 else None  # one job runs here, in sequence: no timeout to give
    return Parallel(n_jobs=n_jobs, timeout=timeout)(delayed(func)(*args) for func, args in calls)


def stop_joblib_workers() -> None:
    """Shut down the workers joblib keeps between Parallel calls (loky's reusable executor)."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor(reuse=True).shutdown(wait=True)


def warm_joblib(n_jobs: int) -> None:
    """Start joblib's workers (one 50 ms task each) before timing."""
    joblib_run(n_jobs, [(whoami, (i, 0.05)) for i in range(n_jobs)])


def executor(workers: int):
    """Return a ProcessPoolExecutor of the book's start method."""
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context())


def warm(pool_or_executor, workers: int) -> None:
    """Make every worker of a Pool or an executor start (and import the workers' module) before timing."""
    if hasattr(pool_or_executor, "map_async"):
        pool_or_executor.starmap_async(whoami, [(i, 0.05) for i in range(workers)], chunksize=1).get(
            timeout=TIMEOUT_S
        )
    else:
        list(pool_or_executor.map(whoami, range(workers), [0.05] * workers, timeout=TIMEOUT_S))


@contextlib.contextmanager
def warm_runners(workers: int) -> Iterator[tuple[Pool, ProcessPoolExecutor]]:
    """Yield the recipe's pool and an executor of `workers`, joblib's workers too, all started and warm;
    stop them all after."""
    from mpbook.tuning import recipe_pool

    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(recipe_pool(workers))
        pool_executor = stack.enter_context(executor(workers))
        stack.callback(stop_joblib_workers)
        warm(pool, workers)
        warm(pool_executor, workers)
        warm_joblib(workers)
        yield pool, pool_executor


# --- the recipe against the best peer ------------------------------------------------------


def best_peer_goal(workload: str) -> Goal:
    """Return the goal every workload has: the recipe at least as fast as its best peer, within noise."""
    return Goal(
        f"{workload}_recipe_vs_best_peer",
        f"{workload}: the book's recipe is at least as fast as the best peer, within noise",
        "<=",
    )


def versus_best_peer(
    goal: Goal,
    recipe: Measure,
    measures: list[Measure],
    *,
    workers: int,
    per: Mapping[str, float] | None = None,
) -> Target:
    """Judge `goal`: the recipe's median / the best peer's median <= 1 + noise.

    The peers are the measures of role PEER; noise is the larger of NOISE_FLOOR and the relative
    spread (max - min) / median of either. `per` {id: units} compares time per unit (per increment)
    where the variants do different amounts of work.
    """
    per = per or {}

    def scaled(m: Measure) -> dict[str, float]:
        units = per.get(m.id, 1)
        return {"median": m.median / units, "min": m.min / units, "max": m.max / units}

    def spread(s: dict[str, float]) -> float:
        return (s["max"] - s["min"]) / s["median"] if s["median"] > 0 else 0.0

    peers = [m for m in measures if m.role == PEER]
    best = min(peers, key=lambda m: scaled(m)["median"])
    mine, theirs = scaled(recipe), scaled(best)
    noise = max(NOISE_FLOOR, spread(mine), spread(theirs))
    return goal.judge(
        mine["median"] / theirs["median"],
        f"recipe ({recipe.label}) median {mine['median']:.4g} s, best peer {best.label} "
        f"{theirs['median']:.4g} s; noise = max({NOISE_FLOOR}, relative spread of either) = {noise:.2f}",
        workers=workers,
        threshold=1 + noise,
    )


# --- the machine ---------------------------------------------------------------------------


def machine_stem(quick: bool = False) -> str:
    """Return the file stem naming this machine and Python: ``linux-x86_64-2cpu-py3.11`` (no host name)."""
    import platform

    system = (platform.system() or sys.platform).lower()
    machine = (platform.machine() or "unknown").lower()
    stem = f"{system}-{machine}-{usable_cpus()}cpu-py{sys.version_info.major}.{sys.version_info.minor}"
    return stem + ("-quick" if quick else "")


def _package_versions() -> dict[str, str | None]:
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for name in ("numpy", "joblib", "dask", "distributed", "psutil", "matplotlib"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment(quick: bool, method: str) -> dict:
    """Return what the report says about this machine, this Python and this run's start method."""
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
