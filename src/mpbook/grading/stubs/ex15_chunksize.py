"""Exercise 15 · Chunks for tiny tasks (chapter 04-pool, section 4).

fast_map(executor, func, items, workers) returns [func(x) for x in items], in order, computed by
`executor`, a running ProcessPoolExecutor with `workers` processes. It must be fast even for
10 000 tiny tasks such as squaring a number: at least ten times faster than executor.map's
default, which sends every item in a message of its own (chunksize=1). Choose a better chunksize.

    chunksize=1:    parent --[x0]--> --[x1]--> --[x2]--> ... 10 000 round trips --> workers
    chunksize=1250: parent --[x0 ... x1249]--> --[x1250 ... x2499]--> ... 8 round trips --> workers

Learning goals: a message costs far more than a tiny task; Pool.map's rule, ceil(n / (4 * workers));
chunksize must be at least 1; too few chunks leave a worker idle.
Out of scope: long, uneven tasks, where small chunks balance the work better (chapter 04, section 5).
Check your work: `mpbook check ex15`, or check("ex15") in a notebook.
"""

MAP_TIMEOUT_S = 60  # 10 000 tiny tasks take well under a second in chunks; 60 s means a worker is stuck


def pick_chunksize(n_items: int, workers: int) -> int:
    """Return a chunksize for n_items tiny tasks on `workers` processes: about four chunks per worker, at least 1."""
    # TODO: apply Pool.map's rule, math.ceil(n_items / (4 * workers)); never return less than 1
    #       (executor.map raises ValueError for chunksize=0, which the rule gives for no items)
    raise NotImplementedError("pick_chunksize: about four chunks per worker, at least 1")


def fast_map(executor, func, items: list, workers: int) -> list:
    """Return [func(x) for x in items], in order, computed on `executor` in chunks of pick_chunksize(...) items."""
    # TODO: call executor.map(func, items, chunksize=..., timeout=MAP_TIMEOUT_S) and return its results as a list
    raise NotImplementedError("fast_map: executor.map with a good chunksize")
