"""Checks for ex01_start_and_join.

The checks watch the processes themselves, not only the returned list: how many were started,
how many were alive at once and whether any was still running when start_and_join returned. They
see them from the trusted side, through the process tree: the learner's module runs in a process
of its own (mpbook.grading.boundary), so nothing it does there can change what is seen here.
"""

import time

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex01_start_and_join import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex01_start_and_join")

LIMIT_S = 10  # every call here ends within about a second, spawn included
LATE_START_S = 0.4  # creating four Process objects takes microseconds; sleeping first in the parent takes 2 s


def watched(call: str, durations):
    """Return (what start_and_join(durations) returned, processes started, most alive at once, seconds to the
    first start, pids still running when it returned)."""
    learner = learner_process()  # started (and the learner's module imported) before the clock starts
    with ProcessWatch(learner) as watch:
        called = time.monotonic()
        try:
            got, _seconds = call_with_limit(LIMIT_S, ex.start_and_join, durations)
        except DidNotReturn:
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s. Did you join(timeout=JOIN_TIMEOUT_S) each "
                "process, after starting them all?"
            ) from None
    running = [process.pid for process in learner.descendants()]
    first_start = None if watch.first_seen is None else max(0.0, watch.first_seen - called)
    return got, watch.started, watch.most_alive, first_start, running


@points(1)
def test_returns_exit_code_zero_for_each_process():
    """Three processes that sleep briefly all exit with code 0, one process per duration."""
    call = "start_and_join([0.1, 0.1, 0.1])"
    got, started, _, _, _ = watched(call, [0.1, 0.1, 0.1])
    assert got == [0, 0, 0], (
        f"Called {call}; got {got!r}, expected [0, 0, 0]. Return one exit code per process, in order, read "
        "after join()."
    )
    assert started == 3, (
        f"Called {call}; {started} process(es) were started, expected 3: one mp.Process per duration."
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
    got, started, _, _, _ = watched("start_and_join([])", [])
    assert got == [], f"Called start_and_join([]); got {got!r}, expected []."
    assert not started, f"Called start_and_join([]); {started} process(es) were started, expected none."


@points(2)
def test_processes_run_at_the_same_time():
    """Four processes sleeping 0.5 s are all alive at once: every start() comes before the first join()."""
    call = "start_and_join([0.5, 0.5, 0.5, 0.5])"
    got, started, most, first_start, _ = watched(call, [0.5] * 4)
    assert got == [0, 0, 0, 0], f"Called {call}; got {got!r}, expected [0, 0, 0, 0]."
    assert first_start is None or first_start < LATE_START_S, (
        f"Called {call}; the first process started {first_start:.1f} s after the call, expected at once. Did the "
        "sleeping happen here, in the parent? target=sleep_and_return(duration) calls the function before the "
        "Process exists; pass the function and its arguments: target=sleep_and_return, args=(duration,)."
    )
    assert most >= 3, (
        f"Called {call}; at most {most} of its {started} processes were running at the same time, expected "
        "all 4. Did you join each process before starting the next? start() them all first, then join() them all."
    )


@points(1)
def test_every_process_is_joined():
    """When start_and_join returns, every process has ended and been joined, the longest first in line too."""
    call = "start_and_join([0.6, 0.3, 0.05])"
    got, _, _, _, running = watched(call, [0.6, 0.3, 0.05])
    assert not running, (
        f"Called {call}; got {got!r}, and process(es) {running} were still running when it returned. join() "
        "every process, not only the last one started: exitcode is None while a process still runs."
    )
    assert got == [0, 0, 0], f"Called {call}; got {got!r}, expected [0, 0, 0]."


@points(1)
def test_each_join_has_a_timeout():
    """Every process is joined with a timeout: join(timeout=JOIN_TIMEOUT_S), so a process that hangs cannot hang the parent."""
    call = "start_and_join([0.2, 0.1])"
    try:
        seen, _seconds = call_with_limit(LIMIT_S, in_learner_process, probes.joins, [0.2, 0.1])
    except DidNotReturn:
        raise AssertionError(f"Called {call}; it had not returned after {LIMIT_S} s.") from None
    got = seen["got"]
    assert got == [0, 0], f"Called {call}; got {got!r}, expected [0, 0]."
    without = seen["without_timeout"]
    assert not without, (
        f"Called {call}; {without} of its join() calls had no timeout. A join() without one waits as long as the "
        "process runs, forever if it hangs: process.join(timeout=JOIN_TIMEOUT_S)."
    )
    missed = seen["never_joined"]
    assert not missed, (
        f"Called {call}; process(es) {missed} were never joined. join(timeout=JOIN_TIMEOUT_S) every process."
    )
