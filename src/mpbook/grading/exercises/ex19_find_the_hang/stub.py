"""Exercise 19 · Find the hang (chapter 05-errors-and-debugging, section 8).

square_all_hangs, below, squares numbers in worker processes, and some calls of it never return.
Do not guess: first write run_with_watchdog, which runs a function in a child process with
faulthandler's watchdog armed and, if the child is still busy after `seconds`, hands back the
stack of every thread in it. Run square_all_hangs under it, read where it waits, work out why,
and write square_all: the same function, fixed, with a timeout on every wait.

    parent --Process(call_and_send, (func, args, seconds, dump_path, send_end))--> child
    child: faulthandler.dump_traceback_later(seconds, exit=True, file=<dump_path>); send(func(*args))
    parent: wait for the result or the child's end --> (result, "") or (None, the stacks in dump_path)

Learning goals: faulthandler.dump_traceback_later, a watchdog in C that writes the stacks even
while Python is stuck; reading a stack dump; a parent waiting for a sentinel nobody sends.
Out of scope: a func that raises; dumping a process you did not start (faulthandler.register).
Contract: run_with_watchdog(func, args=(), seconds=WATCHDOG_S) returns (func(*args), "") if it
returns within `seconds`, else (None, text): text is faulthandler's dump of the child's threads,
taken at `seconds`, and the child is gone; func and args are picklable. square_all(numbers,
workers=2) returns [x * x for x in numbers], computed by worker processes, for any list and any
workers >= 1, without hanging. Leave square_all_hangs as it is: it is the exhibit.
Try it: `mpbook try ex19`. Check it: `mpbook check ex19` (in a notebook: mpbook.check("ex19")).
Stuck: `mpbook hint ex19`.
"""

import faulthandler
import multiprocessing as mp
import os
import tempfile
from multiprocessing.connection import wait

WATCHDOG_S = 10  # a default; the checks pass their own, down to one second
START_GRACE_S = 30  # a spawned child starts in well under a second; 30 s means it could not start at all
TIMEOUT_S = 60  # square_all's get() and join(): a worker squares a share in milliseconds


def square_share(pairs: list, results) -> None:
    """Put (index, x * x) on results for each (index, x) in pairs, then None: this worker is done."""
    for index, x in pairs:
        results.put((index, x * x))
    results.put(None)


def square_all_hangs(numbers: list, workers: int = 2) -> list:
    """Return [x * x for x in numbers], computed by `workers` processes. Some calls never return: find why."""
    results = mp.Queue()
    shares = [list(enumerate(numbers))[k::workers] for k in range(workers)]
    processes = [mp.Process(target=square_share, args=(share, results)) for share in shares if share]
    for process in processes:
        process.start()
    squares = [None] * len(numbers)
    finished = 0
    while finished < workers:
        message = results.get()
        if message is None:
            finished += 1
        else:
            index, square = message
            squares[index] = square
    for process in processes:
        process.join()
    return squares


def call_and_send(func, args: tuple, seconds: float, dump_path: str, send_end) -> None:
    """In the child: arm faulthandler to dump every thread to dump_path after `seconds` and exit; run func; send its result."""
    # TODO: arm the watchdog, call func(*args), disarm it, send the result
    raise NotImplementedError("call_and_send: arm faulthandler, run func, send the result")


def run_with_watchdog(func, args: tuple = (), seconds: float = WATCHDOG_S) -> tuple[object, str]:
    """Return (func(*args), "") if it returns within `seconds` in a child process, else (None, the child's stack dump)."""
    # TODO: start call_and_send in a child; wait for a result or its end; return the result or the dump
    raise NotImplementedError(
        "run_with_watchdog: run func in a child with a watchdog, return its result or its stacks"
    )


def square_all(numbers: list, workers: int = 2) -> list:
    """Return [x * x for x in numbers], computed by `workers` processes, for any numbers and workers, never hanging."""
    # TODO: square_all_hangs, fixed (find the hang with run_with_watchdog first), with a timeout on every wait
    raise NotImplementedError("square_all: copy square_all_hangs here and fix the hang")
