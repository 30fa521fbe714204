"""Exercise 21 · How many workers (chapter 06-optimization, section 4).

How many worker processes should a CPU-bound map use? Measure instead of guessing: run the same
map on a fresh Pool of 1 worker, of as many as this process may use (usable_cpus()), and of two and
four times that, all in one run so that every count sees the same machine, and keep the count
that was fastest, preferring fewer workers when the difference is within the noise.

    for count in candidate_counts():   [1, usable, 2 * usable, 4 * usable], capped, no repeats
        time(with Pool(count): map(func, items))  -->  timings[count]
    pick_best(timings)  -->  the fewest workers within TOLERANCE of the fastest

Learning goals: usable CPUs against os.cpu_count(); oversubscription (more workers than CPUs)
does not make CPU-bound work faster, and starting them costs; comparing measurements taken side by
side; a tie goes to the cheaper choice.
Out of scope: I/O-bound work (threads or many processes can help there, ex22); chunksize (ex13).
Contract: candidate_counts(cap=MAX_WORKERS) returns the sorted list of distinct counts among 1,
usable, 2 * usable and 4 * usable, each at most cap, where usable = usable_cpus() at the time of
the call. pick_best(timings, tolerance=TOLERANCE) returns the smallest count whose seconds are at
most the fastest's times (1 + tolerance). how_many_workers(func, items, cap=MAX_WORKERS) returns
{"timings": {count: seconds for each candidate count}, "best": pick_best(timings)}, where the
seconds cover making a Pool of that count, mapping func over items and closing it; no worker is
left running.
Try it: `mpbook try ex21`. Check it: `mpbook check ex21` (in a notebook: mpbook.check("ex21")).
Stuck: `mpbook hint ex21`.
"""

import multiprocessing as mp
import time

from mpbook import usable_cpus

MAX_WORKERS = 8  # past 8 processes a laptop shows nothing new, only a longer wait
TOLERANCE = 0.10  # timings within 10% are a tie on a laptop; then the fewer workers win
MAP_TIMEOUT_S = 300  # the checks' map takes about a second; 300 s means a pool is stuck


def candidate_counts(cap: int = MAX_WORKERS) -> list[int]:
    """Return the worker counts to try: 1, usable, 2 * usable, 4 * usable, each at most cap, distinct, ascending."""
    usable = usable_cpus()  # asked now, not at import: what this process may use, not what the machine has
    return sorted({min(count, cap) for count in (1, usable, 2 * usable, 4 * usable)})


def pick_best(timings: dict[int, float], tolerance: float = TOLERANCE) -> int:
    """Return the smallest count whose time is within `tolerance` (a fraction) of the fastest."""
    fastest = min(timings.values())
    # Not simply the fastest: within the noise, fewer workers are as good and cost less.
    return min(count for count, seconds in timings.items() if seconds <= fastest * (1 + tolerance))


def how_many_workers(func, items: list, cap: int = MAX_WORKERS) -> dict:
    """Time map(func, items) on a fresh Pool of each candidate count; return {"timings": {...}, "best": count}."""
    timings = {}
    for count in candidate_counts(cap):  # every count in this one run: they all see the same machine
        started = time.perf_counter()
        with mp.Pool(count) as pool:  # a fresh pool per count, gone before the next one starts
            pool.map_async(func, items, chunksize=1).get(timeout=MAP_TIMEOUT_S)
        timings[count] = time.perf_counter() - started
    return {"timings": timings, "best": pick_best(timings)}
