# breaks: results are waited for at most RESULT_TIMEOUT_S — caught by test_gives_up_when_the_results_are_late
"""Exercise 14 · Set up once per worker (chapter 04-pool, section 6).

count_with_table returns, for each (start, stop) in ranges, how many primes lie in
range(start, stop), counted by a pool of `workers` processes that look them up in a prime table.
Building the table is the expensive part (about 0.1 s, like loading a model or opening a
connection): build it once in each worker, with the pool's initializer, not once per task, and
not in the parent (a parent-made table would travel to the workers with every task).

    pool of `workers`, initializer=load_table, initargs=(build_table, LIMIT)
    worker 1: load_table(...) -> _TABLE    worker 2: load_table(...) -> _TABLE    (once each, at start)
    parent --(start, stop)--> worker: count_in_table(start, stop) reads _TABLE --count--> parent

Contract: count_with_table(ranges, workers=2, build_table=build_prime_table) returns one count per
range, in order ([] for no ranges), waiting at most RESULT_TIMEOUT_S. The table is made by calling
build_table(LIMIT), with the build_table it is given (the checks hand you one that counts its
calls): at most once per worker, never in the parent. load_table(build_table, limit) builds this
worker's table and keeps it in the module global _TABLE, where t[n] == 1 when n is prime;
count_in_table(start, stop) reads it.

Learning goals: initializer and initargs; a module global holds what each worker set up.
Out of scope: sharing one table between workers (that is shared memory, chapter 03).
Try it: `mpbook try ex14`. Check it: `mpbook check ex14` (in a notebook: mpbook.check("ex14")).
Stuck: `mpbook hint ex14`.
"""

from concurrent.futures import ProcessPoolExecutor

from mpbook.pooling import build_prime_table

LIMIT = 100_000  # the table covers range(0, LIMIT); every (start, stop) lies inside it
RESULT_TIMEOUT_S = 60  # two table builds and a few lookups take well under a second; 60 s means stuck

# This worker's table, set by load_table; each worker process has its own copy of this module.
_TABLE = None


def load_table(build_table, limit: int) -> None:
    """Build this worker's prime table with build_table(limit) and keep it in _TABLE (a pool initializer)."""
    global _TABLE
    _TABLE = build_table(limit)  # once per worker: every later task in this process reads it


def count_in_table(start: int, stop: int) -> int:
    """Return how many primes lie in range(start, stop), read from this worker's _TABLE (t[n] == 1 when n is prime)."""
    return sum(_TABLE[start:stop])  # a lookup: the expensive part was done by the initializer


def count_with_table(
    ranges: list[tuple[int, int]], workers: int = 2, build_table=build_prime_table
) -> list[int]:
    """Return the number of primes in each (start, stop) of ranges, counted by `workers` processes with a table each."""
    # The initializer runs once in each worker as it starts, with initargs as its arguments.
    with ProcessPoolExecutor(workers, initializer=load_table, initargs=(build_table, LIMIT)) as executor:
        starts = [start for start, _ in ranges]
        stops = [stop for _, stop in ranges]
        return list(executor.map(count_in_table, starts, stops))  # wrong: waits however long
