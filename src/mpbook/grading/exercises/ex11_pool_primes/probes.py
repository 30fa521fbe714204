"""What ex11's checks can only see from inside the learner's process: how many processes a small count starts.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. A pool counting the primes below 10 000 can start,
count and end in a few ms under fork, too soon for the process tree's watch to see every worker, so
its starts are counted here. Code of the learner's that rewrote this probe could fake that count;
that earns at most the one point of test_any_number_of_chunks_and_workers, and only for code whose
counts are right, that the trusted side never sees start more than `workers` processes, and whose
bigger counts the trusted side sees run in two workers, at the same time.
"""

from __future__ import annotations

from mpbook.grading.checking import counting_process_starts


def starts(module, stop: int, workers: int, chunks: int) -> dict:
    """Call module.count_primes_parallel(stop, workers=workers, chunks=chunks); return what it returned and how
    many processes it started."""
    with counting_process_starts() as started:
        got = module.count_primes_parallel(stop, workers=workers, chunks=chunks)
    return {"got": got, "started": len(started)}
