"""Exercise 11 · The first k results (chapter 04-pool, sections 9 and 10).

Run mpbook.pooling.sleep_for(d) for every d in `durations` on a ProcessPoolExecutor of `workers`
processes, and return the first `k` results in the order they complete: the quickest tasks, not
the first ones submitted. Then stop: cancel every task that has not started, wait only for the
few already running (a running task cannot be stopped), and return without waiting for the rest.

    parent --submit(sleep_for, d) x n--> executor --> workers
    parent <--as_completed: the quickest k-- ;  cancel the rest, shut down (no process left behind)

Learning goals: submit and as_completed with a timeout; cancel() and shutdown(cancel_futures=True);
why a running task cannot be cancelled.
Out of scope: interrupting a running task (terminating its worker); multiprocessing.Pool.
Check your work: `mpbook check ex11`, or check("ex11") in a notebook.
"""

from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: F401 -- you will need them

from mpbook.pooling import sleep_for  # noqa: F401 -- the task: sleeps d seconds, returns d

AS_COMPLETED_TIMEOUT_S = 60  # the checks' tasks sleep at most 2 s; 60 s means the executor is stuck


def first_results(durations: list[float], k: int, workers: int = 2) -> list[float]:
    """Return the first k results of sleep_for(d) for d in durations, in completion order; cancel the rest."""
    if not 0 <= k <= len(durations):
        raise ValueError(f"k must be between 0 and len(durations)={len(durations)}, got {k}")
    # TODO: k == 0 needs no process at all: return [] at once
    # TODO: make a ProcessPoolExecutor(max_workers=workers) and submit sleep_for(d) for every d in durations
    # TODO: take results from as_completed(futures, timeout=AS_COMPLETED_TIMEOUT_S) until you have k of them
    # TODO: then, even if something failed (try/finally), shut the executor down so that the tasks not yet
    #       started never run, and no worker is left running. Careful: leaving a `with` block calls
    #       shutdown(wait=True), which first runs every task still queued.
    raise NotImplementedError(
        "first_results: submit every task, take the first k to complete, cancel the rest"
    )
