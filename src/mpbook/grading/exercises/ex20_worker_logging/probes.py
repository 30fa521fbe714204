"""What ex20's checks can only see from inside the learner's process: the records, the listener, the root logger.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. LogRecord objects cannot cross the boundary as they
are, and the QueueListener's thread and the root logger live in the learner's process, so this is
the only place they can be seen. Code of the learner's that rewrote this probe could fake its
answer, the records' messages included: the worker processes are counted from the trusted side
(test_uses_as_many_processes_as_workers) and the records must name processes other than the
learner's own, but what happens inside the learner's process (its logging set-up) is the exercise,
so the points that rest on the records rest on this probe. It holds no expected values: those are
in checks.py, which the learner's user cannot read under a root grader. with_result_timeout could
fake that the call gave up in time: that earns test_gives_up_on_a_late_result (1 point) only.
"""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import threading

from mpbook.grading import probing
from mpbook.workers import sleep_and_return


def listener_threads() -> int:
    """Return how many QueueListener threads are running in this process."""
    return sum(
        isinstance(
            getattr(getattr(thread, "_target", None), "__self__", None), logging.handlers.QueueListener
        )
        for thread in threading.enumerate()
    )


def _record(value: object) -> dict:
    if isinstance(value, logging.LogRecord):
        return {"message": value.getMessage(), "process": value.process, "processName": value.processName}
    return {"not_a_record": repr(value)[:300]}


def logging_run(
    module, items: list, workers: int, start_method: str | None = None, lock_at: int | None = None
):
    """Call module.run_with_logging(items, workers=workers); return its records and what it left behind.

    start_method: set first (this process only). lock_at: put a threading.Lock() at that index of
    items (it cannot be pickled, so the map raises); the exception is then described, not raised.
    """
    if start_method is not None:
        multiprocessing.set_start_method(start_method, force=True)
    items = list(items)
    if lock_at is not None:
        items[lock_at] = threading.Lock()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    seen: dict[str, object] = {"raised": None, "type": None, "shown": None, "records": None}
    try:
        got = module.run_with_logging(items, workers=workers)
    except Exception as exc:
        if lock_at is None:
            raise  # the trusted side reports it as the learner's exception
        seen["raised"] = f"{type(exc).__name__}: {exc}"[:300]
    else:
        seen["type"], seen["shown"] = type(got).__name__, repr(got)[:300]
        if isinstance(got, list):
            seen["records"] = [_record(record) for record in got]
    seen["listeners"] = listener_threads()
    seen["root_changed"] = (list(root.handlers), root.level) != before
    seen["root_before"] = (repr(before[0]), before[1])
    seen["root_after"] = (repr(root.handlers), root.level)
    return seen


class LateItem:
    """An item that takes `seconds` to unpickle: the worker that gets it starts its task only after that."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __reduce__(self):
        return (sleep_and_return, (self.seconds, "late"))  # in the worker, it arrives as the string "late"


def with_result_timeout(module, seconds: float, late_s: float, workers: int):
    """Call module.run_with_logging([LateItem(late_s)], workers=workers) with RESULT_TIMEOUT_S = seconds.

    Return ("returned", number of records) or ("raised", "module.QualifiedName", message);
    NotImplementedError (the untouched stub) is raised, for the grader to say "not done yet".
    """
    with probing.replaced(module, RESULT_TIMEOUT_S=seconds):
        result = probing.outcome(module.run_with_logging, [LateItem(late_s)], workers=workers)
    if result[0] == "returned":
        got = result[1]
        return ("returned", len(got) if isinstance(got, list) else repr(got)[:300])
    kind, name, message = result
    return (kind, name, message[:300])
