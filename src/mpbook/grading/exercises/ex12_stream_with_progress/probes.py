"""What ex12's checks can only see from inside the learner's process: progress calls, messages sent, the error's type.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. The progress callback is a function the learner's
stream calls back, and how many messages imap_unordered sends is known only where it is called,
so both live here. Code of the learner's that rewrote this probe could fake the progress calls and
their times (the points of test_progress_counts_every_result and test_progress_arrives_as_results_come),
the message count (test_chunks_for_many_items) and the type of the error raised at the deadline;
the results are checked, and the deadline's timing and the workers left running are seen, by the
trusted side for itself.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import multiprocessing.pool
import time


class Progress:
    """A progress callback that records each call and when it came (time.monotonic())."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.times: list[float] = []

    def __call__(self, *args) -> None:
        self.times.append(time.monotonic())
        self.calls.append(args)


def with_progress(module, func, items: list, workers: int) -> dict:
    """Call module.stream(func, items, workers=workers, progress=progress); return what it returned, and each call
    of progress (its arguments) with its time (time.monotonic())."""
    progress = Progress()
    got = module.stream(func, items, workers=workers, progress=progress)
    return {"got": got, "calls": progress.calls, "times": progress.times}


def messages(module, func, items: list, workers: int) -> dict:
    """Call module.stream(func, items, workers=workers); return what it returned, and for every Pool.imap_unordered
    call it made, how many messages (tasks) it sent.

    A message is one task: a chunk of `chunksize` items of the iterable it was given. So this counts
    chunks cut by imap_unordered (its chunksize) and chunks cut by hand (each item a list) alike.
    """
    sent = []
    original = multiprocessing.pool.Pool.imap_unordered

    def imap_unordered(self, task, iterable, chunksize=1):
        iterable = list(iterable)
        sent.append(math.ceil(len(iterable) / max(1, chunksize)))
        return original(self, task, iterable, chunksize)

    multiprocessing.pool.Pool.imap_unordered = imap_unordered
    try:
        got = module.stream(func, items, workers=workers)
    finally:
        multiprocessing.pool.Pool.imap_unordered = original
    return {"got": got, "messages": sent}


def times_out(module, func, items: list, workers: int, timeout: float) -> dict:
    """Call module.stream(func, items, workers=workers, timeout=timeout); return what it returned, or whether it
    raised multiprocessing.TimeoutError (any other error is raised as it is)."""
    try:
        got = module.stream(func, items, workers=workers, timeout=timeout)
    except mp.TimeoutError:
        return {"outcome": "timeout"}
    return {"outcome": "returned", "got": got}
