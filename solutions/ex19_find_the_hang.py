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
    with open(dump_path, "w") as dump:
        # The watchdog is a C thread of THIS process: it writes the stacks even while func is stuck.
        faulthandler.dump_traceback_later(seconds, exit=True, file=dump)
        try:
            result = func(*args)
        finally:
            faulthandler.cancel_dump_traceback_later()  # returned in time: no dump, no exit
    send_end.send(result)
    send_end.close()


def run_with_watchdog(func, args: tuple = (), seconds: float = WATCHDOG_S) -> tuple[object, str]:
    """Return (func(*args), "") if it returns within `seconds` in a child process, else (None, the child's stack dump)."""
    with tempfile.TemporaryDirectory(prefix="watchdog-") as scratch:
        dump_path = os.path.join(scratch, "stacks.txt")
        receive_end, send_end = mp.Pipe(duplex=False)
        child = mp.Process(target=call_and_send, args=(func, args, seconds, dump_path, send_end))
        child.start()
        send_end.close()  # the child's copy is the only one left
        try:
            # A result, or the child's end (faulthandler exits it after the dump), whichever comes first.
            wait([receive_end, child.sentinel], timeout=seconds + START_GRACE_S)
            if receive_end.poll():
                try:
                    return receive_end.recv(), ""  # read before join(): a large result must drain first
                except EOFError:
                    pass  # the child ended without sending: the watchdog ended it
        finally:
            if child.is_alive():
                child.kill()  # not even started within START_GRACE_S: do not leave it behind
            child.join(timeout=START_GRACE_S)
            receive_end.close()
        with open(dump_path) as dump:
            return None, dump.read()


def square_all(numbers: list, workers: int = 2) -> list:
    """Return [x * x for x in numbers], computed by `workers` processes, for any numbers and workers, never hanging."""
    results = mp.Queue()
    shares = [list(enumerate(numbers))[k::workers] for k in range(workers)]
    processes = [mp.Process(target=square_share, args=(share, results)) for share in shares if share]
    for process in processes:
        process.start()
    squares = [None] * len(numbers)
    finished = 0
    # The fix: one None per process STARTED. With fewer numbers than workers, some shares are empty and
    # get no process, so waiting for `workers` of them waited forever in results.get().
    while finished < len(processes):
        message = results.get(timeout=TIMEOUT_S)  # and a timeout on every wait
        if message is None:
            finished += 1
        else:
            index, square = message
            squares[index] = square
    for process in processes:
        process.join(timeout=TIMEOUT_S)
    return squares
