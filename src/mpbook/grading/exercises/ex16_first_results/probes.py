"""What ex16's checks can only see from inside the learner's process: the futures its executor's submit returned.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote this probe could
fake its answers (how many tasks were submitted, cancelled, still pending); that earns little: the
trusted side times every call itself, so a fake cannot hide running every task, and it counts the
worker processes and sees the ones left running through the process tree. with_timeout could fake
that the call gave up in time: that earns test_gives_up_on_late_results (1 point) only.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from mpbook.grading import probing


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


def with_timeout(module, seconds: float, durations: list[float], k: int, workers: int):
    """Call module.first_results(durations, k, workers=workers) with AS_COMPLETED_TIMEOUT_S = seconds.

    Return ("returned", value) or ("raised", "module.QualifiedName", message); NotImplementedError
    (the untouched stub) is raised, for the grader to say "not done yet".
    """
    with probing.replaced(module, AS_COMPLETED_TIMEOUT_S=seconds):
        return probing.outcome(module.first_results, durations, k, workers=workers)
