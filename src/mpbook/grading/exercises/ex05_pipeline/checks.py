"""Checks for ex05_pipeline."""

import multiprocessing
import queue
import random
import time

from mpbook.grading.checking import deadline, exercise, points

ex = exercise("ex05_pipeline")

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


def unjoined() -> list[str]:
    """Return the names of the processes started here that no join() has yet seen end.

    multiprocessing keeps each started Process in a private set until join(), is_alive() or
    close() finds it finished (or the next start() reaps it). The grader's own sweep only sees
    processes still running, and an unjoined child has usually exited by then.
    """
    children = getattr(multiprocessing.process, "_children", None)
    return sorted(child.name for child in children) if isinstance(children, set) else []


@points(1)
@deadline(15)
def test_any_number_of_transformers():
    """With one transformer and with three, the squares come back in input order, and every process is joined."""
    items = random.Random(4).sample(range(-500, 500), 15)
    expected = [x * x for x in items]
    for transformers in (1, 3):
        # a small delay keeps the transformers alive while the others start, so a missing join() shows
        got = ex.run_pipeline(items, transformers=transformers, delay=0.01)
        called = f"Called run_pipeline({items!r}, transformers={transformers}, delay=0.01)"
        assert got == expected, f"{called}; got {got!r}, expected {expected!r}. " + nudge(got, expected)
        left = unjoined()
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
    tasks, results = multiprocessing.Queue(), multiprocessing.Queue()
    for task in [(0, 2), (1, 3), None, (2, 99)]:  # (2, 99) comes after the sentinel: it must stay there
        tasks.put(task)
    time.sleep(0.1)  # let the queue's feeder thread write the tasks, so get() finds them at once
    ex.transform(tasks, results, 0.0)
    got = []
    try:
        for _ in range(3):
            got.append(results.get(timeout=GET_TIMEOUT_S))
    except queue.Empty:
        pass
    expected = [(0, 4), (1, 9), None]
    assert got == expected, (
        f"Put (0, 2), (1, 3), None, (2, 99) on tasks and called transform(tasks, results, 0.0); "
        f"results then held {got!r}, expected {expected!r}. "
        "A transformer stops at the first None, and puts a None on results so the parent knows it is done."
    )
    leftover = tasks.get(timeout=GET_TIMEOUT_S)
    assert leftover == (2, 99), (
        f"After transform() returned, the next task was {leftover!r}, expected (2, 99): "
        "a transformer must stop at the first None it gets, leaving later tasks for the others."
    )
    for q in (tasks, results):
        q.close()
        q.join_thread()


@points(2)
@deadline(15)
def test_transformers_work_at_the_same_time():
    """Eight items taking 0.15 s each finish much sooner on four transformers than on one."""
    items = list(range(8))
    expected = [x * x for x in items]
    timings = {}
    for transformers in (1, 4):
        started = time.perf_counter()
        got = ex.run_pipeline(items, transformers=transformers, delay=0.15)
        timings[transformers] = time.perf_counter() - started
        assert got == expected, (
            f"Called run_pipeline(list(range(8)), transformers={transformers}, delay=0.15); "
            f"got {got!r}, expected {expected!r}. " + nudge(got, expected)
        )
    one, four = timings[1], timings[4]
    assert one >= 8 * 0.15 * 0.9, (
        f"Called run_pipeline(list(range(8)), transformers=1, delay=0.15); it took {one:.1f} s, "
        "but one transformer sleeping 0.15 s per item needs at least 1.2 s. Does transform() sleep `delay` per item?"
    )
    assert four < 0.7 * one, (
        f"run_pipeline(list(range(8)), delay=0.15) took {one:.1f} s with one transformer and {four:.1f} s "
        "with four; four transformers sharing the tasks should need well under 70% of that (about 0.3 s of work). "
        "Did you start `transformers` processes, all reading the same tasks queue, before collecting results?"
    )
