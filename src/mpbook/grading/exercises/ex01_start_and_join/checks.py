"""Checks for ex01_start_and_join.

The checks watch the processes themselves, not only the returned list: how many were started,
how many were alive at once (sampled with psutil, so a busy machine slows nothing that matters),
and whether any was still running when start_and_join returned.
"""

import contextlib
import threading
import time
from multiprocessing.process import BaseProcess

import psutil

from mpbook.grading.checking import counting_process_starts, exercise, points
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex01_start_and_join")

SAMPLE_S = 0.02  # four processes sleeping 0.5 s together are seen alive at once in ~25 samples
LIMIT_S = 10  # every call here ends within about a second, spawn included
LATE_START_S = 0.4  # creating four Process objects takes microseconds; sleeping first in the parent takes 2 s


def alive(process) -> bool:
    """Return True if a started process is still running (a finished one, zombie or reaped, is not)."""
    try:
        return psutil.Process(process.pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, TypeError, ValueError):
        return False


def stop(processes) -> None:
    """Terminate and reap whatever the learner's code left running, so the next check starts clean."""
    for process in processes:
        with contextlib.suppress(Exception):
            if process.is_alive():
                process.terminate()
            process.join(timeout=5)


def watched(call: str, durations):
    """Return (what start_and_join(durations) returned, processes started, most alive at once, seconds to the first start)."""
    most = [0]
    first_start = [None]
    halt = threading.Event()
    with counting_process_starts() as started:
        called = time.monotonic()

        def sample() -> None:
            while not halt.wait(SAMPLE_S):
                if started and first_start[0] is None:
                    first_start[0] = time.monotonic() - called
                most[0] = max(most[0], sum(alive(process) for process in list(started)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            got, _seconds = call_with_limit(LIMIT_S, ex.start_and_join, durations)
        except DidNotReturn:
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s. Did you join(timeout=JOIN_TIMEOUT_S) each "
                "process, after starting them all?"
            ) from None
        finally:
            halt.set()
            sampler.join(timeout=5)
    return got, list(started), most[0], first_start[0]


@points(1)
def test_returns_exit_code_zero_for_each_process():
    """Three processes that sleep briefly all exit with code 0, one process per duration."""
    call = "start_and_join([0.1, 0.1, 0.1])"
    got, started, _, _ = watched(call, [0.1, 0.1, 0.1])
    assert got == [0, 0, 0], (
        f"Called {call}; got {got!r}, expected [0, 0, 0]. Return one exit code per process, in order, read "
        "after join()."
    )
    assert len(started) == 3, (
        f"Called {call}; {len(started)} process(es) were started, expected 3: one mp.Process per duration."
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
    with counting_process_starts() as started:
        got = ex.start_and_join([])
    assert got == [], f"Called start_and_join([]); got {got!r}, expected []."
    assert not started, f"Called start_and_join([]); {len(started)} process(es) were started, expected none."


@points(2)
def test_processes_run_at_the_same_time():
    """Four processes sleeping 0.5 s are all alive at once: every start() comes before the first join()."""
    call = "start_and_join([0.5, 0.5, 0.5, 0.5])"
    got, started, most, first_start = watched(call, [0.5] * 4)
    assert got == [0, 0, 0, 0], f"Called {call}; got {got!r}, expected [0, 0, 0, 0]."
    assert first_start is None or first_start < LATE_START_S, (
        f"Called {call}; the first process started {first_start:.1f} s after the call, expected at once. Did the "
        "sleeping happen here, in the parent? target=sleep_and_return(duration) calls the function before the "
        "Process exists; pass the function and its arguments: target=sleep_and_return, args=(duration,)."
    )
    assert most >= 3, (
        f"Called {call}; at most {most} of its {len(started)} processes were running at the same time, expected "
        "all 4. Did you join each process before starting the next? start() them all first, then join() them all."
    )


@points(1)
def test_every_process_is_joined():
    """When start_and_join returns, every process has ended and been joined, the longest first in line too."""
    call = "start_and_join([0.6, 0.3, 0.05])"
    got, started, _, _ = watched(call, [0.6, 0.3, 0.05])
    running = [process.pid for process in started if alive(process)]
    stop(started)
    assert not running, (
        f"Called {call}; got {got!r}, and process(es) {running} were still running when it returned. join() "
        "every process, not only the last one started: exitcode is None while a process still runs."
    )
    assert got == [0, 0, 0], f"Called {call}; got {got!r}, expected [0, 0, 0]."


@points(1)
def test_each_join_has_a_timeout():
    """Every process is joined with a timeout: join(timeout=JOIN_TIMEOUT_S), so a process that hangs cannot hang the parent."""
    call = "start_and_join([0.2, 0.1])"
    joins = []
    original = BaseProcess.join

    def join(self, timeout=None):
        joins.append((self, timeout))
        return original(self, timeout)

    BaseProcess.join = join
    try:
        with counting_process_starts() as started:
            got, _seconds = call_with_limit(LIMIT_S, ex.start_and_join, [0.2, 0.1])
    except DidNotReturn:
        raise AssertionError(f"Called {call}; it had not returned after {LIMIT_S} s.") from None
    finally:
        BaseProcess.join = original
        stop(started)
    assert got == [0, 0], f"Called {call}; got {got!r}, expected [0, 0]."
    without = sum(timeout is None for _process, timeout in joins)
    assert not without, (
        f"Called {call}; {without} of its join() calls had no timeout. A join() without one waits as long as the "
        "process runs, forever if it hangs: process.join(timeout=JOIN_TIMEOUT_S)."
    )
    joined = {id(process) for process, _timeout in joins}
    missed = [process.pid for process in started if id(process) not in joined]
    assert not missed, (
        f"Called {call}; process(es) {missed} were never joined. join(timeout=JOIN_TIMEOUT_S) every process."
    )
