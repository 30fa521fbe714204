"""What ex10's checks can only see from inside the learner's process: add_line on a Manager's list and lock.

A manager's proxies cannot cross the trust boundary (they connect to a manager with their process's
key), so these probes start the Manager here, in the learner's process, call add_line with its
proxies, and return plain data that checks.py, in the trusted process, judges. Code of the learner's
that rewrote these probes could fake their answers; that earns at most the two points of
test_add_line_writes_its_counts_back and test_add_line_gives_up_on_a_held_lock, while the counting
tests call count_words directly and the contention test, worth two, sees the manager and the pool's
workers from the trusted side, through the process tree. with_lost_results puts a stand-in that
kills its worker in place of add_line and shortens RESULT_TIMEOUT_S; rewritten, it could report the
TimeoutError a right answer raises: that earns the one point of test_gives_up_when_the_results_never_come.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import time

from mpbook.grading import probing
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.practice import DiesWhenUsed, compute_with


def writes_back(module, start: list, index: int, line: str) -> dict:
    """Call module.add_line(results, lock, index, line) on a manager list holding `start`.

    Returns what the list held afterwards and whether the lock could be taken then (it was released).
    """
    with mp.Manager() as manager:
        results = manager.list(start)
        lock = manager.Lock()
        module.add_line(results, lock, index, line)
        got = results[:]
        released = lock.acquire(timeout=1)
        if released:
            lock.release()
    return {"got": got, "released": released}


def held_lock(module, lock_timeout_s: float, limit_s: float, line: str) -> dict:
    """Call module.add_line(results, lock, 0, line) with LOCK_TIMEOUT_S = lock_timeout_s while the lock is held.

    Returns how it ended: "waiting" (still running after limit_s), "raised" (and what), or "returned"
    (and what the list then held), with the seconds it took.
    """
    with mp.Manager() as manager:
        results = manager.list([{}])
        lock = manager.Lock()
        lock.acquire()
        saved = module.LOCK_TIMEOUT_S
        module.LOCK_TIMEOUT_S = lock_timeout_s
        started = time.perf_counter()
        try:
            _, seconds = call_with_limit(limit_s, module.add_line, results, lock, 0, line)
        except DidNotReturn:
            return {"outcome": "waiting", "seconds": time.perf_counter() - started}
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - giving up with an error is what is asked
            return {
                "outcome": "raised",
                "error": f"{type(exc).__name__}: {exc}",
                "seconds": time.perf_counter() - started,
            }
        finally:
            module.LOCK_TIMEOUT_S = saved
            lock.release()  # lets an add_line still waiting for it finish, before the manager stops
        got = results[:]
    return {"outcome": "returned", "got": got, "seconds": seconds}


def with_lost_results(module, seconds: float, documents: list[str], workers: int) -> tuple:
    """Call module.count_words(documents, workers) with RESULT_TIMEOUT_S = seconds and add_line killing its worker.

    Return ("returned", value) or ("raised", "module.QualifiedName", message): the trusted side tells
    multiprocessing.TimeoutError from any other exception by its full name.
    """
    dies = functools.partial(compute_with, DiesWhenUsed())  # made here: dies in a worker
    try:
        with probing.replaced(module, RESULT_TIMEOUT_S=seconds, add_line=dies):
            return probing.outcome(module.count_words, documents, workers)
    finally:
        probing.stop_children()  # a pool or manager left waiting
