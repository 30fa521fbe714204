# breaks: the ranges are counted in the pool's workers — caught by test_work_runs_in_the_workers
"""Exercise 11 · Counting primes on a Pool (chapter 04-pool, section 1).

Count the primes below `stop` on a pool of `workers` processes: cut range(stop) into `chunks`
consecutive ranges, count each range with mpbook.workers.count_primes(start, stop) in a worker,
and add up the counts. The answer must equal the serial count_primes(0, stop), and on two CPUs
it must come clearly faster than the serial count.

    parent --(0, a) (a, b) ... (y, stop)--> pool workers: count_primes(start, stop)
    parent <--one count per range-- pool workers;  parent: sum(counts)

Contract: count_primes_parallel(stop, workers=2, chunks=8) returns count_primes(0, stop), the
counting done by a pool of `workers` processes, whose results are waited for at most
RESULT_TIMEOUT_S. Any stop >= 0 and any chunks >= 1 work, even more chunks than numbers.

Learning goals: cutting work into tasks without gaps or overlaps; starmap_async with a timeout;
why higher ranges cost more, and how several chunks per worker even out the load.
Out of scope: writing the prime test yourself (count_primes does it); threads (the GIL serialises them).
Try it: `mpbook try ex11`. Check it: `mpbook check ex11` (in a notebook: mpbook.check("ex11")).
Stuck: `mpbook hint ex11`.
"""

import multiprocessing as mp

from mpbook.workers import count_primes

RESULT_TIMEOUT_S = 120  # the checks' biggest count is about 1 s of work; 120 s is a very busy machine


def count_primes_parallel(stop: int, workers: int = 2, chunks: int = 8) -> int:
    """Return how many primes lie in range(stop), counted by a pool of `workers` processes over `chunks` ranges."""
    if workers < 1 or chunks < 1:
        raise ValueError(f"workers and chunks must be at least 1, got workers={workers}, chunks={chunks}")
    # Integer bounds: each range ends where the next begins, and the last one ends at stop.
    bounds = [stop * k // chunks for k in range(chunks + 1)]
    ranges = [(bounds[k], bounds[k + 1]) for k in range(chunks)]
    with mp.Pool(processes=workers) as _pool:
        # chunksize=1: one range per message, so a free worker takes the next range (the high ones cost more)
        counts = [count_primes(a, b) for a, b in ranges]  # wrong: counted here, next to an idle pool
    return sum(counts)
