"""Workload 2, ``cpu``: a fixed batch of CPU-bound tasks, serial and on 1..N workers of every runner.

Equal-sized ranges of `count_primes` above one million. For each pool size n, the serial loop takes
turns with `Pool.starmap`, `ProcessPoolExecutor.map`, joblib and the recipe, all started and warmed
before timing; Dask is measured after them with only its cluster up (its scheduler runs in this
process and its workers keep a heartbeat, which would slow the others). Speedup = serial median /
median; efficiency = speedup / n.
"""

from __future__ import annotations

from mpbook.bench import harness
from mpbook.bench.records import PEER, Goal, Measure, Target, Variant, WorkloadResult
from mpbook.bench.tasks import TIMEOUT_S
from mpbook.tuning import recipe_map
from mpbook.workers import count_primes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ID = "cpu"
TITLE = "CPU-bound"
VARIANTS = (
    harness.SERIAL,
    Variant("pool_starmap", "Pool.starmap (default chunksize)", PEER),
    Variant("executor_map", "ProcessPoolExecutor.map", PEER),
    harness.JOBLIB,
    harness.RECIPE_MAP,
    harness.DASK,
)
EFFICIENCY = Goal(
    "cpu_recipe_efficiency",
    "cpu: the recipe's parallel efficiency on all {workers} usable CPUs is >= 0.9",
    ">=",
    0.9,
)
BEST_PEER = harness.best_peer_goal(ID)
GOALS = (EFFICIENCY, BEST_PEER)
FIRST = 1_000_000  # ranges this high cost about the same each


def measure(settings: harness.Settings) -> WorkloadResult:
    """Time the batch serially and on every runner, for each pool size from 1 to settings.workers."""
    base, span = FIRST, settings.cpu_span
    tasks = [(base + i * span, base + (i + 1) * span) for i in range(settings.cpu_tasks)]
    starts, stops = [a for a, _ in tasks], [b for _, b in tasks]
    expected = [count_primes(a, b) for a, b in tasks]
    variants = {v.id: v for v in VARIANTS}

    def check(_variant_id, result):
        return list(result) == expected

    measures: list[Measure] = []
    cluster_start = {}
    for n in range(1, settings.workers + 1):
        with harness.warm_runners(n) as (pool, executor):
            # Callable[..., Any]: mypy infers no type for a lambda with a default (binding this pass's pool)
            runs: dict[str, Callable[..., Any]] = {
                "serial": lambda: [count_primes(a, b) for a, b in tasks],
                "pool_starmap": lambda pool=pool: pool.starmap_async(count_primes, tasks).get(
                    timeout=TIMEOUT_S
                ),
                "executor_map": lambda ex=executor: list(
                    ex.map(count_primes, starts, stops, timeout=TIMEOUT_S)
                ),
                "joblib": lambda n=n: harness.joblib_run(n, [(count_primes, t) for t in tasks]),
                "recipe": lambda pool=pool: recipe_map(pool, count_primes, tasks, star=True),
            }
            timings = harness.measure_in_turns(runs, settings.repeats, check, gate=settings.gate)
        with harness.dask(n) as (client, cluster_start[str(n)]):
            dask_run: dict[str, Callable[..., Any]] = {
                "dask": lambda client=client: harness.dask_map(client, count_primes, starts, stops)
            }
            timings.update(harness.measure_in_turns(dask_run, settings.repeats, check, gate=settings.gate))
        serial = Measure.of(variants["serial"], *timings.pop("serial"), workers=n)
        measures.append(serial)
        for variant_id, (times, correct) in timings.items():
            m = Measure.of(variants[variant_id], times, correct, workers=n)
            # the serial runs that took turns with these: the same conditions
            measures.append(
                m.with_figures(
                    speedup=round(serial.median / m.median, 4),
                    efficiency=round(serial.median / (n * m.median), 4),
                )
            )
    return WorkloadResult(
        ID,
        f"{len(tasks)} tasks count_primes(a, a + {span}) above {base:,}, equal in size; "
        "pools started and warmed before timing; the serial loop takes turns with the runners of each "
        "number of workers, except Dask, measured after them with only its cluster up; speedup = serial median / median, efficiency = speedup / workers",
        tuple(measures),
        {"tasks": len(tasks), "dask_cluster_start_s": {n: round(s, 4) for n, s in cluster_start.items()}},
    )


def judge(result: WorkloadResult, workers: int) -> list[Target]:
    """Judge the recipe on all usable CPUs: its efficiency, and its time against the best peer's."""
    recipe = result.measure("recipe", workers)
    return [
        EFFICIENCY.judge(
            recipe.figures["efficiency"],
            f"speedup {recipe.figures['speedup']:.3f} on {workers} workers",
            workers=workers,
        ),
        harness.versus_best_peer(BEST_PEER, recipe, result.select(workers=workers), workers=workers),
    ]
