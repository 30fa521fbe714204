"""Targets for chapter 06: measuring what a process pool costs, and which settings pay off.

Why a module and not notebook cells: a spawned child imports its target by name (see
``mpbook.workers``), so every function chapter 06 hands to a `Process` or a pool lives here.
Each one isolates a single cost, so a measurement of it means one thing:

**Starting a process.** `do_nothing` returns at once: starting and joining a `Process` that
runs it costs only the start method's own work. `import_modules` adds the imports a heavier
worker module would make, which a spawned child pays on every start.

**Moving data.** Every argument is pickled by the parent, written to a pipe, read and
unpickled by the worker; the result travels back the same way:

    parent: pickle(args) --> [ task queue ] --> worker: unpickle, f(args), pickle(result)
    parent: unpickle(result) <-- [ result queue ] <--'

`payload_length` receives n bytes and sends back one small int, so its round trip measures
the cost of sending n bytes. For a large NumPy array there are three ways in:

    sum_array(array)              the array is pickled into every task that needs it
        parent --pickle(half of the array)--> worker: sum
    load_array / sum_loaded_rows  the array is sent once per worker, to a pool initializer
        parent --initargs=(array,)--> worker: _ARRAY = array;  parent --(start, stop)--> worker
    sum_shared_rows(ref, ...)     the array sits in shared memory; only its name travels
        parent: SharedMemory <- array --(SharedArrayRef, start, stop)--> worker: attach, sum, close

**Threads inside workers.** NumPy's matrix product runs in a BLAS library that starts its own
threads, one per CPU by default. `multiply_matrices` times products of matrices and reports
how many OS threads its process then has. `limit_blas_threads` (a pool initializer) and
`set_blas_thread_variables` (around pool creation, in the parent) set the environment
variables those libraries read, once, when they are loaded.

**CPUs.** `count_cpus` reports ``os.cpu_count()`` beside the CPUs the process may really use,
optionally after restricting its own CPU affinity (Linux).

**The recipe.** Chapter 06's advice as one map, `recipe_map` on a pool from `recipe_pool`: one
long-lived pool of the book's start method with one worker per usable CPU, created once and
reused; about four chunks per worker (`recipe_chunksize`); tasks that carry indices, not data,
with a large array in shared memory (`share_array`); a timeout on the wait. ``make bench``
(`mpbook.bench`) measures it against the peers.

Standard library only at import time: every spawned child imports this module. NumPy and
psutil are imported inside the functions that need them.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import time

from mpbook import _arguments, _processes
from mpbook.config import get_context, usable_cpus

# For annotations only (postponed by the __future__ import): `typing` and `mpbook.sharing`
# would add milliseconds to every spawned worker's start, which is what this chapter measures.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from mpbook.sharing import SharedArrayRef

__all__ = [
    "BLAS_THREAD_VARIABLES",
    "count_cpus",
    "count_threads",
    "do_nothing",
    "import_modules",
    "limit_blas_threads",
    "load_array",
    "multiply_matrices",
    "payload_length",
    "recipe_chunksize",
    "recipe_map",
    "recipe_pool",
    "set_blas_thread_variables",
    "share_array",
    "sum_array",
    "sum_loaded_rows",
    "sum_shared_rows",
]

# The environment variables that cap the threads of the usual BLAS and OpenMP libraries. Each
# library reads its variable once, when it is loaded, so setting one afterwards changes nothing.
BLAS_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",  # OpenMP, and OpenBLAS built with OpenMP
    "OPENBLAS_NUM_THREADS",  # OpenBLAS (NumPy's wheels on PyPI)
    "MKL_NUM_THREADS",  # Intel MKL (conda's NumPy)
    "VECLIB_MAXIMUM_THREADS",  # Apple Accelerate
    "NUMEXPR_NUM_THREADS",  # numexpr
)

RECIPE_CHUNKS_PER_WORKER = 4  # a few chunks per worker, each carrying several tasks (section 5)
RECIPE_TIMEOUT_S = 600.0  # the recipe's wait: far above any map of the book, short of forever

# This process's copy of the array load_array received (a pool initializer); None until then.
_ARRAY: Any = None


def _require_ndarray(name: str, value: object) -> Any:
    """Return value if it is a NumPy array; else raise TypeError."""
    import numpy as np

    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(value).__name__}")
    return value


# --- starting a process ------------------------------------------------------------------


def do_nothing() -> None:
    """Return None at once: a target whose whole cost is starting and stopping its process."""
    return None


def import_modules(*names: str) -> float:
    """Return the seconds it took to import the named modules here (0 for those already imported).

    A spawned child starts with nothing imported, so it pays for every import its target's
    module makes; this stands in for a worker module that imports NumPy at the top.
    """
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"module names must be non-empty strings, got {name!r}")
    started = time.perf_counter()
    for name in names:
        importlib.import_module(name)
    return time.perf_counter() - started


# --- moving data -------------------------------------------------------------------------


def payload_length(payload: bytes | bytearray | memoryview) -> int:
    """Return len(payload) in bytes: a task whose whole cost is receiving its argument."""
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise TypeError(f"payload must be bytes, bytearray or memoryview, got {type(payload).__name__}")
    return memoryview(payload).nbytes


def sum_array(array: Any) -> float:
    """Return the sum of a NumPy array that arrived as an argument (pickled, a copy)."""
    return float(_require_ndarray("array", array).sum())


def load_array(array: Any) -> None:
    """Return nothing; keep array as this process's data set (a pool initializer, once per worker).

    Use as ``Pool(2, initializer=load_array, initargs=(array,))``. Under spawn and forkserver
    the array is pickled once per worker, when it starts; under fork the worker inherits it.
    """
    global _ARRAY
    _ARRAY = _require_ndarray("array", array)


def sum_loaded_rows(start: int, stop: int) -> float:
    """Return the sum of rows start:stop of the array load_array kept in this process."""
    if _ARRAY is None:
        raise RuntimeError(
            f"process {os.getpid()} has no data set: run load_array(array) first, "
            "e.g. Pool(initializer=load_array, initargs=(array,))"
        )
    _arguments.index_range(start, stop, length=len(_ARRAY))
    return float(_ARRAY[start:stop].sum())


def sum_shared_rows(ref: SharedArrayRef, start: int, stop: int) -> float:
    """Return the sum of rows start:stop of the array in shared memory that ref names (no copy).

    Attaches to the block, sums through a NumPy view of it, and closes this process's mapping;
    it never unlinks the block (its creator does, once).
    """
    from multiprocessing import shared_memory

    import numpy as np

    if not isinstance(ref, tuple) or len(ref) != 3:
        raise TypeError(f"ref must be a SharedArrayRef(name, shape, dtype), got {ref!r}")
    name, shape, dtype = ref
    if not isinstance(name, str) or not name:
        raise TypeError(f"the block's name must be a non-empty str, got {name!r}")
    if not isinstance(shape, tuple) or not shape:
        raise TypeError(f"shape must be a non-empty tuple of ints, got {shape!r}")
    _arguments.index_range(start, stop, length=shape[0])
    block = shared_memory.SharedMemory(name=name)
    try:
        assert block.buf is not None  # None only once closed
        array = np.frombuffer(block.buf, dtype=dtype, count=math.prod(shape)).reshape(shape)
        total = float(array[start:stop].sum())
        del array  # close() refuses while a view still holds the buffer
    finally:
        block.close()
    return total


# --- threads inside workers --------------------------------------------------------------


def count_threads() -> int | None:
    """Return how many OS threads this process has (Python's and native ones), or None if unknown."""
    try:
        import psutil
    except ImportError:  # psutil is in requirements.txt; without it, Linux still answers
        try:
            return len(os.listdir("/proc/self/task"))
        except OSError:
            return None
    return psutil.Process().num_threads()


def multiply_matrices(size: int, repeats: int) -> tuple[float, int | None]:
    """Return (seconds, threads): the time for `repeats` products of two size x size matrices here,
    and how many OS threads this process has afterwards (the BLAS library's included).
    """
    _arguments.integer("size", size, minimum=1)
    _arguments.integer("repeats", repeats, minimum=0)
    import numpy as np

    rng = np.random.default_rng(size)
    a = rng.random((size, size))
    b = rng.random((size, size))
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return time.perf_counter() - started, count_threads()


def limit_blas_threads(threads: int) -> None:
    """Return nothing; set the BLAS thread variables to `threads` in this process (a pool initializer).

    Effective only if no BLAS library is loaded here yet, i.e. before this process imports
    NumPy: true in a spawn or forkserver worker, false in a fork worker whose parent had already
    imported NumPy. There, only a call into the loaded library helps (threadpoolctl does that).
    """
    _arguments.integer("threads", threads, minimum=1)
    for variable in BLAS_THREAD_VARIABLES:
        os.environ[variable] = str(threads)


@contextlib.contextmanager
def set_blas_thread_variables(threads: int) -> Iterator[None]:
    """Set the BLAS thread variables to `threads` in os.environ for the block, then restore them.

    For the parent, around starting a pool: a spawned child copies the parent's environment
    when it starts. A forkserver child copies the fork server's, fixed when that server started,
    and a forked child inherits NumPy already loaded if the parent had imported it.
    """
    _arguments.integer("threads", threads, minimum=1)
    saved = {variable: os.environ.get(variable) for variable in BLAS_THREAD_VARIABLES}
    try:
        for variable in BLAS_THREAD_VARIABLES:
            os.environ[variable] = str(threads)
        yield
    finally:
        for variable, value in saved.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value


# --- CPUs --------------------------------------------------------------------------------


def count_cpus(restrict_to: int | None = None) -> dict[str, int | bool | None]:
    """Return {"cpu_count", "usable", "restricted"}: os.cpu_count() beside the CPUs this process may use.

    With restrict_to=k, first limits this process to k of the CPUs it may use (Linux's
    sched_setaffinity, as ``taskset`` does); "restricted" says whether that was possible here.
    It changes the process it runs in, so it refuses to run in the main process.
    """
    import multiprocessing

    restricted = False
    if restrict_to is not None:
        _arguments.integer("restrict_to", restrict_to, minimum=1)
        if multiprocessing.parent_process() is None:
            raise RuntimeError(
                "count_cpus(restrict_to=...) changes the CPU affinity of the process it runs in: "
                "run it in a child process (a Process or a pool), not in your main process"
            )
        if hasattr(os, "sched_setaffinity"):
            allowed = sorted(os.sched_getaffinity(0))
            os.sched_setaffinity(0, allowed[:restrict_to])
            restricted = True
    return {"cpu_count": os.cpu_count(), "usable": usable_cpus(), "restricted": restricted}


# --- the recipe ----------------------------------------------------------------------------


def recipe_pool(workers: int | None = None, initializer=None, initargs: tuple = ()):
    """Return a Pool the book's way: its start method (`get_context`), one worker per usable CPU.

    Create it once, reuse it for every map, close it with a ``with`` block (chapter 06, section 6).
    """
    if workers is None:
        workers = usable_cpus()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    return get_context().Pool(workers, initializer=initializer, initargs=initargs)


def recipe_chunksize(n_items: int, workers: int) -> int:
    """Return the chunksize of the recipe: about RECIPE_CHUNKS_PER_WORKER chunks per worker, at least 1."""
    if n_items < 0 or workers < 1:
        raise ValueError(f"need n_items >= 0 and workers >= 1, got {n_items}, {workers}")
    return max(1, math.ceil(n_items / (RECIPE_CHUNKS_PER_WORKER * workers)))


def recipe_map(pool, func, items, *, star: bool = False, timeout: float = RECIPE_TIMEOUT_S) -> list:
    """Return [func(item) for item in items] (``func(*item)`` with star=True), computed the book's way.

    Chapter 06's recipe for a map: a long-lived `Pool` (`recipe_pool`) sized to the usable CPUs;
    a few chunks per worker (`recipe_chunksize`), so each message carries many tiny tasks but the
    workers still share uneven work; arguments that are indices or names (a `SharedArrayRef`
    from `share_array`), never a large array; a timeout on the wait. Results in input order.
    """
    items = list(items)
    workers = _processes.pool_size(pool) or usable_cpus()
    chunksize = recipe_chunksize(len(items), workers)
    mapper = pool.starmap_async if star else pool.map_async
    return mapper(func, items, chunksize=chunksize).get(timeout=timeout)


@contextlib.contextmanager
def share_array(array: Any) -> Iterator[SharedArrayRef]:
    """Copy a NumPy array into a new shared memory block; yield its `SharedArrayRef`; then free the block.

    The recipe's way to give many tasks a large array: one copy, whatever the tasks and workers;
    each task receives the ref (a few dozen bytes) and row indices (`sum_shared_rows`).
    """
    from multiprocessing import shared_memory

    import numpy as np

    from mpbook.sharing import SharedArrayRef

    block = shared_memory.SharedMemory(create=True, size=max(1, array.nbytes))
    try:
        assert block.buf is not None  # None only once closed
        view = np.frombuffer(block.buf, dtype=array.dtype, count=array.size).reshape(array.shape)
        view[...] = array  # the one copy
        del view  # close() refuses while a view holds the buffer
        yield SharedArrayRef(block.name, tuple(array.shape), str(array.dtype))
    finally:
        block.close()
        block.unlink()  # once, by the creator
