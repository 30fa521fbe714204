"""Checks for ex05_pipeline.

Besides the squares, the checks look at what the exercise is about: the sentinels the producer
puts, whether every process was joined (multiprocessing notes a process as finished only when a
join() or is_alive() has waited for it), and the failure paths: results too big for a pipe, where
joining before draining deadlocks, and a transformer waiting for a task that never comes.

The learner's module runs in a process of its own (mpbook.grading.boundary). The zombies of processes
never joined are seen from the trusted side, through the process tree, and every call is timed
here; handing produce/transform queues and looking at multiprocessing's own record of joins
happen inside the learner's process (probes.py), and are judged here.
"""

import contextlib
import hashlib
import random
import time

import psutil

from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex05_pipeline import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex05_pipeline")

LIMIT_S = 10  # 8 MB through two queues take well under a second; joining before draining waits 30 s per join
BIG = probes.BIG  # float64 values in an item: 1 MB, sixteen times what a pipe holds
EMPTY = "_queue.Empty"  # what tasks.get(timeout=...) raises when nothing came, by its full name (queue.Empty)
SHORT_GET_S = 0.2  # GET_TIMEOUT_S for the test of a transformer left without tasks
DELAY_S = 0.1  # per item: 0.8 s on one transformer, 0.2 s of work on four plus starting them


def big_items(count: int) -> list:
    """Return `count` NumPy arrays of 1 MB each: their squares are too big to wait in a pipe."""
    import numpy as np  # here: only two tests need it, and every test runs in a fresh process

    return [np.full(BIG, float(k)) for k in range(count)]


def same_squares(digests, items) -> bool:
    """Return True if digests (what came back, digested in the learner's process) are those of the squares of
    items, in order."""
    expected = [["ndarray", str(x.dtype), hashlib.sha256((x * x).tobytes()).hexdigest()] for x in items]
    return isinstance(digests, list) and [list(d) for d in digests] == expected


def unjoined_in_tree(learner) -> list[str]:
    """Return the learner's processes that ended without being joined (zombies) or still run, seen from here.

    A process that has ended stays a zombie until its parent waits for it. (Under forkserver the
    processes are the fork server's children, and it waits for them itself: the probe's view counts then.)
    """
    found = {process.pid: "running" for process in learner.descendants()}
    with contextlib.suppress(psutil.Error, AttributeError):
        for child in psutil.Process(learner.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if child.status() == psutil.STATUS_ZOMBIE:
                    found[child.pid] = "a zombie"
    return [f"pid {pid} ({state})" for pid, state in found.items()]


def ordinal(number: int) -> str:
    """Return 1st, 2nd, 3rd, 4th ... for number."""
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number if number < 20 else number % 10, 'th') }"


# Every test is short: a pipeline waiting for a sentinel that never comes is stopped after 15 s
# and reported as a timeout, long before the exercise's own 30 s get() timeout would fire.
GET_TIMEOUT_S = 5  # a transformer run in this process answers in microseconds


def nudge(got, expected: list) -> str:
    """Return a hint that fits how got differs from expected."""
    if not isinstance(got, list):
        return "Return a list: one square per item, in the order of items."
    if len(got) == len(expected) and sorted(got, key=repr) == sorted(expected, key=repr):
        return (
            "The right squares in the wrong order: they arrive in whatever order the transformers finish, "
            "so carry the index with each item and put each square back at its index."
        )
    if None in got:
        return (
            "Some places are still None: did you read results until every transformer had said it was done "
            "(one None from each), not a fixed number of times?"
        )
    return "Did the producer put every item, and did each transformer square every task it got?"


@points(1)
@deadline(15)
def test_squares_in_input_order():
    """Eight numbers through two transformers come back squared, in the order of the input."""
    items = [3, -1, 4, 1, -5, 9, 2, 6]
    got = ex.run_pipeline(items, transformers=2)
    expected = [x * x for x in items]
    assert got == expected, (
        f"Called run_pipeline({items!r}, transformers=2); got {got!r}, expected {expected!r}. "
        + nudge(got, expected)
    )


