"""What ex11's checks can only see from inside the learner's process: how many processes a small count starts.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. A pool counting the primes below 10 000 can start,
count and end in a few ms under fork, too soon for the process tree's watch to see every worker, so
its starts are counted here. Code of the learner's that rewrote this probe could fake that count;
that earns at most the one point of test_any_number_of_chunks_and_workers, and only for code whose
counts are right, that the trusted side never sees start more than `workers` processes, and whose
bigger counts the trusted side sees run in two workers, at the same time.

with_lost_results puts a stand-in that kills its worker in place of count_primes and shortens
RESULT_TIMEOUT_S. Code that rewrote it could report the TimeoutError a right answer raises: that
earns the one point of test_gives_up_when_the_results_never_come, and nothing else.
"""

from __future__ import annotations

import functools

from mpbook.grading import probing
from mpbook.grading.checking import counting_process_starts
from mpbook.practice import DiesWhenUsed, compute_with


def starts(module, stop: int, workers: int, chunks: int) -> dict:
    """Call module.count_primes_parallel(stop, workers=workers, chunks=chunks); return what it returned and how
    many processes it started."""
    with counting_process_starts() as started:
        got = module.count_primes_parallel(stop, workers=workers, chunks=chunks)
    return {"got": got, "started": len(started)}


def with_lost_results(module, seconds: float, stop: int) -> tuple:
    """Call module.count_primes_parallel(stop) with RESULT_TIMEOUT_S = seconds and count_primes killing its worker.

    Return ("returned", value) or ("raised", "module.QualifiedName", message): the trusted side tells
    multiprocessing.TimeoutError from any other exception by its full name.
    """
    dies = functools.partial(compute_with, DiesWhenUsed())  # made here: dies in a worker
    try:
        with probing.replaced(module, RESULT_TIMEOUT_S=seconds, count_primes=dies):
            return probing.outcome(module.count_primes_parallel, stop)
    finally:
        probing.stop_children()
