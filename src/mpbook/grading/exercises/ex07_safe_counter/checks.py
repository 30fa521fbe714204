"""Checks for ex07_safe_counter.

The contention test watches the workers from the trusted side, through the process tree: how many
were started and whether they ran at the same time. The learner's module runs in a process of its
own (mpbook.grading.boundary), so nothing it does there can change what is seen here. What only the
learner's process can see (the timeout of each join(), a Value the check shares with workers it
starts itself) comes from probes.py and is judged here.
"""

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex07_safe_counter import probes

ex = exercise("ex07_safe_counter")

# Four processes x 100 000 unlocked increments lost updates in every one of 110 trials on a loaded
# 2-core machine under spawn, forkserver and fork (at least 18 % of them, usually 20-40 %).
# Three calls make a lucky pass of the unlocked version practically impossible.
WORKERS, INCREMENTS, CALLS = 4, 100_000, 3


def lost_update_nudge(got: list[int], expected: int) -> str:
    if all(value < expected for value in got):
        return (
            " Updates were lost: `counter.value += 1` is a read and then a write, and another process can write "
            "in between. Hold the counter's lock, `with counter.get_lock():`, around the whole `+= 1`."
        )
    return (
        " Every process must add to the SAME counter, made once in count_safely and handed to each process."
    )


def watchable_learner():
    """Return the test's learner process, started, with its module imported and multiprocessing's helpers running.

    So a watch of its process tree that starts now counts only the learner's own processes
    (learner.py starts the helpers first), and no clock started now times an import.
    """
    learner = learner_process()
    return learner


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
    learner = watchable_learner()  # before the watch starts
    # A worker adding 100 000 times under the lock lives 0.3 s or more: the watch, every 10 ms, sees each one.
    with ProcessWatch(learner) as watch:
        got = [ex.count_safely(WORKERS, INCREMENTS) for _ in range(CALLS)]
    assert got == [expected] * CALLS, (
        f"Called count_safely({WORKERS}, {INCREMENTS}) {CALLS} times; got {got!r}, expected {expected} every time."
        + lost_update_nudge(got, expected)
    )
    assert watch.started >= WORKERS * CALLS, (
        f"Called count_safely({WORKERS}, {INCREMENTS}) {CALLS} times; it returned {expected} each time but started "
        f"{watch.started} process(es) in all, expected {WORKERS * CALLS}: the counting must be done by "
        f"{WORKERS} worker processes sharing one counter, not worked out in the parent."
    )
    assert watch.most_alive >= 2, (
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
    seen = in_learner_process(probes.add_increments_together, WORKERS, increments)
    error = seen["error"]
    if error is not None:
        assert "NotImplementedError" not in error, (
            f"Ran add_increments(counter, {increments}) in {WORKERS} processes; it still raises {error}. "
            "Replace the `raise NotImplementedError` line in add_increments with your code."
        )
        raise AssertionError(
            f"Ran add_increments(counter, {increments}) in {WORKERS} processes; it raised {error} in a child."
        )
    expected = WORKERS * increments
    value = seen["value"]
    assert value == expected, (
        f"Ran add_increments(counter, {increments}) in {WORKERS} processes on one Value; it ended at "
        f"{value}, expected {expected}." + lost_update_nudge([value], expected)
    )


@points(1)
def test_every_worker_is_joined_with_a_timeout():
    """count_safely(3, 1000) joins each of its processes, with a timeout, before it returns."""
    seen = in_learner_process(probes.starts_and_joins, 3, 1000)
    got = seen["got"]
    call = "Called count_safely(3, 1000)"
    assert got == 3000, f"{call}; got {got!r}, expected 3000."
    never = seen["never_joined"]
    assert not never, (
        f"{call}; it returned 3000, but {len(never)} of its {seen['started']} process(es) were never joined "
        f"(pids {never}): a process that ended and was not joined stays a zombie, and one still running "
        "outlives the call. Join every process, in a loop after the loop that starts them."
    )
    untimed = seen["untimed"]
    assert not untimed, (
        f"{call}; it joined its processes without a timeout (pids {untimed}): a worker that hangs would hang "
        "count_safely forever. Join each with timeout=JOIN_TIMEOUT_S."
    )


@points(1)
def test_the_work_happens_in_worker_processes():
    """count_safely(3, 1000) starts three processes to do the counting, and count_safely(0, 1000) returns 0."""
    # A forked worker adding 1 000 times can end within a few ms, too soon for the process tree's watch
    # to see every one: the starts are counted inside the learner's process.
    seen = in_learner_process(probes.starts_and_joins, 3, 1000)
    got, started = seen["got"], seen["started"]
    assert got == 3000, f"Called count_safely(3, 1000); got {got!r}, expected 3000."
    assert started >= 3, (
        f"Called count_safely(3, 1000); it returned 3000 but started {started} process(es), expected 3: "
        "the increments must be done by the worker processes, one mp.Process per worker."
    )
    got = ex.count_safely(0, 1000)
    assert got == 0, f"Called count_safely(0, 1000); got {got!r}, expected 0: no workers, no increments."
