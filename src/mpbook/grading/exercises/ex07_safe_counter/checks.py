"""Checks for ex07_safe_counter."""

import multiprocessing as mp

from mpbook.grading.checking import counting_process_starts, deadline, exercise, points

ex = exercise("ex07_safe_counter")

# Four processes x 100 000 unlocked increments lost updates in every one of 110 trials on a loaded
# 2-core machine under spawn, forkserver and fork (at least 18 % of them, usually 20-40 %).
# Three calls make a lucky pass of the unlocked version practically impossible.
WORKERS, INCREMENTS, CALLS = 4, 100_000, 3
JOIN_TIMEOUT_S = 60  # 4 x 100 000 locked increments take about a second; 60 s is a very busy machine


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


@points(1)
def test_one_worker_counts_exactly():
    """One worker adding 1 000 times leaves the counter at 1 000."""
    got = ex.count_safely(1, 1000)
    assert got == 1000, (
        f"Called count_safely(1, 1000); got {got!r}, expected 1000. "
        "Start the process, join it, and return counter.value after the join."
    )


@points(3)
@deadline(60)
def test_no_lost_updates_under_contention():
    """Four worker processes adding 100 000 times each end at exactly 400 000, in each of three calls."""
    expected = WORKERS * INCREMENTS
    with counting_process_starts() as started:
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
