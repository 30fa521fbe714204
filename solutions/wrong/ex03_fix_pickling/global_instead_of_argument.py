# breaks: every value a task needs travels as an argument, not through a module global — caught by test_works_under_spawn
"""Exercise 03 · Fix the pickling (chapter 01-basics, section 6).

scale_all and clip_all hand a pool a lambda and a nested function, and both fail at once, under
every start method: a pool sends each task's function to a worker by pickling it, and pickle
stores a function as "module + name", which the worker then imports. A lambda has no name, and a
function defined inside another function lives where no import can reach it. Make both work,
under spawn too, by handing the pool scale and clip themselves, which sit at the top of the module.

    parent --pickled: (module "ex03_fix_pickling", name "scale"), factor=2, x--> worker
    worker: import ex03_fix_pickling, look up scale, call scale(x, factor=2) --result--> parent

Contract: scale_all(numbers, factor, workers=2) returns [x * factor for x in numbers] and
clip_all(numbers, low, high, workers=2) returns each number clipped to [low, high], both in input
order and both computed on a pool of `workers` processes, whose results are waited for at most
RESULT_TIMEOUT_S. Pass every value a task needs as an argument, not through a module global: a
spawned worker imports this module afresh and sees none of the parent's changes to its globals.

Learning goals: what pickle can send to a worker; functools.partial to fix extra arguments.
Out of scope: cloudpickle and other pickle replacements, which send a function's code itself.
Try it: `mpbook try ex03`. Check it: `mpbook check ex03` (in a notebook: mpbook.check("ex03")).
Stuck: `mpbook hint ex03`.
"""

import multiprocessing as mp
from functools import partial

RESULT_TIMEOUT_S = 30  # a few tiny tasks take milliseconds; 30 s means the pool is broken


def scale(x: float, factor: float) -> float:
    """Return x * factor."""
    return x * factor


FACTOR = 1


def scale_by_factor(x: float) -> float:
    """Return x * FACTOR."""
    return scale(x, FACTOR)


def scale_all(numbers: list[float], factor: float, workers: int = 2) -> list[float]:
    """Return [x * factor for x in numbers], computed on a pool of `workers` processes."""
    global FACTOR
    FACTOR = factor  # wrong: a spawned worker imports this module afresh and sees FACTOR = 1
    with mp.Pool(processes=workers) as pool:
        return pool.map_async(scale_by_factor, numbers).get(timeout=RESULT_TIMEOUT_S)


def clip(x: float, low: float, high: float) -> float:
    """Return x clipped to the interval [low, high]."""
    return min(max(x, low), high)


def clip_all(numbers: list[float], low: float, high: float, workers: int = 2) -> list[float]:
    """Return each of numbers clipped to [low, high], computed on a pool of `workers` processes."""
    with mp.Pool(processes=workers) as pool:
        # No nested function: clip itself, found by name, with low and high fixed by name.
        return pool.map_async(partial(clip, low=low, high=high), numbers).get(timeout=RESULT_TIMEOUT_S)
