"""Workload 3, ``tiny``: tens of thousands of tasks that do nothing (`square`): what each runner costs per task.

A serial loop, `Pool.map` with its default chunksize and with ``chunksize=1``,
`ProcessPoolExecutor.map` with its default (1) and with the recipe's chunksize, joblib, the recipe,
and Dask (measured after the others with only its cluster up, fewer repetitions: about 2 ms a task).
Pools started and warmed before timing. Here every microsecond is overhead.
"""

from __future__ import annotations

from mpbook.bench import harness
from mpbook.bench.records import PEER, Goal, Measure, Target, Variant, WorkloadResult
from mpbook.bench.tasks import TIMEOUT_S
from mpbook.tuning import recipe_chunksize, recipe_map
from mpbook.workers import square

ID = "tiny"
TITLE = "Many tiny tasks"
VARIANTS = (
    harness.SERIAL,
    Variant("pool_map_default", "Pool.map (default chunksize)", PEER),
    Variant("pool_map_chunksize_1", "Pool.map chunksize=1", PEER),
    Variant("executor_map_default", "ProcessPoolExecutor.map (default chunksize=1)", PEER),
    Variant("executor_map_tuned", "ProcessPoolExecutor.map chunksize={recipe_chunksize}", PEER),
    harness.JOBLIB,
    harness.RECIPE_MAP,
    harness.DASK,
)
VERSUS_CHUNKSIZE_1 = Goal(
    "tiny_recipe_vs_chunksize_1", "tiny: the recipe is >= 50x faster than Pool.map chunksize=1", ">=", 50
)
VERSUS_SERIAL = Goal("tiny_recipe_vs_serial", "tiny: the recipe is within 5x of the serial loop", "<=", 5)
BEST_PEER = harness.best_peer_goal(ID)
GOALS = (VERSUS_CHUNKSIZE_1, VERSUS_SERIAL, BEST_PEER)


def measure(settings: harness.Settings) -> WorkloadResult:
    """Time settings.tiny_tasks squares on every runner, on all usable CPUs."""
    n = settings.workers
    items = list(range(settings.tiny_tasks))
    expected = [x * x for x in items]
    tuned = recipe_chunksize(len(items), n)
    facts = {"tasks": len(items), "workers": n, "recipe_chunksize": tuned}

    def check(_variant_id, result):
        return list(result) == expected

    with harness.warm_runners(n) as (pool, executor):
        runs = {
            "serial": lambda: [square(x) for x in items],
            "pool_map_default": lambda: pool.map_async(square, items).get(timeout=TIMEOUT_S),
            "pool_map_chunksize_1": lambda: pool.map_async(square, items, chunksize=1).get(timeout=TIMEOUT_S),
            "executor_map_default": lambda: list(executor.map(square, items, timeout=TIMEOUT_S)),
            "executor_map_tuned": lambda: list(
                executor.map(square, items, chunksize=tuned, timeout=TIMEOUT_S)
            ),
            "joblib": lambda: harness.joblib_run(n, [(square, (x,)) for x in items]),
            "recipe": lambda: recipe_map(pool, square, items),
        }
        timings = harness.measure_in_turns(runs, settings.repeats, check, gate=settings.gate)
    with harness.dask(n) as (client, cluster_start):  # alone, as in the cpu workload
        timings.update(
            harness.measure_in_turns(
                {"dask": lambda: harness.dask_map(client, square, items)},
                settings.dask_tiny_repeats,
                check,
                gate=settings.gate,
            )
        )
    variants = {v.id: v for v in VARIANTS}
    measures = [Measure.of(variants[vid], times, ok, facts=facts) for vid, (times, ok) in timings.items()]
    serial = next(m.median for m in measures if m.id == "serial")
    recipe = next(m.median for m in measures if m.id == "recipe")
    measures = [
        m.with_figures(
            per_task_us=round(m.median / len(items) * 1e6, 4),
            vs_serial=harness.ratio(m.median, serial),
            vs_recipe=harness.ratio(m.median, recipe),
        )
        for m in measures
    ]
    return WorkloadResult(
        ID,
        f"{len(items):,} tasks square(x) on {n} workers, pools started and warmed before timing; "
        f"the recipe's chunksize is {tuned}; Dask measured after the others with only its cluster up, "
        f"{settings.dask_tiny_repeats} repetitions (about 2 ms a task)",
        tuple(measures),
        {**facts, "dask_cluster_start_s": round(cluster_start, 4)},
    )


def judge(result: WorkloadResult, workers: int) -> list[Target]:
    """Judge the recipe against chunksize=1, against the serial loop, and against the best peer."""
    recipe = result.measure("recipe")
    return [
        VERSUS_CHUNKSIZE_1.judge(
            result.measure("pool_map_chunksize_1").median / recipe.median,
            "Pool.map chunksize=1 median / recipe median",
            workers=workers,
        ),
        VERSUS_SERIAL.judge(
            recipe.median / result.measure("serial").median,
            "recipe median / serial loop median",
            workers=workers,
        ),
        harness.versus_best_peer(BEST_PEER, recipe, list(result.measures), workers=workers),
    ]
