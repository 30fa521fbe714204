"""Checks for ex13_chunksize.

The learner's module runs in a process of its own (mpbook.grading.boundary). fast_map needs an executor, and
an executor cannot be sent there, so probes.py starts one in the learner's process for each test;
the checks call fast_map on it and time each call from here, the trusted process.
"""

import contextlib
import functools
import math
import os
import time

from mpbook.grading import boundary
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex13_chunksize import probes
from mpbook.workers import square, whoami

ex = exercise("ex13_chunksize")

WORKERS = 2
N_TINY = 10_000
# chunksize=1 costs 0.1-0.2 ms per task on a loaded 2-core machine (1-2 s for 10 000); chunks of about
# 1 250 take 5-15 ms: 100-400x faster. Ten times faster leaves a wide margin, and still fails
# chunksize=1 and chunks of a handful of items. Timing a call across the boundary adds 1-3 ms to both.
MIN_RATIO = 10
RUNS = 3  # the learner's version is timed three times and the best counts: one hiccup is forgiven
MAP_TIMEOUT_S = 60  # 10 000 tasks one per message take a few seconds at worst
# (items, workers) for pick_chunksize: workers from 2 to 8, so a fixed chunksize, "four chunks in all" or
# "one chunk per worker" gives far too few or far too many chunks for some of them.
SIZES = ((10_000, 2), (10_000, 8), (100_000, 3), (1_000, 4), (400, 3))
# Chunks per worker accepted around "about four": rounding, or n // (4 * workers), moves it.
FEWEST, MOST = 2, 8
SPREAD_WORKERS = 3  # more workers than this machine's 2 CPUs: a fast_map that assumes the CPU count shows


@contextlib.contextmanager
def started_executor(workers: int = WORKERS):
    """Start, in the learner's process, an executor whose `workers` processes are all running; shut it down after."""
    learner_process()  # started (and the learner's module imported) first
    in_learner_process(probes.start_executor, workers, MAP_TIMEOUT_S)
    try:
        yield
    finally:
        with contextlib.suppress(boundary.LearnerEnded):  # a process that ended is stopped by the grader
            in_learner_process(probes.stop_executor)


def fast_map(func, items: list, workers: int):
    """Return (what fast_map(executor, func, items, workers) returned, messages it sent) on the started executor."""
    seen = in_learner_process(probes.fast_map, func, items, workers)
    return seen["got"], seen["messages"]


@points(1)
def test_pick_chunksize():
    """pick_chunksize gives at least 1 for no items, and chunks that are large but leave every worker some work."""
    for n_items in (0, 1, 3):
        got = ex.pick_chunksize(n_items, WORKERS)
        usable = isinstance(got, int) and got >= 1
        assert usable, (
            f"Called pick_chunksize({n_items}, {WORKERS}); got {got!r}, expected an int of at least 1: "
            "executor.map raises ValueError for chunksize=0. Use max(1, ...)."
        )
    got = ex.pick_chunksize(N_TINY, WORKERS)
    sensible = isinstance(got, int) and 50 <= got <= N_TINY // WORKERS
    assert sensible, (
        f"Called pick_chunksize({N_TINY}, {WORKERS}); got {got!r}, expected a few hundred to a few thousand "
        f"(Pool.map's rule, ceil(n / (4 * workers)), gives {-(-N_TINY // (4 * WORKERS))}). Much smaller chunks "
        "mean thousands of messages; more than n / workers leaves a worker without a chunk."
    )
    for n_items, workers in SIZES:
        got = ex.pick_chunksize(n_items, workers)
        usable = isinstance(got, int) and got >= 1
        assert usable, (
            f"Called pick_chunksize({n_items}, {workers}); got {got!r}, expected an int of at least 1."
        )
        chunks = math.ceil(n_items / got)
        rule = math.ceil(n_items / (4 * workers))
        assert FEWEST * workers <= chunks <= MOST * workers, (
            f"Called pick_chunksize({n_items}, {workers}); got {got}: {chunks} chunk(s) for {workers} workers, "
            f"{chunks / workers:.1f} per worker, expected about four per worker (between {FEWEST} and {MOST}). "
            "The chunksize must follow both the number of items and the number of workers: a fixed chunksize, or "
            f"a fixed number of chunks in all, is right for one pool size only. Pool.map's rule gives {rule}."
        )


