"""Checks for ex01_start_and_join."""

import time

from mpbook.grading.checking import deadline, exercise, points

ex = exercise("ex01_start_and_join")


@points(1)
def test_returns_exit_code_zero_for_each_process():
    """Three processes that sleep briefly all exit with code 0."""
    got = ex.start_and_join([0.1, 0.1, 0.1])
    assert got == [0, 0, 0], (
        f"Called start_and_join([0.1, 0.1, 0.1]); got {got!r}, expected [0, 0, 0]. "
        "Return one exit code per process, in order."
    )


@points(1)
def test_reports_a_failing_process():
    """A process whose task raises exits with code 1, and that code is returned, not a made-up 0."""
    got = ex.start_and_join([0.1, -1, 0.1])
    assert got == [0, 1, 0], (
        f"Called start_and_join([0.1, -1, 0.1]); got {got!r}, expected [0, 1, 0]. "
        "sleep_and_return(-1) raises ValueError in the child, so that child's exitcode is 1. "
        "Return each process's real exitcode, read after join()."
    )


@points(1)
def test_empty_input():
    """No durations means no processes and an empty list."""
    got = ex.start_and_join([])
    assert got == [], f"Called start_and_join([]); got {got!r}, expected []."


@points(2)
@deadline(30)
def test_processes_run_at_the_same_time():
    """Four processes sleeping 1 s each finish in well under the 4 s they would take one after another."""
    started = time.perf_counter()
    got = ex.start_and_join([1.0, 1.0, 1.0, 1.0])
    elapsed = time.perf_counter() - started
    assert got == [0, 0, 0, 0], f"Called start_and_join([1.0] * 4); got {got!r}, expected [0, 0, 0, 0]."
    assert elapsed < 3.0, (
        f"Called start_and_join([1.0] * 4); it took {elapsed:.1f} s, but 4 processes sleeping 1 s at the same "
        "time need about 1 s. Did you join each process before starting the next? Start them all first."
    )
