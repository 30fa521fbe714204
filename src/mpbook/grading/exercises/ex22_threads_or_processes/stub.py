"""Exercise 22 · Threads or processes? (chapter 07-faq, section 1).

Should this work run in threads or in processes? Measure: time the same map on a
ThreadPoolExecutor and on a ProcessPoolExecutor with the same number of workers, one after the
other in the same call, and say which was faster. Then try it on CPU-bound work and on work that
waits (sleep, I/O), and see the answer change.

    for Executor in (ThreadPoolExecutor, ProcessPoolExecutor):
        time(with Executor(max_workers=workers): list(map(func, items)))   -->  seconds
    --> {"threads": seconds, "processes": seconds, "faster": "threads" or "processes"}

Learning goals: the GIL lets one thread run Python at a time, so threads do not speed up
CPU-bound work, while processes do; threads overlap waiting and cost nothing to start; measuring
two choices side by side, results included.
Out of scope: free-threaded Python (3.13t), where threads run Python in parallel; asyncio.
Contract: compare(func, items, workers=2) returns {"threads": seconds, "processes": seconds,
"faster": "processes" if processes took less time than threads else "threads"}; each time covers
making an executor of `workers`, mapping func over every item and taking every result, and
closing it; func is picklable (a module-level function or a partial of one).
Try it: `mpbook try ex22`. Check it: `mpbook check ex22` (in a notebook: mpbook.check("ex22")).
Stuck: `mpbook hint ex22`.
"""

import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

MAP_TIMEOUT_S = 300  # the checks' maps take about a second; 300 s means an executor is stuck


def time_map(executor_class, func, items: list, workers: int) -> float:
    """Return the seconds it takes to make executor_class(max_workers=workers), map func over items, and close it."""
    # TODO: time it all, the executor's start and close included, and every result taken
    raise NotImplementedError("time_map: time an executor of `workers` mapping func over items")


def compare(func, items: list, workers: int = 2) -> dict:
    """Time the map on threads, then on processes; return {"threads": s, "processes": s, "faster": name}."""
    # TODO: time_map on each executor, side by side, then name the faster
    raise NotImplementedError("compare: time the map on threads and on processes, name the faster")
