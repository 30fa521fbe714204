"""Record which worker ran which task, and when: the data behind the book's timelines.

A pool hides its scheduling. To *see* it, each task is wrapped so that the worker notes its
own pid and process name and the time the task started and ended, and sends that record back
to the parent together with the result:

    parent --pickle(Traced(count_primes), (task, args))--> worker
    worker: start = clock(); result = count_primes(*args); end = clock()
    worker --pickle((result, TaskRecord(task, pid, name, start, end)))--> parent

`Traced` is a top-level class wrapping an importable function, so an instance pickles *by
reference* (the class ``mpbook.trace.Traced`` plus the function's module and name) and works
under every start method, spawn included. `traced_map` runs a whole map on a
`multiprocessing.Pool` or a `concurrent.futures` executor and returns the results in input
order together with one record per task. Pools and executors cut the input into chunks,
consecutive runs of ``chunksize`` tasks that travel to a worker as one message; the parent
knows the chunksize, so each record carries its chunk and a timeline can colour by it.

Like every module a spawned child imports, this one is standard library only at import time.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable

from mpbook import _arguments, _processes

# For annotations only (postponed by the __future__ import): a worker never needs them, and
# even `import typing` costs a child a few milliseconds. Type checkers read this block.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import multiprocessing.pool
    from concurrent.futures import Executor
    from typing import Any

__all__ = [
    "POOL_METHODS",
    "TaskRecord",
    "Traced",
    "clock",
    "traced_call",
    "traced_map",
]

# The clock every record uses. Timestamps taken in different processes are compared on one
# timeline, so the clock must be one counter shared by the whole machine, and fine-grained:
#   - time.perf_counter: in CPython it reads a system-wide counter everywhere the book runs,
#     CLOCK_MONOTONIC on Linux, mach_absolute_time on macOS, QueryPerformanceCounter on
#     Windows, with sub-microsecond resolution; it never jumps.
#   - time.monotonic: the same counter on Linux and macOS, but on Windows before Python 3.13
#     it is GetTickCount64, which ticks every ~15.6 ms: too coarse for a timeline.
#   - time.time: shared by every process by definition, but also ~15.6 ms on Windows before
#     3.13, and NTP may step it mid-run, which can make a task end before it starts.
# The documentation leaves perf_counter's reference point undefined, so tests/test_trace.py
# checks that a child's timestamps fall between the parent's readings before and after.
_CLOCK = time.perf_counter

# What `traced_map` can call on a multiprocessing Pool. apply/apply_async/starmap are left out:
# use Traced directly with apply_async, or star=True for starmap-style argument tuples.
POOL_METHODS = ("map", "imap", "imap_unordered")


def clock() -> float:
    """Return the current time in seconds on the clock `TaskRecord` times use (see _CLOCK)."""
    return _CLOCK()


_FIELDS = ("task", "pid", "worker", "start", "end", "chunk", "thread")


# Written by hand rather than as a dataclass: every worker imports this module, and importing
# dataclasses (which imports inspect) costs ~9 ms per child here, about a tenth of a spawn
# start. Building a record is also 4x faster than with a frozen dataclass, and records are
# built once per task in the worker and again when unpickled in the parent.
class TaskRecord:
    """One task as a worker ran it: which task, which process, when (seconds on `clock`).

    Fields: task (index in the input, 0-based), pid and worker (the process's id and name,
    e.g. "SpawnPoolWorker-2"), start and end (clock() just before and after the call), chunk
    (which chunk of the input it travelled in, None when unknown) and thread (the thread in
    the worker; differs only in thread pools). For a table: ``pandas.DataFrame(r.as_dict() for r in records)``.
    """

    __slots__ = _FIELDS
    __hash__ = None  # type: ignore[assignment]  # the documented way to unset it; mutable (traced_map fills in chunk), so not hashable, like a list

    def __init__(
        self,
        task: int,
        pid: int,
        worker: str,
        start: float,
        end: float,
        chunk: int | None = None,
        thread: str = "MainThread",
    ) -> None:
        """Store the fields as given; no checks, as this runs once per task in the worker."""
        self.task = task
        self.pid = pid
        self.worker = worker
        self.start = start
        self.end = end
        self.chunk = chunk
        self.thread = thread

    @property
    def duration(self) -> float:
        """Return how long the task ran, in seconds."""
        return self.end - self.start

    def as_tuple(self) -> tuple[int, int, str, float, float, int | None, str]:
        """Return the fields as a tuple, in the order __init__ takes them."""
        return (self.task, self.pid, self.worker, self.start, self.end, self.chunk, self.thread)

    def as_dict(self) -> dict[str, object]:
        """Return the fields as a dict, field name -> value (one row of a table)."""
        return dict(zip(_FIELDS, self.as_tuple(), strict=True))

    def __eq__(self, other: object) -> bool:
        """Return True if other is a TaskRecord with equal fields."""
        if not isinstance(other, TaskRecord):
            return NotImplemented
        return self.as_tuple() == other.as_tuple()

    def __repr__(self) -> str:
        """Return TaskRecord(task=..., pid=..., ...), every field by name."""
        return "TaskRecord(" + ", ".join(f"{name}={value!r}" for name, value in self.as_dict().items()) + ")"

    def __reduce__(self) -> tuple[type, tuple]:
        """Return how to pickle a record: the class and its fields as one tuple (small and fast)."""
        return (TaskRecord, self.as_tuple())


def traced_call(func: Callable[..., Any], task: int, *args: Any, **kwargs: Any) -> tuple[Any, TaskRecord]:
    """Return (func(*args, **kwargs), its TaskRecord): runs the call here and records it as `task`."""
    start = _CLOCK()
    result = func(*args, **kwargs)
    end = _CLOCK()
    record = TaskRecord(
        task,
        os.getpid(),
        multiprocessing.current_process().name,
        start,
        end,
        None,
        threading.current_thread().name,
    )
    return result, record


def _require_importable(func: object) -> Callable[..., Any]:
    """Return func if it is callable and pickles by reference; else raise TypeError saying why."""
    if not callable(func):
        raise TypeError(f"func must be a callable, got {type(func).__name__} {func!r}")
    try:
        pickle.dumps(func)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        name = getattr(func, "__qualname__", repr(func))
        raise TypeError(
            f"func {name!r} cannot be sent to a worker process: it does not pickle ({exc}). "
            "Pass a function defined at the top level of an importable module, such as "
            "mpbook.workers.square; lambdas and functions defined inside other functions do not work."
        ) from exc
    return func


class Traced:
    """A picklable wrapper: calling it with (task, arg) returns (func(arg), TaskRecord).

    With ``star=True`` the argument is a tuple unpacked into the call, as ``Pool.starmap``
    does: ``Traced(count_primes, star=True)((0, (0, 1000)))`` runs ``count_primes(0, 1000)``.
    """

    __slots__ = ("func", "star")

    def __init__(self, func: Callable[..., Any], *, star: bool = False) -> None:
        """Wrap func, which must be importable by name so a spawned worker can find it."""
        _arguments.flag("star", star)
        self.func = _require_importable(func)
        self.star = star

    def __call__(self, item: tuple[int, Any]) -> tuple[Any, TaskRecord]:
        """Return (result, TaskRecord) for item = (task index, argument or argument tuple)."""
        try:
            task, arg = item
        except (TypeError, ValueError):
            raise TypeError(
                f"Traced expects one (task, argument) pair, got {item!r}; "
                "traced_map builds these pairs for you, or pass (index, arg) yourself."
            ) from None
        if self.star:
            return traced_call(self.func, task, *arg)
        return traced_call(self.func, task, arg)

    def __getstate__(self) -> tuple[Callable[..., Any], bool]:
        """Return what pickling sends: the wrapped function (by reference) and the star flag."""
        return self.func, self.star

    def __setstate__(self, state: tuple[Callable[..., Any], bool]) -> None:
        """Restore a Traced from (func, star), as sent by __getstate__."""
        self.func, self.star = state

    def __repr__(self) -> str:
        """Return Traced(module.name), naming the wrapped function."""
        name = f"{getattr(self.func, '__module__', '?')}.{getattr(self.func, '__qualname__', self.func)}"
        return f"Traced({name}{', star=True' if self.star else ''})"


class _TracedChunk:
    """A picklable wrapper: calling it with a list of (task, arg) pairs returns their (result, record) pairs."""

    __slots__ = ("traced",)

    def __init__(self, traced: Traced) -> None:
        """Wrap a Traced so that one call runs a whole chunk, as Pool's own chunking does."""
        self.traced = traced

    def __call__(self, chunk: list[tuple[int, Any]]) -> list[tuple[Any, TaskRecord]]:
        """Return [(result, TaskRecord), ...] for the chunk's items, run in order in this process."""
        return [self.traced(item) for item in chunk]

    def __getstate__(self) -> Traced:
        """Return what pickling sends: the wrapped Traced."""
        return self.traced

    def __setstate__(self, state: Traced) -> None:
        """Restore from the Traced sent by __getstate__."""
        self.traced = state


