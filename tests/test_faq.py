"""The targets of chapter 07 (the FAQ): slices, a Manager dict filled item by item, pairs through a Queue."""

from __future__ import annotations

import array
import queue

import pytest

from mpbook import faq

TIMEOUT_S = 60  # a spawn pool or Manager of 2 starts in ~0.3 s here; the margin covers a loaded CI machine


def test_sum_slice_sums_lists_arrays_and_numpy():
    """sum_slice adds values[start:stop] for a list, an array.array and a NumPy array, and returns a float."""
    np = pytest.importorskip("numpy")
    assert faq.sum_slice([1, 2, 3, 4], 1, 3) == 5.0
    assert faq.sum_slice(array.array("d", [0.5, 1.5, 2.0]), 0, 3) == 4.0
    values = np.arange(10, dtype=np.float64)
    total = faq.sum_slice(values, 2, 5)
    assert total == 9.0
    assert type(total) is float
    assert faq.sum_slice(values, 4, 4) == 0.0


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: faq.sum_slice(5, 0, 1), TypeError),
        (lambda: faq.sum_slice("abc", 0, 1), TypeError),
        (lambda: faq.sum_slice([1, 2], 0.0, 1), TypeError),
        (lambda: faq.sum_slice([1, 2], True, 1), TypeError),
        (lambda: faq.sum_slice([1, 2], -1, 1), ValueError),
        (lambda: faq.sum_slice([1, 2], 2, 1), ValueError),
        (lambda: faq.sum_slice([1, 2], 0, 3), ValueError),
        (lambda: faq.store_squares((), [1]), TypeError),
        (lambda: faq.store_squares({}, 3), TypeError),
        (lambda: faq.store_squares({}, ["1"]), TypeError),
        (lambda: faq.store_squares({}, [float("nan")]), ValueError),
        (lambda: faq.put_squares([1], []), TypeError),
        (lambda: faq.put_squares({1, 2}, queue.Queue()), TypeError),
        (lambda: faq.put_squares([True], queue.Queue()), TypeError),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error):
    """Wrong types raise TypeError and impossible values ValueError, before any work is done."""
    with pytest.raises(error):
        call()


def test_store_squares_fills_a_plain_dict_and_counts():
    """store_squares sets mapping[x] = x*x for every x and returns how many it stored."""
    mapping = {"kept": 1}
    assert faq.store_squares(mapping, range(4)) == 4
    assert mapping == {"kept": 1, 0: 0, 1: 1, 2: 4, 3: 9}
    assert faq.store_squares(mapping, []) == 0


def test_put_squares_sends_pairs_then_one_none():
    """put_squares puts (x, x*x) for each x in order, then exactly one None, and returns the count."""
    results = queue.Queue()
    assert faq.put_squares([3, -2, 0.5], results) == 3
    assert [results.get_nowait() for _ in range(4)] == [(3, 9), (-2, 4), (0.5, 0.25), None]
    assert results.empty()


def test_workers_fill_a_manager_dict(book_context):
    """Pool workers given a Manager dict proxy store every square in the one shared dict."""
    with book_context.Manager() as manager, book_context.Pool(2) as pool:
        shared = manager.dict()
        batches = [list(range(0, 50)), list(range(50, 100))]
        stored = pool.starmap_async(faq.store_squares, [(shared, batch) for batch in batches]).get(
            timeout=TIMEOUT_S
        )
        assert stored == [50, 50]
        assert dict(shared) == {x: x * x for x in range(100)}


def test_sum_slice_in_a_pool_matches_the_serial_sums(book_context):
    """Sending the whole sequence or only its slice to a worker gives the same sums as summing here."""
    values = [float(i) for i in range(1_000)]
    bounds = [(0, 250), (250, 600), (600, 1_000)]
    with book_context.Pool(2) as pool:
        from_whole = pool.starmap_async(faq.sum_slice, [(values, a, b) for a, b in bounds]).get(
            timeout=TIMEOUT_S
        )
        from_slices = pool.starmap_async(faq.sum_slice, [(values[a:b], 0, b - a) for a, b in bounds]).get(
            timeout=TIMEOUT_S
        )
    assert from_whole == from_slices == [sum(values[a:b]) for a, b in bounds]


def test_processes_build_one_dict_through_a_queue(book_context):
    """Two processes running put_squares deliver every pair and one None each; drained first, both exit 0."""
    results = book_context.Queue()
    workers = [
        book_context.Process(target=faq.put_squares, args=(list(range(i, 200, 2)), results)) for i in range(2)
    ]
    for worker in workers:
        worker.start()
    built, finished = {}, 0
    while finished < len(workers):
        item = results.get(timeout=TIMEOUT_S)
        if item is None:
            finished += 1
        else:
            built[item[0]] = item[1]
    for worker in workers:
        worker.join(timeout=TIMEOUT_S)
    assert [worker.exitcode for worker in workers] == [0, 0]
    assert built == {x: x * x for x in range(200)}
