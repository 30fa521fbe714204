"""Exercise 17 · Survive a dead worker (chapter 04-pool, section 10).

Run func on every item on a ProcessPoolExecutor of `workers` processes, where a task may kill the
worker running it (as the out-of-memory killer or a crash in a C extension would). The executor
then breaks: every task not yet finished fails with BrokenProcessPool, the culprit and bystanders
alike. Keep every result that did arrive, run again only what was lost, each item alone in a fresh
executor (then a break can only be its own), at most `retries` times; report the items that
killed their worker every time.

    parent --submit(func, item) x n--> executor (workers) --> results, or BrokenProcessPool for the lost
    parent --for each lost item, up to `retries` times: a fresh executor of 1, submit(func, item)-->
    parent <--{"results": {item: func(item)}, "lost": [the items that broke every try]}

Learning goals: BrokenProcessPool and what it takes down with it; a broken executor refuses new
work, so start another; retry only what was lost, with a limit; tell the culprit from bystanders.
Out of scope: tasks that raise an ordinary exception (ex15); tasks that hang; multiprocessing.Pool
(it waits forever for a task whose worker died).
Contract: run_surviving(func, items, workers=2, retries=RETRIES) returns {"results": {item:
func(item) for every item that completed}, "lost": [items whose worker died on the first run and
on each of their `retries` runs alone]}; items are hashable; an item that completed is never run
again; no process is left running.
Try it: `mpbook try ex17`. Check it: `mpbook check ex17` (in a notebook: mpbook.check("ex17")).
Stuck: `mpbook hint ex17`.
"""

from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

RESULT_TIMEOUT_S = 60  # the checks' tasks take well under a second; 60 s means an executor is stuck
RETRIES = 2  # a task that kills its worker three times in a row will not stop doing it


def run_surviving(func, items: list, workers: int = 2, retries: int = RETRIES) -> dict:
    """Return {"results": {item: func(item)}, "lost": [items]}: every result, and the items that broke every try."""
    # TODO: one executor for all; catch BrokenProcessPool per future; retry each lost item alone, with a limit
    raise NotImplementedError(
        "run_surviving: keep what finished, retry each lost item alone, report the culprits"
    )
