# breaks: chunks of pick_chunksize(len(items), workers), for the executor's workers — caught by test_every_worker_gets_work
"""Exercise 13 · Chunks for tiny tasks (chapter 04-pool, section 4).

fast_map returns [func(x) for x in items], computed by `executor`, a running ProcessPoolExecutor
with `workers` processes. It must be fast even for 10 000 tiny tasks such as squaring a number:
at least ten times faster than executor.map's default, which sends every item in a message of
its own (chunksize=1). Choose a better chunksize.

    chunksize=1:    parent --[x0]--> --[x1]--> --[x2]--> ... 10 000 round trips --> workers
    chunksize=1250: parent --[x0 ... x1249]--> --[x1250 ... x2499]--> ... 8 round trips --> workers

Contract: pick_chunksize(n_items, workers) returns an int of at least 1 that gives about four
chunks per worker. fast_map(executor, func, items, workers) returns [func(x) for x in items], in
order, computed on the executor it is given (not a pool of its own) in chunks of
pick_chunksize(len(items), workers) items, waiting at most MAP_TIMEOUT_S for the whole map.

Learning goals: a message costs far more than a tiny task; Pool.map's rule, ceil(n / (4 * workers));
chunksize must be at least 1; too few chunks leave a worker idle.
Out of scope: long, uneven tasks, where small chunks balance the work better (chapter 04).
Try it: `mpbook try ex13`. Check it: `mpbook check ex13` (in a notebook: mpbook.check("ex13")).
Stuck: `mpbook hint ex13`.
"""

import math
import os

MAP_TIMEOUT_S = 60  # 10 000 tiny tasks take well under a second in chunks; 60 s means a worker is stuck


def pick_chunksize(n_items: int, workers: int) -> int:
    """Return a chunksize for n_items tiny tasks on `workers` processes: about four chunks per worker, at least 1."""
    # Four chunks per worker: few messages, yet a worker that finishes early still finds work.
    return max(1, math.ceil(n_items / (4 * workers)))


def fast_map(executor, func, items: list, workers: int) -> list:
    """Return [func(x) for x in items], in order, computed on `executor` in chunks of pick_chunksize(...) items."""
    chunksize = pick_chunksize(len(items), os.cpu_count())  # the CPUs, not the executor's workers
    return list(executor.map(func, items, chunksize=chunksize, timeout=MAP_TIMEOUT_S))