@points(1)
def test_same_results_in_order():
    """fast_map returns func(x) for every item, in input order, for 100 items, one item and none."""
    with started_executor():
        for items in (list(range(100)), [5], []):
            got, _ = fast_map(square, items, WORKERS)
            expected = [x * x for x in items]
            assert got == expected, (
                f"Called fast_map(executor, square, {items if len(items) < 5 else 'list(range(100))'}, {WORKERS}); "
                f"got {got!r:.200}, expected {expected!r:.200}. executor.map returns results in input order; "
                "return them as a list."
            )


@points(3)
@deadline(60)
def test_many_tiny_tasks_are_fast():
    """10 000 squares take at most a tenth of the time executor.map needs with chunksize=1, on the same executor."""
    items = list(range(N_TINY))
    expected = [x * x for x in items]
    call = f"fast_map(executor, square, list(range({N_TINY})), {WORKERS})"
    with started_executor():
        timings, messages = [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            got, sent = fast_map(square, items, WORKERS)
            timings.append(time.perf_counter() - started)
            messages.append(sent)
            assert got == expected, f"Called {call}; got {got!r:.200}, expected the squares in order."
        assert min(messages) > 0, (
            f"Called {call}; it returned the right squares but sent no task to the executor: the work must be done "
            "by the executor's worker processes. Call executor.map(...) on the executor you are given; a pool "
            "of your own would spend more time starting than the tasks take."
        )
        started = time.perf_counter()
        reference = in_learner_process(probes.reference_map, square, items, MAP_TIMEOUT_S)
        reference_s = time.perf_counter() - started
    assert reference == expected
    best = min(timings)
    ratio = reference_s / best
    assert ratio >= MIN_RATIO, (
        f"Called {call}; it took {best * 1000:.0f} ms (best of {RUNS}), sending {messages[timings.index(best)]} "
        f"message(s); executor.map with chunksize=1 took {reference_s * 1000:.0f} ms on the same executor, only "
        f"{ratio:.1f}x slower. Expected at least {MIN_RATIO}x: each message costs a round trip, far more than "
        "squaring a number, so send the items in a few large chunks (about four per worker)."
    )


@points(1)
def test_every_worker_gets_work():
    """400 small tasks of 2 ms on three workers travel in chunks of pick_chunksize(400, 3), and every worker gets some."""
    task = functools.partial(whoami, seconds=0.002)
    items = list(range(400))
    workers = SPREAD_WORKERS
    call = f"Called fast_map(executor, whoami, list(range(400)), {workers}) on an executor of {workers} processes"
    with started_executor(workers):
        got, messages = fast_map(task, items, workers)
    tasks = [result[0] for result in got] if isinstance(got, list) else got
    assert tasks == items, f"{call}; results out of order."
    pids = {result[1] for result in got}
    assert learner_process().process.pid not in pids, (
        f"{call}; some tasks ran in this process: run them on the executor."
    )
    chunksize = ex.pick_chunksize(len(items), workers)
    expected = math.ceil(len(items) / chunksize)
    assert messages == expected, (
        f"{call}; it sent {messages} message(s), expected {expected}: chunks of pick_chunksize(400, {workers}) "
        f"= {chunksize} items. Pass fast_map's own `workers` to pick_chunksize (not the number of CPUs, "
        f"{os.cpu_count()} here, nor a number of your own), and its result to executor.map as chunksize."
    )
    assert len(pids) == workers, (
        f"{call}; the tasks ran in {len(pids)} process(es), expected {workers}. Chunks so large that there are "
        "fewer chunks than workers leave a worker idle: aim for about four chunks per worker."
    )
