"""Workload 4, ``data``: a large NumPy array handed to N workers, each summing its share, six ways.

    Queue / Pipe       parent --pickle(rows)--> server process: sum --> parent        (servers started first)
    pickled argument   parent --pickle(rows) in each task--> pool worker: sum
    initializer        parent --initargs=(array,)--> new pool's workers; tasks carry (start, stop)
    joblib             joblib memory-maps the array once; tasks carry the map
    shared memory      parent: copy into a new block (every run); tasks carry (SharedArrayRef, start, stop)

One more row has the array made in shared memory before the clock starts, as a program that builds
it there would. The limits, measured in the same run: memcpy (`np.copyto` into memory already
touched) and ``data.copy()`` into new memory. GB/s = array bytes / median seconds.
"""

from __future__ import annotations

import contextlib

from mpbook.bench import harness
from mpbook.bench.records import LIMIT, PEER, RECIPE, Goal, Measure, Target, Variant, WorkloadResult
from mpbook.bench.tasks import TIMEOUT_S, serve_pipe_sums, serve_queue_sums, sum_array_rows
from mpbook.config import get_context
from mpbook.tuning import (
    load_array,
    recipe_map,
    recipe_pool,
    share_array,
    sum_array,
    sum_loaded_rows,
    sum_shared_rows,
)

ID = "data"
TITLE = "Moving a large array"
VARIANTS = (
    Variant("memcpy", "memcpy (np.copyto, one core)", LIMIT),
    Variant("copy", "data.copy() into new memory", LIMIT),
    Variant("queue", "Queue", PEER),
    Variant("pipe", "Pipe", PEER),
    Variant("pickled_argument", "pickled argument (Pool.map)", PEER),
    Variant("initializer", "initializer (new Pool, start included)", PEER),
    Variant("joblib", "joblib (memory-mapped by joblib)", PEER),
    Variant("recipe", "shared memory (recipe_map + share_array)", RECIPE),
    Variant("recipe_prebuilt", "shared memory, array already there (recipe_map)", RECIPE),
)
VERSUS_QUEUE = Goal(
    "data_shared_memory_vs_queue",
    "data: sharing the array with shared_memory is >= 5x faster than sending it through a Queue",
    ">=",
    5,
)
BEST_PEER = harness.best_peer_goal(ID)
GOALS = (VERSUS_QUEUE, BEST_PEER)
TARGET_MB = 256  # the size issue 7 set the goal for; a quick run uses less and says so


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


def _start_servers(stack: contextlib.ExitStack, context, n: int):
    """Start n Queue servers and n Pipe servers (stopped when the stack closes); return (inbox, outbox, pipes)."""
    inbox, outbox = context.Queue(), context.Queue()
    queue_servers = [
        context.Process(target=serve_queue_sums, args=(inbox, outbox, TIMEOUT_S)) for _ in range(n)
    ]
    pipes = [context.Pipe() for _ in range(n)]
    pipe_servers = [context.Process(target=serve_pipe_sums, args=(child, TIMEOUT_S)) for _, child in pipes]
    for process in queue_servers + pipe_servers:
        process.start()
    stack.callback(_stop_servers, pipe_servers, [parent for parent, _ in pipes])
    stack.callback(_stop_servers, queue_servers, [inbox] * n)
    for _, child in pipes:
        child.close()  # the server holds its own copy of this end
    return inbox, outbox, [parent for parent, _ in pipes]


def measure(settings: harness.Settings) -> WorkloadResult:
    """Time handing settings.data_values float64s to all usable CPUs every way, beside memcpy."""
    import numpy as np

    n = settings.workers
    context = get_context()
    data = np.arange(settings.data_values, dtype=np.float64)
    total = float(data.sum())  # exact: every partial sum is an integer below 2**53
    rows = len(data)
    shares = [(i * rows // n, (i + 1) * rows // n) for i in range(n)]

    def check(_variant_id, result):
        return result == total

    target = np.empty_like(data)
    target[...] = 1.0  # touch every page first: np.copyto then measures the copy alone

    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(recipe_pool(n))
        stack.callback(harness.stop_joblib_workers)
        harness.warm(pool, n)
        harness.warm_joblib(n)
        inbox, outbox, pipes = _start_servers(stack, context, n)
        built = stack.enter_context(share_array(data))  # for data made in shared memory from the start

        def by_queue():
            for a, b in shares:
                inbox.put(data[a:b])
            return sum(outbox.get(timeout=TIMEOUT_S) for _ in shares)

        def by_pipe():
            for parent, (a, b) in zip(pipes, shares, strict=True):
                parent.send(data[a:b])
            sums = []
            for parent in pipes:
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

        def by_memcpy():
            np.copyto(target, data)
            return total

        runs = {
            "memcpy": by_memcpy,
            "copy": lambda: data.copy() is not None and total,
            "queue": by_queue,
            "pipe": by_pipe,
            "pickled_argument": lambda: sum(
                pool.map_async(sum_array, [data[a:b] for a, b in shares], chunksize=1).get(timeout=TIMEOUT_S)
            ),
            "initializer": by_initializer,
            "joblib": lambda: sum(harness.joblib_run(n, [(sum_array_rows, (data, a, b)) for a, b in shares])),
            "recipe": by_shared_memory,
            "recipe_prebuilt": lambda: sum(
                recipe_map(pool, sum_shared_rows, [(built, a, b) for a, b in shares], star=True)
            ),
        }
        timings = harness.measure_in_turns(runs, settings.repeats, check, gate=settings.gate)
    variants = {v.id: v for v in VARIANTS}
    measures = [Measure.of(variants[vid], times, ok) for vid, (times, ok) in timings.items()]
    memcpy = next(m.median for m in measures if m.id == "memcpy")
    measures = [
        m.with_figures(
            gb_per_s=round(data.nbytes / m.median / 1e9, 4), vs_memcpy=harness.ratio(m.median, memcpy)
        )
        for m in measures
    ]
    return WorkloadResult(
        ID,
        f"a {data.nbytes / 1e6:.0f} MB float64 array, each of {n} workers summing its share "
        "of the rows; Queue and Pipe servers and the Pool started before timing, the initializer's pool "
        "is created in every run (that is when the array travels); shared memory includes creating and "
        "filling the block, except in the last row, where the array was made in shared memory before "
        "timing; GB/s = array bytes / median seconds",
        tuple(measures),
        {"nbytes": int(data.nbytes), "workers": n},
    )


def judge(result: WorkloadResult, workers: int) -> list[Target]:
    """Judge shared memory (block created and filled in every run) against the Queue, and the recipe against the best peer."""
    queue, recipe = result.measure("queue"), result.measure("recipe")
    prebuilt = queue.median / result.measure("recipe_prebuilt").median
    size = result.facts["nbytes"] / 1e6
    detail = (
        f"Queue median / shared memory median (block created and filled in every run), for {size:.0f} MB"
        + ("" if size >= TARGET_MB else f" (the target is set for {TARGET_MB} MB: this run used less)")
        + f"; with the array made in shared memory from the start: {prebuilt:.3g}x"
    )
    return [
        VERSUS_QUEUE.judge(queue.median / recipe.median, detail, workers=workers),
        harness.versus_best_peer(BEST_PEER, recipe, list(result.measures), workers=workers),
    ]
