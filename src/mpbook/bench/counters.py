"""Workload 5, ``counters``: N workers adding 1 to one shared count, compared per increment.

A `Manager` dict proxy under a `Manager` lock, a `Value` under its own lock (kept in each worker by
a pool initializer), one int64 slot per worker in a `shared_memory` block, and the recipe: count in a
local variable and return the counts. A plain dict in one process is the reference. Pools and the
Manager are started before timing; the Manager's workers do 100 times fewer increments.
"""

from __future__ import annotations

import contextlib

from mpbook.bench import harness
from mpbook.bench.records import LIMIT, PEER, RECIPE, Measure, Target, Variant, WorkloadResult
from mpbook.bench.tasks import (
    TIMEOUT_S,
    count_locally,
    count_with_manager,
    increment_kept_counter,
    increment_slot,
    keep_counter,
)
from mpbook.config import get_context
from mpbook.tuning import recipe_map, recipe_pool

ID = "counters"
TITLE = "Shared counters"
VARIANTS = (
    Variant("plain_dict", "plain dict, one process", LIMIT),
    Variant("manager", "Manager dict proxy + Manager lock", PEER),
    Variant("value", "Value with its lock (shared memory)", PEER),
    Variant("shared_memory_slots", "shared_memory, one slot per worker", PEER),
    Variant("recipe", "recipe_map: count locally, return counts", RECIPE),
)
BEST_PEER = harness.best_peer_goal(ID)
GOALS = (BEST_PEER,)


def measure(settings: harness.Settings) -> WorkloadResult:
    """Time settings.workers workers counting to settings.increments each, every way, and one plain dict."""
    from multiprocessing import shared_memory

    n = settings.workers
    k, k_manager = settings.increments, settings.manager_increments
    totals = {v.id: n * (k_manager if v.id == "manager" else k) for v in VARIANTS}
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
        harness.warm(pool, n)
        harness.warm(value_pool, n)

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
            assert block.buf is not None  # None only once closed
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
            "plain_dict": plain_dict,
            "manager": by_manager,
            "value": by_value,
            "shared_memory_slots": by_slots,
            "recipe": lambda: sum(recipe_map(pool, count_locally, [k] * n)),
        }
        timings = harness.measure_in_turns(
            runs, settings.repeats, lambda vid, result: result == totals[vid], gate=settings.gate
        )
    variants = {v.id: v for v in VARIANTS}
    measures = [Measure.of(variants[vid], times, ok) for vid, (times, ok) in timings.items()]
    limit = next(m.median for m in measures if m.id == "plain_dict") / totals["plain_dict"]
    measures = [
        m.with_figures(
            increments=totals[m.id],
            per_increment_us=round(m.median / totals[m.id] * 1e6, 5),
            vs_plain_dict=harness.ratio(m.median / totals[m.id], limit),
        )
        for m in measures
    ]
    return WorkloadResult(
        ID,
        f"{n} workers each adding 1 to one shared count, {k:,} times each "
        f"({k_manager:,} through the Manager); pools and the Manager started before timing; compared per "
        "increment",
        tuple(measures),
        {"workers": n},
    )


def judge(result: WorkloadResult, workers: int) -> list[Target]:
    """Judge the recipe against the best peer, per increment (the Manager does fewer)."""
    per = {m.id: m.figures["increments"] for m in result.measures}
    return [
        harness.versus_best_peer(
            BEST_PEER, result.measure("recipe"), list(result.measures), workers=workers, per=per
        )
    ]
