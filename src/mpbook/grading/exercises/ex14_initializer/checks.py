"""Checks for ex14_initializer.

The checks hand count_with_table their own build_table: mpbook.practice.run_and_record around
build_prime_table builds the same table, and records the pid of the process that called it in a
log folder, so the check can count the builds and see where they happened. It is a functools.partial
of module-level functions, so it travels to spawned workers through initargs like any other.
The learner's module runs in a process of its own (mpbook.grading.boundary); the checks count its workers
from the trusted side, through the process tree.
"""

import functools
import itertools
import os

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import exercise, folder_for_learner, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex14_initializer import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.pooling import build_prime_table
from mpbook.practice import read_records, run_and_record

ex = exercise("ex14_initializer")

SHORT_RESULT_S = 0.2  # RESULT_TIMEOUT_S in the test of the timeout: well below probes.SLOW_BUILD_S
LIMIT_S = 10  # the slow builds (0.7 s) and a pool of 2 starting take about 1 s
# What executor.map's timeout raises, by its full name: one class from Python 3.11, two before.
FUTURES_TIMEOUTS = ("builtins.TimeoutError", "concurrent.futures._base.TimeoutError")


def learner_limit() -> int:
    """Return the learner's LIMIT (read in the learner's process: a constant does not cross as an attribute)."""
    return in_learner_process(probes.limit)


