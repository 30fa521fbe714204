"""Exercise 04 · A pipeline with sentinels (chapter 02-process-queue-pipe, section 6).

Build a three-stage pipeline: a producer process puts the items on a tasks queue, `transformers`
processes square them, and the parent collects the squares from a results queue. A queue cannot
say "finished", so the producer ends with one None per transformer, and each transformer puts
one None on the results queue when it stops. Return the squares in the order of `items`;
an empty `items` returns [] at once.

    producer --(i, x) ... None None--> tasks --+--> transformer 1 --(i, x*x) ... None--+--> results --> parent
                                               +--> transformer 2 --(i, x*x) ... None--+

Learning goals: a sentinel per consumer; knowing when every result is in; joining every process.
Out of scope: pools and executors (chapters 04 and 05 hide this plumbing, and now you know what they hide).
Check your work: `mpbook check ex04`, or check("ex04") in a notebook.
"""

import multiprocessing as mp
import time  # noqa: F401 -- transform() needs it once you write it

GET_TIMEOUT_S = 30  # every task is queued at once and takes at most `delay`; 30 s means a process died
JOIN_TIMEOUT_S = 30  # a process that has handled its sentinel exits at once


def produce(items: list, tasks: mp.Queue, n_sentinels: int) -> None:
    """Put (index, x) on tasks for every x in items, in order, then n_sentinels None sentinels."""
    # TODO: put (index, x) on tasks for each x in items (enumerate gives the index)
    # TODO: then put n_sentinels None on tasks
    raise NotImplementedError("produce: put (index, x) for every item, then the sentinels")


def transform(tasks: mp.Queue, results: mp.Queue, delay: float) -> None:
    """Put (index, x * x) on results for each (index, x) got from tasks, until a None; then put one None."""
    # TODO: loop: take the next task off tasks with get(timeout=GET_TIMEOUT_S)
    # TODO: at None, put None on results and return
    # TODO: otherwise time.sleep(delay) (it stands in for real work), then put (index, x * x) on results
    raise NotImplementedError("transform: square each task until the sentinel, then pass a sentinel on")


def run_pipeline(items: list, transformers: int = 2, delay: float = 0.0) -> list:
    """Return [x * x for x in items], computed by a producer, `transformers` processes and the parent."""
    if transformers < 1:
        raise ValueError(f"transformers must be at least 1, got {transformers}")
    # TODO: make a tasks queue and a results queue
    # TODO: start one producer process (target=produce) and `transformers` processes (target=transform)
    # TODO: get from results (timeout=GET_TIMEOUT_S) until one None per transformer has come; place each square by index
    # TODO: join every process (timeout=JOIN_TIMEOUT_S) -- in the right place
    raise NotImplementedError("run_pipeline: start the processes, collect the squares, join the processes")
