# breaks: results waited for at most AS_COMPLETED_TIMEOUT_S — caught by test_gives_up_on_late_results
"""Exercise 16 · The first k results (chapter 04-pool, section 10).

Run mpbook.pooling.sleep_for(d) for every d in `durations` on a ProcessPoolExecutor of `workers`
processes, and return the first `k` results in the order they complete: the quickest tasks, not
the first ones submitted. Then stop: cancel every task that has not started, wait only for the
few already running (a running task cannot be stopped), and return without waiting for the rest.

    parent --submit(sleep_for, d) x n--> executor --> workers
    parent <--as_completed: the quickest k-- ;  cancel the rest, shut down (no process left behind)

Contract: first_results(durations, k, workers=2) returns k results of sleep_for (each is its d),
in completion order; k == 0 returns [] without starting a process. When it returns, no task is
still queued or running and no worker is left. Results are waited for at most
AS_COMPLETED_TIMEOUT_S in all.

Learning goals: submit and as_completed with a timeout; cancel() and shutdown(cancel_futures=True);
why a running task cannot be cancelled.
Out of scope: interrupting a running task (terminating its worker); multiprocessing.Pool.
Try it: `mpbook try ex16`. Check it: `mpbook check ex16` (in a notebook: mpbook.check("ex16")).
Stuck: `mpbook hint ex16`.
"""

from concurrent.futures import ProcessPoolExecutor, as_completed

from mpbook.pooling import sleep_for  # the task: sleeps d seconds, returns d

AS_COMPLETED_TIMEOUT_S = 60  # the checks' tasks sleep at most 2 s; 60 s means the executor is stuck


def first_results(durations: list[float], k: int, workers: int = 2) -> list[float]:
    """Return the first k results of sleep_for(d) for d in durations, in completion order; cancel the rest."""
    if not 0 <= k <= len(durations):
        raise ValueError(f"k must be between 0 and len(durations)={len(durations)}, got {k}")
    if k == 0:
        return []  # nothing to wait for: start no process at all
    executor = ProcessPoolExecutor(max_workers=workers)
    try:
        futures = [executor.submit(sleep_for, duration) for duration in durations]
        results = []
        for future in as_completed(futures):
            results.append(future.result(timeout=0))  # done already: as_completed yields finished futures
            if len(results) == k:
                break
    finally:
        # Cancels every task not yet started, then waits for the running ones: no worker is left behind.
        # (A `with` block would call shutdown(wait=True) without cancel_futures, and run every task.)
        executor.shutdown(wait=True, cancel_futures=True)
    return results
