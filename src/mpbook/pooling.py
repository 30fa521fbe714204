"""Pool targets and initializers for chapter 04: per-worker setup, crashing workers, pool internals.

Why a module and not notebook cells: a spawned worker finds its function, and its
initializer, by importing them (see ``mpbook.workers``). Three kinds of target live here.

**Setup once per worker.** Some tasks need an expensive resource first: a model loaded from
disk, a database connection, a lookup table. Building it inside the task pays the cost once
per *task*; a pool's ``initializer`` runs once per *worker process*, before its first task,
and keeps the resource in a module global of that worker:

    Pool(2, initializer=load_prime_table, initargs=(limit, counter))

    parent --start--> worker 1: load_prime_table(limit, counter) -> _TABLE   (counter += 1)
           --start--> worker 2: load_prime_table(limit, counter) -> _TABLE   (counter += 1)
    parent --(start, stop)--> [ task queue ] --> worker n: count_primes_in_table(start, stop)
    parent <--count-- [ result queue ] <-- worker n      reads its own _TABLE, builds nothing

A shared ``multiprocessing.Value`` passed in ``initargs`` reaches every worker as it starts,
so the parent can count how many times the setup really ran.

**A worker that dies.** `exit_abruptly_on` ends its own process with ``os._exit``, as a
segfault in a C extension or the out-of-memory killer would: no exception, no clean-up, no
reply. `concurrent.futures.ProcessPoolExecutor` notices and raises ``BrokenProcessPool``;
`multiprocessing.Pool` replaces the worker and waits for the lost task forever.

**Tasks of a known length.** `sleep_for(seconds)` takes one argument, as ``map`` and
``imap`` pass it, and returns it: results that say which task they came from.

**What kind of process am I?** `name_process_class` reports the class a worker was started
as (``SpawnProcess``, ``ForkServerProcess``, ``ForkProcess``), which shows which start method
an executor's ``mp_context`` chose.

Standard library only, as every spawned child imports this module.
"""

from __future__ import annotations

import os
import time

from mpbook import _arguments
from mpbook.workers import is_prime  # trial division: the slow way, on purpose

__all__ = [
    "EXIT_CODE",
    "build_prime_table",
    "count_primes_building_table",
    "count_primes_in_table",
    "exit_abruptly_on",
    "load_prime_table",
    "name_process_class",
    "sleep_for",
]

# The exit status exit_abruptly_on gives its process. Not 0 (a crash is not a success) and not
# 1 (what an uncaught exception gives), so the two are easy to tell apart.
EXIT_CODE = 70

# This process's prime table, set by load_prime_table (the pool initializer). Each worker
# process has its own copy of this module, so each worker has its own table; None until loaded.
_TABLE: bytes | None = None


def build_prime_table(limit: int) -> bytes:
    """Return a table t of length limit with t[n] == 1 exactly when n is prime: costly on purpose.

    Built by trial division, about 0.1 s for limit=100_000: it stands in for any expensive
    setup (loading a model, opening a connection) that a task needs before it can start.
    """
    _arguments.integer("limit", limit, minimum=0)
    return bytes(is_prime(n) for n in range(limit))


def load_prime_table(limit: int, counter: object = None) -> None:
    """Return nothing; build this process's prime table once (a pool initializer) and count it in counter.

    Use as ``Pool(initializer=load_prime_table, initargs=(limit,))``, or with a shared
    ``multiprocessing.Value("i", 0)`` as second argument to count how many times it ran.
    """
    global _TABLE
    _arguments.integer("limit", limit, minimum=0)
    if counter is not None and not (hasattr(counter, "get_lock") and hasattr(counter, "value")):
        raise TypeError(
            f"counter must be a shared multiprocessing.Value such as Value('i', 0), got {type(counter).__name__}"
        )
    _TABLE = build_prime_table(limit)
    if counter is not None:
        with counter.get_lock():  # += on a Value is a read and a write: not atomic without the lock
            counter.value += 1


def count_primes_in_table(start: int, stop: int) -> int:
    """Return how many primes lie in range(start, stop), read from the table load_prime_table built here."""
    _arguments.index_range(start, stop)
    if _TABLE is None:
        raise RuntimeError(
            f"process {os.getpid()} has no prime table: run load_prime_table(limit) first, "
            "e.g. Pool(initializer=load_prime_table, initargs=(limit,))"
        )
    if stop > len(_TABLE):
        raise ValueError(f"stop={stop} is beyond the table, which covers range(0, {len(_TABLE)})")
    return sum(_TABLE[start:stop])


def count_primes_building_table(start: int, stop: int, limit: int) -> int:
    """Return how many primes lie in range(start, stop), building a whole table for this one call.

    The same answer as count_primes_in_table, but the setup is paid on every task:
    the pattern a pool initializer exists to avoid.
    """
    _arguments.index_range(start, stop)
    _arguments.integer("limit", limit, minimum=0)
    if stop > limit:
        raise ValueError(f"stop={stop} is beyond the table, which covers range(0, {limit})")
    return sum(build_prime_table(limit)[start:stop])


def exit_abruptly_on(x: object, doomed: object) -> object:
    """Return x, except when x == doomed: then end this process at once with os._exit(EXIT_CODE).

    os._exit skips everything a normal exit does (no exception, no finally blocks, no
    reply to the pool), as when a worker is killed by a crash or by the out-of-memory killer.
    Call it in a pool worker, never in your own process: it would end the notebook's kernel.
    """
    if x == doomed:
        os._exit(EXIT_CODE)
    return x


def name_process_class() -> str:
    """Return the class name of this process's multiprocessing object, e.g. "SpawnProcess".

    A worker started from an explicit context is a SpawnProcess, ForkServerProcess or
    ForkProcess, so this tells which start method created it. The notebook's own process
    answers "_MainProcess".
    """
    import multiprocessing  # here, not at the top: only this function needs it

    return type(multiprocessing.current_process()).__name__


def sleep_for(seconds: float) -> float:
    """Return seconds, after sleeping that long: a one-argument task of known length for map and imap."""
    _arguments.seconds("seconds", seconds, allow_zero=True)
    time.sleep(seconds)
    return seconds
