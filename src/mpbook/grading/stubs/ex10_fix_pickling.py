"""Exercise 10 · Fix the pickling (chapter 04-pool, section 1).

The two functions below hand a pool a lambda and a closure, and both fail at once, under every
start method: a pool sends each task's function to a worker by pickling it, and pickle stores a
function as "module + name", which a worker then imports. A lambda has no name, and a closure
lives inside another function, where no import can reach it. Rewrite them with module-level
functions and functools.partial, so that they return the same results, under spawn too.
Pass every value a task needs as an argument, not through a module global: a spawned worker
imports this module afresh and sees none of the parent's changes to its globals.

    parent --pickled: (module "ex10_fix_pickling", name "scale"), factor=2, x--> worker
    worker: import ex10_fix_pickling, look up scale, scale(x, factor=2) --result--> parent

Learning goals: what pickle can send to a worker; functools.partial to fix extra arguments.
Out of scope: cloudpickle and other pickle replacements, which send a function's code itself.
Check your work: `mpbook check ex10`, or check("ex10") in a notebook.
"""

import multiprocessing as mp
from functools import partial  # noqa: F401 -- you will need it

RESULT_TIMEOUT_S = 30  # a few tiny tasks take milliseconds; 30 s means the pool is broken


def scale_all(numbers: list[float], factor: float, workers: int = 2) -> list[float]:
    """Return [x * factor for x in numbers], computed on a pool of `workers` processes."""
    with mp.Pool(processes=workers) as pool:
        # TODO: a lambda cannot be pickled. Map a module-level function of (x, factor) instead,
        #       with factor fixed by functools.partial.
        return pool.map_async(lambda x: x * factor, numbers).get(timeout=RESULT_TIMEOUT_S)


def make_clipper(low: float, high: float):
    """Return a function that clips its argument to the interval [low, high]."""

    def clip(x: float) -> float:
        return min(max(x, low), high)

    return clip


def clip_all(numbers: list[float], low: float, high: float, workers: int = 2) -> list[float]:
    """Return each of numbers clipped to [low, high], computed on a pool of `workers` processes."""
    with mp.Pool(processes=workers) as pool:
        # TODO: clip is defined inside make_clipper, so no worker can import it. Write a module-level
        #       function of (x, low, high) and fix low and high with partial (make_clipper can go).
        return pool.map_async(make_clipper(low, high), numbers).get(timeout=RESULT_TIMEOUT_S)
