"""Checks for ex04_queue_results.

Besides the returned list, the checks look at the processes: how many were started, and whether
each was joined (multiprocessing notes a process as finished only when join(), is_alive() or
exitcode has waited for it; one never waited for stays a zombie). And at the failure paths: a
result too big for the pipe, and a worker that dies.

The learner's module runs in a process of its own (mpbook.grading.boundary). Its workers are counted, and
the zombies of workers never joined are seen, from the trusted side through the process tree;
handing put_squares a queue and changing GET_TIMEOUT_S happen inside it (probes.py), judged here.
"""

import contextlib
import random
import time

import psutil

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex04_queue_results import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex04_queue_results")

LIMIT_S = 10  # 8 MB through a queue take well under a second; joining before draining waits 30 s per join
SHORT_GET_S = 0.5  # GET_TIMEOUT_S for the test of a dead worker: its result is given up after 0.5 s
EMPTY = (
    "_queue.Empty"  # what results.get(timeout=...) raises when nothing came, by its full name (queue.Empty)
)


def state_of(pid: int) -> str:
    """Return what a process of the learner's is now: a zombie (ended, never joined), running, or ended."""
    try:
        return "a zombie" if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE else "running"
    except psutil.Error:
        return "ended"


def unjoined_in_tree(learner) -> dict[int, str]:
    """Return {pid: state} of the learner's processes that ended without being joined (zombies) or still run.

    Seen from the trusted side: a process that has ended stays a zombie until its parent waits for it.
    (Under forkserver the workers are the fork server's children, and it waits for them itself.)
    """
    found = {process.pid: "running" for process in learner.descendants()}
    with contextlib.suppress(psutil.Error, AttributeError):
        for child in psutil.Process(learner.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if child.status() == psutil.STATUS_ZOMBIE:
                    found[child.pid] = "a zombie"
    return found


@points(1)
def test_squares_in_order():
    """Twenty numbers on two workers come back squared, in input order."""
    numbers = list(range(20))
    got = ex.parallel_squares(numbers, workers=2)
    expected = [n * n for n in numbers]
    assert got == expected, (
        f"Called parallel_squares(list(range(20)), workers=2); got {got!r}, expected {expected!r}. "
        "Did every worker put every result, and did you place each result at its index?"
    )


@points(1)
def test_order_is_restored_for_shuffled_input():
    """Results are placed by index, so any input order and any worker count gives the right list."""
    numbers = random.Random(3).sample(range(1000), 25)
    got = ex.parallel_squares(numbers, workers=3)
    expected = [n * n for n in numbers]
    assert got == expected, (
        f"Called parallel_squares({numbers!r}, workers=3); got {got!r}, expected {expected!r}. "
        "Results arrive in whatever order the workers finish: put each one back at its index."
    )


@points(1)
def test_empty_input():
    """No numbers gives an empty list, without waiting for results that will never come."""
    got = ex.parallel_squares([], workers=2)
    assert got == [], f"Called parallel_squares([], workers=2); got {got!r}, expected []."


@points(1)
def test_more_workers_than_numbers():
    """With more workers than numbers, the idle workers still start and stop cleanly."""
    got = ex.parallel_squares([7, 8], workers=4)
    assert got == [49, 64], f"Called parallel_squares([7, 8], workers=4); got {got!r}, expected [49, 64]."


@points(2)
def test_large_results_do_not_deadlock():
    """With 1 MB of filler per result, the results come back at once: the queue is drained before join()."""
    numbers = list(range(8))
    call = "parallel_squares(list(range(8)), workers=2, padding=1_000_000)"
    try:
        got, _seconds = call_with_limit(LIMIT_S, ex.parallel_squares, numbers, workers=2, padding=1_000_000)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s (it needs well under one). A worker whose "
            "results are still in the pipe cannot exit until someone reads them: join() it first and both "
            "wait. Take every result off the queue, then join()."
        ) from None
    assert got == [n * n for n in numbers], (
        f"Called {call}; got {got!r}. Every number must come back even when each message is large."
    )