def _pool_default_chunksize(pool: multiprocessing.pool.Pool, n_tasks: int) -> int:
    """Return the chunksize Pool.map would pick for n_tasks: ceil(n_tasks / (4 * workers)).

    The same rule as CPython's Pool._map_async, on the pool's size (a private attribute, read by
    `_processes.pool_size`); we pass the result explicitly, so the records know their chunks.
    """
    workers = _processes.pool_size(pool) or os.cpu_count() or 1
    return max(1, math.ceil(n_tasks / (4 * workers)))


def traced_map(
    pool: multiprocessing.pool.Pool | Executor,
    func: Callable[..., Any],
    iterable: Iterable[Any],
    chunksize: int | None = None,
    *,
    method: str = "map",
    star: bool = False,
    timeout: float | None = None,
) -> tuple[list[Any], list[TaskRecord]]:
    """Return (results, records): func mapped over iterable on pool, both lists in input order.

    pool is a `multiprocessing.Pool` (method "map", "imap" or "imap_unordered") or a
    `concurrent.futures` executor (its ``map``). chunksize defaults to what the pool itself
    would use: ceil(n / (4 * workers)) for ``Pool.map``, 1 otherwise. Each record carries its
    chunk, ``task // chunksize``. timeout (seconds) bounds the whole map: past it
    `multiprocessing.TimeoutError` (Pool) or `concurrent.futures.TimeoutError` is raised.
    """
    # Imported here, not at the top: only the parent calls traced_map; workers skip the cost.
    import multiprocessing.pool
    from concurrent.futures import Executor

    chunksize = _arguments.optional_integer("chunksize", chunksize, minimum=1)
    _arguments.seconds("timeout", timeout, allow_zero=False, allow_none=True)
    traced = Traced(func, star=star)
    items = list(enumerate(iterable))
    if not items:
        return [], []

    if isinstance(pool, multiprocessing.pool.Pool):
        if method not in POOL_METHODS:
            raise ValueError(f"method must be one of {', '.join(POOL_METHODS)} for a Pool, got {method!r}")
        if chunksize is None:
            chunksize = _pool_default_chunksize(pool, len(items)) if method == "map" else 1
        if method == "map":
            pairs = pool.map_async(traced, items, chunksize).get(timeout)
        else:
            # With chunksize > 1, Pool.imap returns a plain generator, whose next() takes no timeout.
            # So cut the chunks here, exactly as the pool would, and send each chunk as one task:
            # the same messages, and an iterator whose next(timeout) bounds the wait.
            chunks = [items[i : i + chunksize] for i in range(0, len(items), chunksize)]
            iterator = getattr(pool, method)(_TracedChunk(traced), chunks, 1)
            deadline = None if timeout is None else time.monotonic() + timeout
            pairs = []
            for _ in chunks:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                pairs.extend(iterator.next(left))
    elif isinstance(pool, Executor):
        if method != "map":
            raise ValueError(f"method must be 'map' for an executor, got {method!r}")
        chunksize = chunksize or 1
        pairs = list(pool.map(traced, items, timeout=timeout, chunksize=chunksize))
    else:
        raise TypeError(
            "pool must be a multiprocessing Pool or a concurrent.futures Executor, "
            f"got {type(pool).__name__}; create one with mpbook.get_context().Pool(2) or "
            "ProcessPoolExecutor(2, mp_context=mpbook.get_context())."
        )

    if method == "imap_unordered":  # results came back as they finished: restore input order
        pairs.sort(key=lambda pair: pair[1].task)
    results = []
    records = []
    for result, record in pairs:
        record.chunk = record.task // chunksize  # Pool and Executor cut input into consecutive chunks
        results.append(result)
        records.append(record)
    return results, records
