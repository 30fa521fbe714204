"""What ex16's checks can only see from inside the learner's process: the futures its executor's submit returned.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote this probe could
fake its answers (how many tasks were submitted, cancelled, still pending); that earns little: the
trusted side times every call itself, so a fake cannot hide running every task, and it counts the
worker processes and sees the ones left running through the process tree.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor


def first_results(module, durations: list[float], k: int, workers: int) -> dict:
    """Call module.first_results(durations, k, workers=workers) with a spy on ProcessPoolExecutor.submit.

    Returns what it returned, and how many futures submit returned: in all, still not done when it
    returned, and cancelled.
    """
    futures = []
    original_submit = ProcessPoolExecutor.submit

    def submit(self, *args, **kwargs):
        future = original_submit(self, *args, **kwargs)
        futures.append(future)
        return future

    ProcessPoolExecutor.submit = submit  # type: ignore[assignment]  # the spy takes what the original takes
    try:
        got = module.first_results(durations, k, workers=workers)
    finally:
        ProcessPoolExecutor.submit = original_submit
    return {
        "got": got,
        "submitted": len(futures),
        "pending": sum(not future.done() for future in futures),
        "cancelled": sum(future.cancelled() for future in futures),
    }
