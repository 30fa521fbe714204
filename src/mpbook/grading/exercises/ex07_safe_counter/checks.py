"""Checks for ex07_safe_counter."""

import contextlib
import multiprocessing as mp
import threading
from multiprocessing.process import BaseProcess

import psutil

from mpbook.grading.checking import counting_process_starts, deadline, exercise, points

ex = exercise("ex07_safe_counter")

# Four processes x 100 000 unlocked increments lost updates in every one of 110 trials on a loaded
# 2-core machine under spawn, forkserver and fork (at least 18 % of them, usually 20-40 %).
# Three calls make a lucky pass of the unlocked version practically impossible.
WORKERS, INCREMENTS, CALLS = 4, 100_000, 3
JOIN_TIMEOUT_S = 60  # 4 x 100 000 locked increments take about a second; 60 s is a very busy machine
SAMPLE_S = 0.02  # how often the overlap watcher looks; a contention-test worker lives 0.3 s or more


def run_add_increments(counter, increments: int, errors) -> None:
    """Run the learner's add_increments in this child; put a description of any exception on errors."""
    try:
        ex.add_increments(counter, increments)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which turns it into a message
        errors.put(f"{type(exc).__name__}({str(exc)!r})")


def lost_update_nudge(got: list[int], expected: int) -> str:
    if all(value < expected for value in got):
        return (
            " Updates were lost: `counter.value += 1` is a read and then a write, and another process can write "
            "in between. Hold the counter's lock, `with counter.get_lock():`, around the whole `+= 1`."
        )
    return (
        " Every process must add to the SAME counter, made once in count_safely and handed to each process."
    )


@contextlib.contextmanager
def recording_joins():
    """Record every join() called while the block runs: yields a list of (process, its timeout argument)."""
    joins: list[tuple[BaseProcess, object]] = []
    original = BaseProcess.join

    def join(self, timeout=None):
        joins.append((self, timeout))
        return original(self, timeout)

    BaseProcess.join = join
    try:
        yield joins
    finally:
        BaseProcess.join = original


class AliveTogether(threading.Thread):
    """Samples, every SAMPLE_S, how many of the started processes are alive (neither ended nor a zombie).

    Reads their status with psutil and never waits on them, so it cannot reap a child the learner's
    join() is waiting for.
    """

    def __init__(self, started: list[BaseProcess]) -> None:
        super().__init__(daemon=True)
        self.started = started
        self.halt = threading.Event()
        self.most = 0

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_S):
            alive = 0
            for process in list(self.started):
                with contextlib.suppress(psutil.Error, ValueError, AttributeError):
                    alive += psutil.Process(process.pid).status() != psutil.STATUS_ZOMBIE
            self.most = max(self.most, alive)

    def __enter__(self) -> "AliveTogether":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.halt.set()
        self.join(timeout=5)


@points(1)
def test_one_worker_counts_exactly():
    """One worker adding 1 000 times leaves the counter at 1 000."""
    got = ex.count_safely(1, 1000)
    assert got == 1000, (
        f"Called count_safely(1, 1000); got {got!r}, expected 1000. "
        "Start the process, join it, and return counter.value after the join."
    )


@points(2)
@deadline(60)
def test_no_lost_updates_under_contention():
    """Four worker processes adding 100 000 times each end at exactly 400 000, in each of three calls."""
    expected = WORKERS * INCREMENTS
    with counting_process_starts() as started, AliveTogether(started) as watcher:
        got = [ex.count_safely(WORKERS, INCREMENTS) for _ in range(CALLS)]
    assert got == [expected] * CALLS, (
        f"Called count_safely({WORKERS}, {INCREMENTS}) {CALLS} times; got {got!r}, expected {expected} every time."
        + lost_update_nudge(got, expected)
    )
    assert len(started) >= WORKERS * CALLS, (
        f"Called count_safely({WORKERS}, {INCREMENTS}) {CALLS} times; it returned {expected} each time but started "
        f"{len(started)} process(es) in all, expected {WORKERS * CALLS}: the counting must be done by "
        f"{WORKERS} worker processes sharing one counter, not worked out in the parent."
    )
    assert watcher.most >= 2, (
        f"Called count_safely({WORKERS}, {INCREMENTS}) {CALLS} times; it returned {expected} each time, but its "
        "processes never ran at the same time: each one ended before the next started, so none could lose "
        "another's update. Start every process first, then join them all: the counter must stay exact while "
        f"{WORKERS} processes add to it at once."
    )


@points(1)
@deadline(60)
def test_add_increments_is_safe_on_its_own():
    """add_increments, run by four processes the check starts on its own Value, loses no update."""
    increments = INCREMENTS
    counter = mp.Value("i", 0)
    errors = mp.SimpleQueue()  # a few short messages at most: join() before reading them cannot block
    processes = [
        mp.Process(target=run_add_increments, args=(counter, increments, errors)) for _ in range(WORKERS)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=JOIN_TIMEOUT_S)
    if not errors.empty():
        error = errors.get()
        assert "NotImplementedError" not in error, (
            f"Ran add_increments(counter, {increments}) in {WORKERS} processes; it still raises {error}. "
            "Replace the `raise NotImplementedError` line in add_increments with your code."
        )
        raise AssertionError(
            f"Ran add_increments(counter, {increments}) in {WORKERS} processes; it raised {error} in a child."
        )
    expected = WORKERS * increments
    assert counter.value == expected, (
        f"Ran add_increments(counter, {increments}) in {WORKERS} processes on one Value; it ended at "
        f"{counter.value}, expected {expected}." + lost_update_nudge([counter.value], expected)
    )


@points(1)
def test_every_worker_is_joined_with_a_timeout():
    """count_safely(3, 1000) joins each of its processes, with a timeout, before it returns."""
    with counting_process_starts() as started, recording_joins() as joins:
        got = ex.count_safely(3, 1000)
    call = "Called count_safely(3, 1000)"
    assert got == 3000, f"{call}; got {got!r}, expected 3000."
    joined = {id(process) for process, _ in joins}
    never = [process.pid for process in started if id(process) not in joined]
    assert not never, (
        f"{call}; it returned 3000, but {len(never)} of its {len(started)} process(es) were never joined "
        f"(pids {never}): a process that ended and was not joined stays a zombie, and one still running "
        "outlives the call. Join every process, in a loop after the loop that starts them."
    )
    untimed = [process.pid for process, timeout in joins if timeout is None]
    assert not untimed, (
        f"{call}; it joined its processes without a timeout (pids {untimed}): a worker that hangs would hang "
        "count_safely forever. Join each with timeout=JOIN_TIMEOUT_S."
    )


@points(1)
def test_the_work_happens_in_worker_processes():
    """count_safely(3, 1000) starts three processes to do the counting, and count_safely(0, 1000) returns 0."""
    with counting_process_starts() as started:
        got = ex.count_safely(3, 1000)
    assert got == 3000, f"Called count_safely(3, 1000); got {got!r}, expected 3000."
    assert len(started) >= 3, (
        f"Called count_safely(3, 1000); it returned 3000 but started {len(started)} process(es), expected 3: "
        "the increments must be done by the worker processes, one mp.Process per worker."
    )
    got = ex.count_safely(0, 1000)
    assert got == 0, f"Called count_safely(0, 1000); got {got!r}, expected 0: no workers, no increments."