@points(1)
@deadline(15)
def test_any_number_of_transformers():
    """With one transformer and with three, the squares come back in input order, and every process is joined."""
    items = random.Random(4).sample(range(-500, 500), 15)
    expected = [x * x for x in items]
    learner = learner_process()
    for transformers in (1, 3):
        # a small delay keeps the transformers alive while the others start, so a missing join() shows
        seen = in_learner_process(probes.pipeline, items, transformers=transformers, delay=0.01)
        # multiprocessing's record of joins (inside), and the zombies and running processes (from here)
        left = seen["unjoined"] or unjoined_in_tree(learner)
        got = seen["got"]
        called = f"Called run_pipeline({items!r}, transformers={transformers}, delay=0.01)"
        assert got == expected, f"{called}; got {got!r}, expected {expected!r}. " + nudge(got, expected)
        assert not left, (
            f"{called}; it returned the right squares, but {len(left)} of the processes it started "
            f"({', '.join(left)}) had not been joined. join() every process, after draining the results queue."
        )


@points(1)
@deadline(15)
def test_empty_input():
    """No items gives [] at once: every transformer still gets its sentinel, stops and is joined."""
    for transformers in (1, 3):
        got = ex.run_pipeline([], transformers=transformers)
        assert got == [], (
            f"Called run_pipeline([], transformers={transformers}); got {got!r}, expected []. "
            "With no items the producer puts only the sentinels."
        )


@points(1)
@deadline(15)
def test_more_transformers_than_items():
    """With four transformers and one item, the three idle transformers still get a sentinel each and stop."""
    got = ex.run_pipeline([5], transformers=4)
    assert got == [25], (
        f"Called run_pipeline([5], transformers=4); got {got!r}, expected [25]. "
        "One sentinel per transformer, not per item."
    )


@points(1)
@deadline(15)
def test_transform_passes_the_sentinel_on():
    """transform(), run here directly, squares each task and ends by putting exactly one None on results."""
    # (2, 99) comes after the sentinel: it must stay there
    seen = in_learner_process(probes.transform, [(0, 2), (1, 3), None, (2, 99)], 3, GET_TIMEOUT_S)
    got = seen["got"]
    expected = [(0, 4), (1, 9), None]
    assert got == expected, (
        f"Put (0, 2), (1, 3), None, (2, 99) on tasks and called transform(tasks, results, 0.0); "
        f"results then held {got!r}, expected {expected!r}. "
        "A transformer stops at the first None, and puts a None on results so the parent knows it is done."
    )
    leftover = seen["leftover"]
    shown = "nothing (the tasks queue was empty)" if leftover == "empty" else repr(leftover)
    assert leftover == (2, 99), (
        f"After transform() returned, the next task was {shown}, expected (2, 99): "
        "a transformer must stop at the first None it gets, leaving later tasks for the others."
    )


@points(2)
@deadline(15)
def test_transformers_work_at_the_same_time():
    """Eight items taking 0.1 s each finish much sooner on four transformers than on one."""
    items = list(range(8))
    expected = [x * x for x in items]
    timings = {}
    for transformers in (1, 4):
        started = time.perf_counter()
        got = ex.run_pipeline(items, transformers=transformers, delay=DELAY_S)
        timings[transformers] = time.perf_counter() - started
        assert got == expected, (
            f"Called run_pipeline(list(range(8)), transformers={transformers}, delay={DELAY_S}); "
            f"got {got!r}, expected {expected!r}. " + nudge(got, expected)
        )
    one, four = timings[1], timings[4]
    assert one >= 8 * DELAY_S * 0.9, (
        f"Called run_pipeline(list(range(8)), transformers=1, delay={DELAY_S}); it took {one:.2f} s, "
        f"but one transformer sleeping {DELAY_S} s per item needs at least {8 * DELAY_S:.1f} s. "
        "Does transform() sleep `delay` per item?"
    )
    assert four < 0.7 * one, (
        f"run_pipeline(list(range(8)), delay={DELAY_S}) took {one:.2f} s with one transformer and {four:.2f} s "
        f"with four; four transformers sharing the tasks should need well under 70% of that (about {2 * DELAY_S:.1f} s of work). "
        "Did you start `transformers` processes, all reading the same tasks queue, before collecting results?"
    )


