"""Checks for ex04_queue_results."""

import random

from mpbook.grading.checking import deadline, exercise, points

ex = exercise("ex04_queue_results")


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
@deadline(30)
def test_large_results_do_not_deadlock():
    """With 1 MB of filler per result, the results are still collected: the queue is drained before join()."""
    numbers = list(range(8))
    got = ex.parallel_squares(numbers, workers=2, padding=1_000_000)
    assert got == [n * n for n in numbers], (
        f"Called parallel_squares(list(range(8)), workers=2, padding=1_000_000); got {got!r}. "
        "Every number must come back even when each message is large."
    )
