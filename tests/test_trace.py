"""mpbook.trace: every task recorded exactly once, by the worker that ran it, under every start method."""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from mpbook import trace, workers

TIMEOUT_S = 60  # a spawn pool of 2 starts in ~0.3 s here; the margin covers a loaded CI machine
POOL_SIZE = 2
START_METHODS = multiprocessing.get_all_start_methods()


def _check_records(records, n_tasks, *, pool_size, before, after):
    """Assert records hold each task once, each start < end, within [before, after], on <= pool_size workers."""
    assert sorted(r.task for r in records) == list(range(n_tasks)), "each task must be recorded exactly once"
    for record in records:
        assert isinstance(record, trace.TaskRecord)
        assert record.start < record.end, f"task {record.task} ends before it starts: {record}"
        # the parent's clock readings bracket the children's: one clock across processes
        assert before <= record.start, f"{record} starts before the parent started the map at {before}"
        assert record.end <= after, f"{record} ends after the parent got its results at {after}"
    workers_seen = {(r.pid, r.worker) for r in records}
    assert 1 <= len(workers_seen) <= pool_size, f"{len(workers_seen)} workers for a pool of {pool_size}"


@pytest.mark.parametrize("start_method", START_METHODS)
@pytest.mark.parametrize(("method", "chunksize"), [("map", 3), ("map", None), ("imap_unordered", 2)])
def test_pool_records_every_task_once(start_method, method, chunksize):
    """traced_map on a Pool returns the untraced results and one sound record per task, with its chunk."""
    ctx = multiprocessing.get_context(start_method)
    xs = list(range(40))
    with ctx.Pool(POOL_SIZE) as pool:
        expected = pool.map_async(workers.square, xs).get(TIMEOUT_S)
        before = trace.clock()
        results, records = trace.traced_map(
            pool, workers.square, xs, chunksize, method=method, timeout=TIMEOUT_S
        )
        after = trace.clock()
    assert results == expected
    _check_records(records, len(xs), pool_size=POOL_SIZE, before=before, after=after)
    assert [r.task for r in records] == list(range(len(xs))), "records come back in input order"
    # Pool.map's own rule for 40 tasks on 2 workers: ceil(40 / (4 * 2)) = 5
    size = chunksize or 5
    assert [r.chunk for r in records] == [task // size for task in range(len(xs))]
    for chunk in {r.chunk for r in records}:
        pids = {r.pid for r in records if r.chunk == chunk}
        assert len(pids) == 1, f"chunk {chunk} ran in {len(pids)} processes; a chunk travels as one message"


@pytest.mark.parametrize("start_method", START_METHODS)
def test_executor_records_every_task_once(start_method):
    """traced_map on a ProcessPoolExecutor returns the untraced results and one sound record per task."""
    ctx = multiprocessing.get_context(start_method)
    args = [(0, 200 * (i + 1)) for i in range(12)]
    with ProcessPoolExecutor(POOL_SIZE, mp_context=ctx) as executor:
        before = trace.clock()
        results, records = trace.traced_map(
            executor, workers.count_primes, args, chunksize=4, star=True, timeout=TIMEOUT_S
        )
        after = trace.clock()
    assert results == [workers.count_primes(*a) for a in args]
    _check_records(records, len(args), pool_size=POOL_SIZE, before=before, after=after)
    assert [r.chunk for r in records] == [task // 4 for task in range(len(args))]


def test_traced_pickles_by_reference_and_runs_like_the_function():
    """A Traced wrapper survives pickling and returns the function's result with a record of this process."""
    traced = pickle.loads(pickle.dumps(trace.Traced(workers.count_primes, star=True)))
    result, record = traced((7, (0, 100)))
    assert result == 25
    assert record.task == 7
    assert record.worker == multiprocessing.current_process().name
    assert record.duration == record.end - record.start > 0
    assert b"mpbook.workers" in pickle.dumps(traced), "the function travels by name, not by value"


def test_task_record_pickles_to_an_equal_record():
    """A TaskRecord survives a pickle round trip unchanged."""
    record = trace.TaskRecord(3, 1234, "SpawnPoolWorker-1", 1.0, 2.5, chunk=0)
    assert pickle.loads(pickle.dumps(record)) == record


def test_thread_pool_records_thread_names():
    """traced_map also works on a thread pool, where the records tell the threads apart."""
    with ThreadPoolExecutor(2, thread_name_prefix="mpbook-test") as executor:
        results, records = trace.traced_map(executor, workers.square, range(10), timeout=TIMEOUT_S)
    assert results == [x * x for x in range(10)]
    assert all(r.thread.startswith("mpbook-test") for r in records)


def test_empty_input_returns_empty_lists():
    """Mapping over nothing returns two empty lists without touching the pool."""
    assert trace.traced_map(object(), workers.square, []) == ([], [])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"func": lambda x: x}, TypeError, "cannot be sent to a worker process"),
        ({"func": 42}, TypeError, "func must be a callable"),
        ({"chunksize": 0}, ValueError, "chunksize must be >= 1"),
        ({"chunksize": 2.5}, TypeError, "chunksize must be an int"),
        ({"timeout": -1}, ValueError, "timeout must be > 0"),
        ({"pool": "not a pool"}, TypeError, "pool must be a multiprocessing Pool or a concurrent.futures"),
        ({"method": "starmap"}, ValueError, "method must be 'map' for an executor"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    """Bad arguments to traced_map raise a TypeError or ValueError that says what to pass instead."""
    with ThreadPoolExecutor(1) as executor:
        call = {"pool": executor, "func": workers.square, "iterable": [1, 2], **kwargs}
        with pytest.raises(error, match=message):
            trace.traced_map(**call)


def test_bad_pool_method_is_named():
    """An unknown Pool method raises ValueError listing the ones traced_map supports."""
    with (
        multiprocessing.get_context("spawn").Pool(1) as pool,
        pytest.raises(ValueError, match="imap_unordered"),
    ):
        trace.traced_map(pool, workers.square, [1], method="apply")


def test_traced_rejects_a_bare_argument():
    """Calling Traced with something other than a (task, argument) pair raises a TypeError saying so."""
    with pytest.raises(TypeError, match=r"one \(task, argument\) pair"):
        trace.Traced(workers.square)(5)