@points(1)
def test_produce_sends_a_sentinel_per_transformer():
    """produce(), run here, puts (index, x) for each item in order, then exactly n_sentinels None."""
    got = in_learner_process(probes.produce, ["a", "b"], 3, 5)  # and a sixth message, if there was one
    expected = [(0, "a"), (1, "b"), None, None, None]
    assert [tuple(t) if isinstance(t, list) else t for t in got] == expected, (
        f"Called produce(['a', 'b'], tasks, 3); tasks then held {got!r}, expected {expected!r}. A transformer stops "
        "at the first None it gets, so one None in all stops only one of them: put n_sentinels of them, one per "
        "transformer, after the items."
    )


@points(2)
def test_large_results_do_not_deadlock():
    """With squares of 1 MB each, run_pipeline returns at once: the results queue is drained before join()."""
    items = big_items(8)  # made again in the learner's process by the probe, which sends back digests
    call = "run_pipeline(items, transformers=2) with 8 NumPy arrays of 1 MB as items"
    try:
        seen, _seconds = call_with_limit(LIMIT_S, in_learner_process, probes.big_pipeline, 8, transformers=2)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s (it needs well under one). A transformer "
            "whose results are still in the pipe cannot exit until someone reads them: join() it first and "
            "both wait. Read results until every transformer's None has come, then join()."
        ) from None
    assert same_squares(seen["digests"], items), (
        f"Called {call}; the squares that came back were not the squares of the items, in order."
    )


@points(1)
def test_every_process_is_joined():
    """When run_pipeline returns, the producer and every transformer have been joined: none left a zombie or running."""
    # 1 MB items: the producer cannot end before the transformers have read them, so it is still running when
    # they start (a start() notes the processes already ended, which would hide a missing join)
    items = big_items(4)  # made again in the learner's process by the probe, which sends back digests
    call = "run_pipeline(items, transformers=3, delay=0.01) with 4 NumPy arrays of 1 MB as items"
    learner = learner_process()
    try:
        seen, _seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.big_pipeline, 4, transformers=3, delay=0.01
        )
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s (it needs about one). Drain the results "
            "queue first, then join every process (test_large_results_do_not_deadlock says more)."
        ) from None
    in_tree = unjoined_in_tree(learner)  # from here: zombies and running processes in the learner's tree
    unjoined = [f"{name} (the {ordinal(number)} started)" for name, number in seen["unjoined"]] or in_tree
    assert same_squares(seen["digests"], items), (
        f"Called {call}; the squares were not those of the items, in order."
    )
    assert not unjoined, (
        f"Called {call}; it returned the right squares, but process(es) {', '.join(unjoined)} had not been "
        "joined. join(timeout=JOIN_TIMEOUT_S) every process you start, the producer too, after draining results: "
        "an ended process stays a zombie until its parent joins it."
    )


@points(1)
def test_transform_gives_up_when_no_task_comes():
    """transform(), run here on an empty tasks queue, raises queue.Empty after GET_TIMEOUT_S instead of waiting forever."""
    call = f"transform(tasks, results, 0.0) on an empty tasks queue, with GET_TIMEOUT_S = {SHORT_GET_S}"
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        outcome, _seconds = call_with_limit(5, in_learner_process, probes.transform_on_empty, SHORT_GET_S)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after 5 s. A producer that died never sends its sentinels: "
            "tasks.get(timeout=GET_TIMEOUT_S), with the constant, gives up and raises queue.Empty."
        ) from None
    if outcome[0] == "raised":
        _, type_name, message, _seconds = outcome
        if type_name == EMPTY:
            return
        raise AssertionError(f"Called {call}; it raised {type_name.removeprefix('builtins.')}: {message}")
    _, got, seconds = outcome
    raise AssertionError(f"Called {call}; it returned {got!r} after {seconds:.1f} s, expected queue.Empty.")
