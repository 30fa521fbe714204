"""Checks for ex20_worker_logging.

The learner's module runs in a process of its own (mpbook.grading.boundary). The records run_with_logging
returns, its QueueListener's thread and the root logger live there, so probes.logging_run describes
them as plain data and the assertions here judge it; the worker processes and what is left running
are seen from here, through the process tree.
"""

import collections

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex20_worker_logging import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex20_worker_logging")

NO_RECORDS = (
    " Records go missing when a worker has no QueueHandler (under spawn nothing sets one up: pass "
    "initializer=send_logs_to, initargs=(log_queue,) to the pool); when the worker's root logger is at WARNING, "
    "its default (setLevel(logging.INFO)); or when workers are stopped before they flush the queue (leaving "
    "`with Pool` terminates them: use ProcessPoolExecutor, or pool.close() then pool.join() first), or the "
    "listener is stopped before the workers ended."
)

SHORT_RESULT_S = 0.1  # RESULT_TIMEOUT_S for the test of the timeout
LATE_S = 0.6  # that test's item takes this long to reach its worker: late by 0.5 s
LIMIT_S = 8  # a pool of one starts in well under a second; then 0.6 s for the late item
# What a timed-out map raises, by full name: the executor's (a builtin from Python 3.11), or a Pool's.
TIMEOUTS = {
    "builtins.TimeoutError",
    "concurrent.futures._base.TimeoutError",
    "multiprocessing.context.TimeoutError",
}


def logging_run(items: list, workers: int, **how) -> dict:
    """Return what probes.logging_run saw of run_with_logging(items, workers=workers) in the learner's process."""
    return in_learner_process(probes.logging_run, items, workers, **how)


def messages_of(seen: dict) -> list[str]:
    """Return each record's message, or raise a clear AssertionError if what came back is not a list of LogRecords."""
    records = seen["records"]
    assert isinstance(records, list), f"run_with_logging returned a {seen['type']}, expected a list."
    wrong = [record["not_a_record"] for record in records if "not_a_record" in record]
    assert not wrong, (
        f"run_with_logging returned {wrong[0]} among the records, expected logging.LogRecord objects: "
        "return keeper.records, the records the QueueListener handed to the RecordKeeper."
    )
    return [record["message"] for record in records]


def assert_each_once(call: str, seen: dict, items: list) -> None:
    """Assert there is exactly one "processed <item>" message per item, and nothing else."""
    records = messages_of(seen)
    got = collections.Counter(records)
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
    seen = logging_run(items, 2)
    assert_each_once("run_with_logging(list(range(20)), workers=2)", seen, items)


@points(1)
def test_records_come_from_the_workers():
    """Each record was made in a worker process, and names it (processName, process)."""
    items = list(range(10))
    learner = learner_process()
    seen = logging_run(items, 2)
    messages_of(seen)
    records = seen["records"]
    assert records, "Called run_with_logging(list(range(10)), workers=2); got no records." + NO_RECORDS
    # The learner's process is where run_with_logging ran: a record made there was not made in a worker.
    here = learner.process.pid
    from_here = [r for r in records if r["process"] == here or r["processName"] == "MainProcess"]
    assert not from_here, (
        f"Called run_with_logging(list(range(10)), workers=2); {len(from_here)} record(s) were made in this process "
        f"(processName {from_here[0]['processName']!r}), not in a worker. The records must be the ones log_item "
        "wrote in the workers, sent through the queue."
    )
    names = sorted({r["processName"] for r in records})
    assert len(names) <= 2, (
        f"Called run_with_logging(list(range(10)), workers=2); the records name {len(names)} processes, {names}, "
        "expected at most 2 workers."
    )


@points(1)
def test_works_under_spawn():
    """Under spawn, where a worker starts with no logging set up at all, the records still arrive once each."""
    items = ["a", "b", "c", "d"]
    # start_method: set in the learner's process only, which the grader starts afresh for each test
    seen = logging_run(items, 2, start_method="spawn")
    assert_each_once("run_with_logging(['a', 'b', 'c', 'd'], workers=2) under spawn", seen, items)


