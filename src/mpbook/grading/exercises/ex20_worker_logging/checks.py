"""Checks for ex20_worker_logging."""

import collections
import logging
import logging.handlers
import multiprocessing as mp
import os
import threading

from mpbook.grading.checking import counting_process_starts, exercise, points

ex = exercise("ex20_worker_logging")

NO_RECORDS = (
    " Records go missing when a worker has no QueueHandler (under spawn nothing sets one up: pass "
    "initializer=send_logs_to, initargs=(log_queue,) to the pool); when the worker's root logger is at WARNING, "
    "its default (setLevel(logging.INFO)); or when workers are stopped before they flush the queue (leaving "
    "`with Pool` terminates them: use ProcessPoolExecutor, or pool.close() then pool.join() first), or the "
    "listener is stopped before the workers ended."
)


def messages_of(records: list) -> list[str]:
    """Return each record's message, or raise a clear AssertionError if records is not a list of LogRecords."""
    assert isinstance(records, list), (
        f"run_with_logging returned a {type(records).__name__}, expected a list."
    )
    wrong = [r for r in records if not isinstance(r, logging.LogRecord)]
    assert not wrong, (
        f"run_with_logging returned {wrong[0]!r} among the records, expected logging.LogRecord objects: "
        "return keeper.records, the records the QueueListener handed to the RecordKeeper."
    )
    return [record.getMessage() for record in records]


def assert_each_once(call: str, records: list, items: list) -> None:
    """Assert there is exactly one "processed <item>" message per item, and nothing else."""
    got = collections.Counter(messages_of(records))
    expected = collections.Counter(f"processed {item}" for item in items)
    missing = sorted((expected - got).elements())
    extra = sorted((got - expected).elements())
    assert not missing, (
        f"Called {call}; {len(missing)} of the {len(items)} expected messages never arrived, "
        f"for example {missing[:3]} (got {len(records)} record(s))." + NO_RECORDS
    )
    assert not extra, (
        f"Called {call}; got messages more than once, or unexpected ones, for example {extra[:3]}. "
        "Each worker must get exactly one QueueHandler: add it in the initializer, which runs once per worker "
        "(not in the task, nor at import time), after removing the handlers the root logger already has."
    )


@points(2)
def test_every_message_arrives_once():
    """Twenty items on two workers give twenty records, one "processed <item>" message per item."""
    items = list(range(20))
    records = ex.run_with_logging(items, workers=2)
    assert_each_once("run_with_logging(list(range(20)), workers=2)", records, items)


@points(1)
def test_records_come_from_the_workers():
    """Each record was made in a worker process, and names it (processName, process)."""
    items = list(range(10))
    records = ex.run_with_logging(items, workers=2)
    messages_of(records)
    assert records, "Called run_with_logging(list(range(10)), workers=2); got no records." + NO_RECORDS
    from_here = [r for r in records if r.process == os.getpid() or r.processName == "MainProcess"]
    assert not from_here, (
        f"Called run_with_logging(list(range(10)), workers=2); {len(from_here)} record(s) were made in this process "
        f"(processName {from_here[0].processName!r}), not in a worker. The records must be the ones log_item "
        "wrote in the workers, sent through the queue."
    )
    names = sorted({r.processName for r in records})
    assert len(names) <= 2, (
        f"Called run_with_logging(list(range(10)), workers=2); the records name {len(names)} processes, {names}, "
        "expected at most 2 workers."
    )


@points(1)
def test_works_under_spawn():
    """Under spawn, where a worker starts with no logging set up at all, the records still arrive once each."""
    mp.set_start_method(
        "spawn", force=True
    )  # this test's process only: the grader starts a fresh one per test
    items = ["a", "b", "c", "d"]
    records = ex.run_with_logging(items, workers=2)
    assert_each_once("run_with_logging(['a', 'b', 'c', 'd'], workers=2) under spawn", records, items)


@points(1)
def test_leaves_nothing_behind():
    """Afterwards no listener thread and no worker is running, and the parent's root logger is as it was."""
    root = logging.getLogger()
    handlers_before, level_before = list(root.handlers), root.level
    records = ex.run_with_logging([1, 2, 3], workers=2)
    assert_each_once("run_with_logging([1, 2, 3], workers=2)", records, [1, 2, 3])
    listening = [
        thread
        for thread in threading.enumerate()
        if isinstance(
            getattr(getattr(thread, "_target", None), "__self__", None), logging.handlers.QueueListener
        )
    ]
    assert not listening, (
        "Called run_with_logging([1, 2, 3], workers=2); its QueueListener thread was still running afterwards. "
        "Call listener.stop() in a finally block, after the pool's `with` block."
    )
    left = mp.active_children()
    assert not left, (
        f"Called run_with_logging([1, 2, 3], workers=2); processes were still alive afterwards: {left}. "
        "Use the pool in a `with` block."
    )
    assert (list(root.handlers), root.level) == (handlers_before, level_before), (
        "Called run_with_logging([1, 2, 3], workers=2); it changed this process's root logger: handlers "
        f"{handlers_before} -> {root.handlers}, level {level_before} -> {root.level}. Only the workers' root "
        "loggers get a QueueHandler (in the initializer); the parent needs only the QueueListener."
    )
    got = ex.run_with_logging([], workers=2)
    assert got == [], (
        f"Called run_with_logging([], workers=2); got {got!r}, expected [] (no items, no records)."
    )


def listener_threads() -> list[threading.Thread]:
    """Return the running threads of QueueListeners in this process."""
    return [
        thread
        for thread in threading.enumerate()
        if isinstance(
            getattr(getattr(thread, "_target", None), "__self__", None), logging.handlers.QueueListener
        )
    ]


@points(1)
def test_listener_stops_when_the_map_raises():
    """When the map raises (an item that cannot be sent to a worker), the listener is stopped all the same."""
    records = ex.run_with_logging([1, 2], workers=2)
    assert_each_once("run_with_logging([1, 2], workers=2)", records, [1, 2])
    call = "run_with_logging([1, threading.Lock(), 3], workers=2)"
    try:
        got = ex.run_with_logging([1, threading.Lock(), 3], workers=2)
    except Exception:  # noqa: BLE001 -- a lock cannot be pickled: the map raises, as it should
        pass
    else:
        raise AssertionError(
            f"Called {call}; it returned {got!r}, expected the map's error (a lock cannot be pickled) to come out."
        )
    left = listener_threads()
    assert not left, (
        f"Called {call}; the map raised, as expected, but the QueueListener thread was still running "
        "afterwards. Stop the listener in a `finally:` block, so that it stops whether the map returns or raises."
    )


@points(1)
def test_uses_as_many_processes_as_workers():
    """With workers=3, on a machine of any size, the pool has three worker processes."""
    items = list(range(30))
    with counting_process_starts() as started:
        records = ex.run_with_logging(items, workers=3)
    call = "run_with_logging(list(range(30)), workers=3)"
    assert_each_once(call, records, items)
    assert len(started) == 3, (
        f"Called {call}; {len(started)} worker process(es) were started, expected 3. Make the pool with "
        "`workers` processes (ProcessPoolExecutor(workers, ...)); without it, the pool has one per CPU."
    )