def equal_ranges(parts: int, limit: int) -> list[tuple[int, int]]:
    """Return `parts` consecutive (start, stop) ranges covering range(0, limit)."""
    bounds = [limit * k // parts for k in range(parts + 1)]
    return list(itertools.pairwise(bounds))


def count_with_table(call: str, *args) -> list:
    """Return ex.count_with_table(*args); a worker without a table becomes a failure with a nudge."""
    try:
        return ex.count_with_table(*args)
    except TypeError as exc:
        if "NoneType" not in str(exc):
            raise
        # The learner's TypeError arrives as a LearnerRaised: its own message, without the type's name.
        message = exc.raised.message if hasattr(exc, "raised") else exc
        raise AssertionError(
            f"Called {call}; a worker raised TypeError: {message}. Its _TABLE was still None: did the pool run "
            "load_table as its initializer, and does load_table say `global _TABLE` before assigning it? "
            "Without `global`, the assignment makes a local variable that vanishes when load_table returns."
        ) from None


def run_counting_builds(ranges: list, workers: int) -> tuple[list, list[int]]:
    """Return (count_with_table's answer, the pids of the processes that built a table) for ranges on workers."""
    with folder_for_learner() as folder:
        builder = functools.partial(run_and_record, build_prime_table, folder)  # builder(limit): a table
        got = count_with_table(
            f"count_with_table({len(ranges)} ranges, {workers}, ...)", ranges, workers, builder
        )
        pids = [record.pid for record in read_records(folder)]
    return got, pids


def assert_built_once_per_worker(call: str, ranges: list, workers: int, got: list, pids: list[int]) -> None:
    """Assert the answer is right and the table was built in at most `workers` worker processes, once each."""
    table = build_prime_table(learner_limit())
    expected = [sum(table[start:stop]) for start, stop in ranges]
    assert got == expected, f"Called {call}; got {got!r}, expected {expected!r}."
    assert pids, (
        f"Called {call}; it returned the right counts, but the build_table it was given was never called. "
        "The checks pass their own build_table, which counts the builds: pass the one you receive to the "
        "initializer in initargs, and build with it."
    )
    parent = learner_process().process.pid  # the process that called count_with_table
    assert parent not in pids, (
        f"Called {call}; the table was built in this process, the parent ({pids.count(parent)} time(s)). "
        "A table made in the parent costs the parent the build, then travels to the workers, pickled (with every task, "
        "or in initargs). Build it in each worker: "
        "initializer=load_table, initargs=(build_table, LIMIT)."
    )
    assert len(pids) <= workers, (
        f"Called {call}; the table was built {len(pids)} times for {len(ranges)} tasks on {workers} workers, expected "
        f"at most {workers}: once per worker. Build it in the pool's initializer, not in the task."
    )
    assert len(set(pids)) == len(pids), (
        f"Called {call}; some worker built the table more than once (pids {pids}). Once per worker is enough: "
        "keep it in the module global _TABLE."
    )


def watchable_learner():
    """Return the test's learner process, started, with its module imported and multiprocessing's helpers running.

    So a watch of its process tree that starts now counts only the learner's own processes
    (learner.py starts the helpers first), and no clock started now times an import.
    """
    learner = learner_process()
    return learner


@points(1)
def test_counts_are_right():
    """The counts match the primes in each range, with the default build_table, and no ranges gives []."""
    ranges = [(0, 10), (10, 100), (0, 100_000), (99_900, 100_000)]
    got = count_with_table(f"count_with_table({ranges}, 2)", ranges, 2)
    expected = [4, 21, 9592, 8]
    assert got == expected, (
        f"Called count_with_table({ranges}, 2); got {got!r}, expected {expected!r}. "
        "count_in_table(start, stop) is the sum of _TABLE[start:stop]; return the counts in the order of ranges."
    )
    got = ex.count_with_table([], 2)
    assert got == [], f"Called count_with_table([], 2); got {got!r}, expected []."


@points(3)
def test_table_built_once_per_worker():
    """Sixteen tasks on two workers build the table at most twice, each time in a different worker, never in the parent."""
    ranges = equal_ranges(16, learner_limit())
    got, pids = run_counting_builds(ranges, 2)
    assert_built_once_per_worker(
        "count_with_table(16 ranges, 2, build_table=<one that counts>)", ranges, 2, got, pids
    )


@points(1)
def test_three_workers():
    """Nine tasks on three workers (more than this machine's CPUs) run on a pool of three, which builds the table at most three times."""
    ranges = equal_ranges(9, learner_limit())
    call = "count_with_table(9 ranges, 3, build_table=<one that counts>)"
    learner = watchable_learner()  # before the watch starts
    # Each worker builds a table first (about 0.1 s): the watch, every 10 ms, sees it.
    with ProcessWatch(learner) as watch:
        got, pids = run_counting_builds(ranges, 3)
    assert_built_once_per_worker(call, ranges, 3, got, pids)
    started = watch.started
    assert started == 3, (
        f"Called {call}; the counts were right, but {started} worker process(es) were started, expected 3: "
        "a pool of `workers` processes, ProcessPoolExecutor(workers, ...). (Without it, the pool has one "
        f"process per CPU, {os.cpu_count()} here, whatever `workers` says.)"
    )


@points(1)
def test_gives_up_when_the_results_are_late():
    """When the tables take longer to build than RESULT_TIMEOUT_S, count_with_table raises TimeoutError, not waits."""
    ranges = [(0, 10), (10, 100)]
    called = (
        f"Called count_with_table({ranges}, 2, build_table=<one that takes {probes.SLOW_BUILD_S} s>) with "
        f"RESULT_TIMEOUT_S = {SHORT_RESULT_S}"
    )
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        outcome, seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.with_slow_tables, SHORT_RESULT_S, ranges, 2
        )
    except DidNotReturn:
        raise AssertionError(
            f"{called}; it had not returned after {LIMIT_S} s. The results are waited for at most "
            "RESULT_TIMEOUT_S: executor.map(count_in_table, starts, stops, timeout=RESULT_TIMEOUT_S)."
        ) from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        if type_name in FUTURES_TIMEOUTS:
            return  # the map gave up, as it should
        raise AssertionError(f"{called}; it raised {type_name.removeprefix('builtins.')}: {message}")
    raise AssertionError(
        f"{called}; it returned {outcome[1]!r} after {seconds:.1f} s, expected TimeoutError: the workers build "
        "their tables with the build_table given, which took longer than RESULT_TIMEOUT_S, and the results are "
        "waited for at most that. executor.map(count_in_table, starts, stops, timeout=RESULT_TIMEOUT_S) raises "
        "TimeoutError when they are late, with the constant, not a number."
    )