@points(1)
def test_leaves_nothing_behind():
    """Afterwards no listener thread and no worker is running, and the parent's root logger is as it was."""
    learner = learner_process()
    seen = logging_run([1, 2, 3], 2)
    left = [process.pid for process in learner.descendants()]  # seen from here, as the call returned
    assert_each_once("run_with_logging([1, 2, 3], workers=2)", seen, [1, 2, 3])
    assert not seen["listeners"], (
        "Called run_with_logging([1, 2, 3], workers=2); its QueueListener thread was still running afterwards. "
        "Call listener.stop() in a finally block, after the pool's `with` block."
    )
    assert not left, (
        f"Called run_with_logging([1, 2, 3], workers=2); processes were still alive afterwards: {left}. "
        "Use the pool in a `with` block."
    )
    (handlers_before, level_before), (handlers_after, level_after) = seen["root_before"], seen["root_after"]
    assert not seen["root_changed"], (
        "Called run_with_logging([1, 2, 3], workers=2); it changed this process's root logger: handlers "
        f"{handlers_before} -> {handlers_after}, level {level_before} -> {level_after}. Only the workers' root "
        "loggers get a QueueHandler (in the initializer); the parent needs only the QueueListener."
    )
    got = ex.run_with_logging([], workers=2)
    assert got == [], (
        f"Called run_with_logging([], workers=2); got {got!r}, expected [] (no items, no records)."
    )


@points(1)
def test_listener_stops_when_the_map_raises():
    """When the map raises (an item that cannot be sent to a worker), the listener is stopped all the same."""
    seen = logging_run([1, 2], 2)
    assert_each_once("run_with_logging([1, 2], workers=2)", seen, [1, 2])
    call = "run_with_logging([1, threading.Lock(), 3], workers=2)"
    # The lock is made in the learner's process (it cannot be sent there); the map's error is described, not raised.
    seen = logging_run([1, None, 3], 2, lock_at=1)
    if seen["raised"] is None:  # a lock cannot be pickled: the map raises, as it should
        raise AssertionError(
            f"Called {call}; it returned {seen['shown']}, expected the map's error (a lock cannot be pickled) to "
            "come out."
        )
    assert not seen["listeners"], (
        f"Called {call}; the map raised, as expected, but the QueueListener thread was still running "
        "afterwards. Stop the listener in a `finally:` block, so that it stops whether the map returns or raises."
    )


@points(1)
def test_uses_as_many_processes_as_workers():
    """With workers=3, on a machine of any size, the pool has three worker processes."""
    items = list(range(30))
    with ProcessWatch(learner_process()) as watch:
        seen = logging_run(items, 3)
    started = watch.started
    call = "run_with_logging(list(range(30)), workers=3)"
    assert_each_once(call, seen, items)
    assert started == 3, (
        f"Called {call}; {started} worker process(es) were started, expected 3. Make the pool with "
        "`workers` processes (ProcessPoolExecutor(workers, ...)); without it, the pool has one per CPU."
    )


@points(1)
def test_gives_up_on_a_late_result():
    """With RESULT_TIMEOUT_S shortened to 0.1 s, an item that takes 0.6 s to reach its worker makes the call raise."""
    call = (
        f"Called run_with_logging([an item that takes {LATE_S} s to reach its worker], workers=1) with "
        f"RESULT_TIMEOUT_S = {SHORT_RESULT_S}"
    )
    try:
        outcome, seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.with_result_timeout, SHORT_RESULT_S, LATE_S, 1
        )
    except DidNotReturn:
        raise AssertionError(f"{call}; it had not returned after {LIMIT_S} s.") from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        assert type_name in TIMEOUTS, f"{call}; it raised {type_name.removeprefix('builtins.')}: {message}."
        return  # gave up in time, as it should
    raise AssertionError(
        f"{call}; it returned ({outcome[1]} record(s)) after {seconds:.1f} s, expected the map's TimeoutError: "
        "the map is waited for at most RESULT_TIMEOUT_S, so that a stuck worker cannot hold up the call forever. "
        "executor.map(log_item, items, timeout=RESULT_TIMEOUT_S), with the constant, not a number, and "
        "let the TimeoutError out (the listener still stops in the finally:)."
    )
