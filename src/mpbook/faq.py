"""Pool and Process targets for chapter 07, the FAQ: the measurements behind its answers.

Why a module and not notebook cells: a spawned worker finds its function by importing it
(see ``mpbook.workers``). Most of the FAQ reuses the targets of earlier chapters; these
three answer the questions those do not.

**"Why is it slow?" Less data per task.** `sum_slice(values, start, stop)` sums part of a
sequence. Sent the whole array with every task, each task pickles and copies all of it;
sent only its own slice, the pool moves each number once:

    parent --(whole array, start, stop)--> [ task queue ] --> worker: sum_slice   (n copies of it all)
    parent --(values[start:stop], 0, k)--> [ task queue ] --> worker: sum_slice   (each number once)
    parent <--float-- [ result queue ] <-- worker

**"How do I share a dict?" Three ways to build one dict from many workers.**
`store_squares(mapping, xs)` writes into a ``Manager`` dict, one round trip per item;
`put_squares(xs, results)` sends (x, x*x) pairs through a ``Queue`` and ends with a None; the
third way needs no new target: workers *return* their results and the parent builds the dict.

    worker: store_squares --mapping[x] = x*x--> manager process (one round trip per item)
    worker: put_squares   --(x, x*x) ... None--> [ results queue ] --get--> parent builds the dict
    worker: square(x)     --return x*x--> [ pool result queue ] --> parent: dict(zip(xs, results))

Standard library only: every spawned child imports this module.
"""

from __future__ import annotations

from mpbook import _arguments

# For annotations only (postponed by the __future__ import): even `import typing` costs a
# spawned child a few milliseconds. Type checkers read this block.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["put_squares", "store_squares", "sum_slice"]


def sum_slice(values: object, start: int, stop: int) -> float:
    """Return the sum of values[start:stop] as a float (a list, tuple, array.array or NumPy array).

    A NumPy array is summed by NumPy (its own ``sum()``), anything else by the builtin sum,
    so this module never imports NumPy.
    """
    if (
        not hasattr(values, "__len__")
        or not hasattr(values, "__getitem__")
        or isinstance(values, (str, bytes))
    ):
        raise TypeError(f"values must be a sequence of numbers, got {type(values).__name__}")
    _arguments.integer("start", start, minimum=0)
    _arguments.integer("stop", stop, minimum=start)
    if stop > len(values):
        raise ValueError(f"stop={stop} is beyond the end of values (length {len(values)})")
    part = values[start:stop]
    total = part.sum() if callable(getattr(part, "sum", None)) else sum(part)
    return float(total)


def store_squares(mapping: Any, xs: list | tuple | range) -> int:
    """Set mapping[x] = x * x for each x, one item at a time; return how many items were stored.

    Given a Manager dict proxy, every assignment is a round trip to the manager process:
    the cost the chapter measures. A plain dict works too (in the calling process only).
    """
    if not callable(getattr(mapping, "__setitem__", None)):
        raise TypeError(f"mapping must be a dict or a Manager dict proxy, got {type(mapping).__name__}")
    items = _arguments.real_numbers("xs", xs)
    for x in items:
        mapping[x] = x * x
    return len(items)


def put_squares(xs: list | tuple | range, results: Any) -> int:
    """Put (x, x * x) on results for each x, then one None meaning "this worker is done"; return the count."""
    items = _arguments.real_numbers("xs", xs)
    _arguments.has("results", results, "put", what="a queue (with put)")
    for x in items:
        results.put((x, x * x))
    results.put(None)
    return len(items)