@points(1)
def test_put_squares_sends_the_filler():
    """put_squares, run here, puts (index, n * n, filler) for each pair of its chunk, filler being `padding` bytes."""
    got = in_learner_process(probes.put_squares, [(4, 3), (0, -2)], 10, 2, 5)
    expected = [(4, 9, b"\0" * 10), (0, 4, b"\0" * 10)]
    assert [tuple(item) if isinstance(item, (tuple, list)) else item for item in got] == expected, (
        f"Called put_squares([(4, 3), (0, -2)], results, 10); results then held {got!r}, expected {expected!r}: "
        "one message per pair, its index, its square and `padding` bytes of filler, as real results carry data."
    )


@points(1)
def test_uses_workers_processes():
    """parallel_squares starts exactly `workers` processes, whatever the number of numbers."""
    learner = learner_process()
    for numbers, workers in ((list(range(12)), 3),):
        call = f"parallel_squares(list(range({len(numbers)})), workers={workers})"
        # Numbers that take SLOW_S to square: every worker lives long enough to be seen from here.
        slow = [probes.SlowInt(n) for n in numbers]
        with ProcessWatch(learner) as watch:
            try:
                got, _seconds = call_with_limit(LIMIT_S, ex.parallel_squares, slow, workers=workers)
            except DidNotReturn:
                raise AssertionError(f"Called {call}; it had not returned after {LIMIT_S} s.") from None
        started = watch.started
        assert got == [n * n for n in numbers], f"Called {call}; got {got!r}."
        assert started == workers, (
            f"Called {call}; {started} process(es) were started, expected {workers}: one per worker, each with "
            "its chunk of the numbers (list(enumerate(numbers))[k::workers]), not one per number."
        )


@points(1)
def test_every_worker_is_joined():
    """When parallel_squares returns, every worker has been joined: none is left a zombie or still running."""
    call = "parallel_squares(list(range(10)), workers=3)"
    learner = learner_process()
    seen = in_learner_process(probes.joins, list(range(10)), workers=3)
    in_tree = unjoined_in_tree(learner)  # from here: the zombies and running workers in the learner's tree
    got = seen["got"]
    unjoined = [f"{pid} ({state})" for pid, state in in_tree.items()]
    unjoined += [f"{pid} ({state_of(pid)})" for pid in seen["never_waited_for"] if pid not in in_tree]
    assert got == [n * n for n in range(10)], f"Called {call}; got {got!r}."
    assert not unjoined, (
        f"Called {call}; it returned the right squares, but worker(s) {', '.join(unjoined)} had not been joined. "
        "A process that has ended stays a zombie until its parent joins it: join(timeout=JOIN_TIMEOUT_S) every "
        "worker, after taking every result off the queue."
    )


@points(1)
def test_gives_up_when_a_worker_dies():
    """When a worker dies before sending its results, parallel_squares raises after GET_TIMEOUT_S instead of waiting forever."""
    call = f"parallel_squares([2, DiesWhenUsed(), 3], workers=2) with GET_TIMEOUT_S = {SHORT_GET_S}"
    call += ", where DiesWhenUsed() kills the worker that squares it"
    learner_process()  # started (and the learner's module imported) before the clock starts
    begun = time.perf_counter()
    try:
        outcome, _seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.with_get_timeout, SHORT_GET_S, [2, probes.DIES, 3], workers=2
        )
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s. A result that never comes must not hang the "
            "parent: results.get(timeout=GET_TIMEOUT_S), with the constant, raises queue.Empty."
        ) from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        if type_name == EMPTY:
            return  # the get() gave up, as it should
        if type_name == "builtins.RuntimeError" and "DiesWhenUsed" in message:
            raise AssertionError(f"Called {call}; the number was squared here, not in a worker process.")
        raise AssertionError(f"Called {call}; it raised {type_name.removeprefix('builtins.')}: {message}")
    got = outcome[1]
    raise AssertionError(
        f"Called {call}; got {got!r} after {time.perf_counter() - begun:.1f} s, expected queue.Empty from "
        "results.get(timeout=GET_TIMEOUT_S): one result never came."
    )
