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
import multiprocessing

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
    saved = getattr(module, "RESULT_TIMEOUT_S", None), getattr(module, "count_primes", None)
    module.RESULT_TIMEOUT_S = seconds
    module.count_primes = functools.partial(compute_with, DiesWhenUsed())  # made here: dies in a worker
    try:
        return ("returned", module.count_primes_parallel(stop))
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - what was raised is the answer
        kind = type(exc)
        return ("raised", f"{kind.__module__}.{kind.__qualname__}", str(exc))
    finally:
        module.RESULT_TIMEOUT_S, module.count_primes = saved
        for child in multiprocessing.active_children():  # a pool left waiting, so the next call starts clean
            child.terminate()
            child.join(timeout=5)
