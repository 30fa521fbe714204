# breaks: `transformers` processes transform at the same time — caught by test_transformers_work_at_the_same_time
"""Exercise 05 · A pipeline with sentinels (chapter 02-process-queue-pipe, section 3).

Build a three-stage pipeline: a producer process puts the items on a tasks queue, `transformers`
processes square them, and the parent collects the squares from a results queue. A queue cannot
say "finished", so the producer ends with one None per transformer, and each transformer puts
one None on the results queue when it stops.

    producer --(i, x) ... None None--> tasks --+--> transformer 1 --(i, x*x) ... None--+--> results --> parent
                                               +--> transformer 2 --(i, x*x) ... None--+

Contract: run_pipeline(items, transformers=2, delay=0.0) returns [x * x for x in items] in the
order of items ([] for no items), computed by one producer process running produce and
`transformers` processes running transform, every one of them joined before it returns.
produce(items, tasks, n_sentinels) puts (index, x) for each item, then n_sentinels None.
transform(tasks, results, delay) sleeps `delay` (it stands in for real work) and puts (index, x * x)
for each task until it gets a None, then puts one None on results and returns. Every get() waits
at most GET_TIMEOUT_S, every join() at most JOIN_TIMEOUT_S.

Learning goals: a sentinel per consumer; knowing when every result is in; joining every process.
Out of scope: pools and executors (chapters 04 and 05 hide this plumbing, and now you know what they hide).
Try it: `mpbook try ex05`. Check it: `mpbook check ex05` (in a notebook: mpbook.check("ex05")).
Stuck: `mpbook hint ex05`.
"""

import multiprocessing as mp
import time

GET_TIMEOUT_S = 30  # every task is queued at once and takes at most `delay`; 30 s means a process died
JOIN_TIMEOUT_S = 30  # a process that has handled its sentinel exits at once


def produce(items: list, tasks: mp.Queue, n_sentinels: int) -> None:
    """Put (index, x) on tasks for every x in items, in order, then n_sentinels None sentinels."""
    for index, x in enumerate(items):
        tasks.put((index, x))
    # One None per transformer: each one stops at the first None it gets.
    for _ in range(n_sentinels):
        tasks.put(None)


def transform(tasks: mp.Queue, results: mp.Queue, delay: float) -> None:
    """Put (index, x * x) on results for each (index, x) got from tasks, until a None; then put one None."""
    while True:
        task = tasks.get(timeout=GET_TIMEOUT_S)
        if task is None:
            results.put(None)  # tells the parent this transformer is done
            return
        index, x = task
        time.sleep(delay)  # stands in for real work
        results.put((index, x * x))


def run_pipeline(items: list, transformers: int = 2, delay: float = 0.0) -> list:
    """Return [x * x for x in items], computed by a producer, `transformers` processes and the parent."""
    if transformers < 1:
        raise ValueError(f"transformers must be at least 1, got {transformers}")
    tasks, results = mp.Queue(), mp.Queue()
    # wrong: one transformer (and one sentinel for it), whatever `transformers` says
    processes = [mp.Process(target=produce, args=(items, tasks, 1))]
    processes += [mp.Process(target=transform, args=(tasks, results, delay)) for _ in range(1)]
    for process in processes:
        process.start()
    squares = [None] * len(items)
    done = 0
    while done < 1:  # wrong: waits for one transformer only
        result = results.get(timeout=GET_TIMEOUT_S)
        if result is None:
            done += 1
        else:
            index, square = result
            squares[index] = square
    # Joined after the results queue is drained: a child cannot exit while its last items wait to be read.
    for process in processes:
        process.join(timeout=JOIN_TIMEOUT_S)
    return squares
