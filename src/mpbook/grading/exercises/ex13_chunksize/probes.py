"""What ex13's checks can only do inside the learner's process: hold the executor fast_map is given.

A ProcessPoolExecutor cannot travel to the learner's process as an argument, so start_executor
makes one there and keeps it for the test; the checks then call fast_map on it, and time each call,
from the trusted process. Runs in the learner's process (see mpbook.grading.learner), so it returns
plain data; checks.py judges it. Code of the learner's that rewrote this probe could fake what
fast_map returned and how many messages it sent, and make the chunksize=1 reference slow; that
earns the points of the three tests that use an executor, but only by writing code aimed at the
grader rather than a fast_map, and only while the grader runs the learner's code as the grader's
own user: a root grader runs it as another user, who cannot read checks.py to learn what to fake.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from mpbook.workers import whoami

_executor: CountingExecutor | None = None  # this test's executor, made by start_executor


class CountingExecutor(ProcessPoolExecutor):
    """A ProcessPoolExecutor that counts the messages it sends: map() submits one call per chunk."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def _started() -> CountingExecutor:
    """Return the executor start_executor made; RuntimeError if there is none."""
    if _executor is None:
        raise RuntimeError("start_executor must run first")
    return _executor


def start_executor(module, workers: int, timeout_s: float) -> None:
    """Start a CountingExecutor with `workers` processes, all running (they start on demand otherwise)."""
    global _executor
    _executor = CountingExecutor(max_workers=workers)
    list(_executor.map(whoami, range(workers), [0.2] * workers, timeout=timeout_s))
    _executor.submitted = 0


def fast_map(module, func, items: list, workers: int) -> dict:
    """Call module.fast_map(executor, func, items, workers); return what it returned and the messages it sent."""
    executor = _started()
    executor.submitted = 0
    got = module.fast_map(executor, func, items, workers)
    return {"got": got, "messages": executor.submitted}


def reference_map(module, func, items: list, timeout_s: float) -> list:
    """Return executor.map(func, items) with chunksize=1: one message per item."""
    return list(_started().map(func, items, chunksize=1, timeout=timeout_s))


def stop_executor(module) -> None:
    """Shut the executor down and wait for its workers to end."""
    global _executor
    if _executor is not None:
        _executor.shutdown(wait=True, cancel_futures=True)
        _executor = None
