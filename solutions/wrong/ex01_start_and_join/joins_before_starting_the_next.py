# breaks: every process starts before any is joined, so they run at the same time — caught by test_processes_run_at_the_same_time
"""Exercise 01 · Start and join (chapter 01-basics, section 3).

Start one process per duration, each running mpbook.workers.sleep_and_return(duration), so that
they all run at the same time. Wait for every one of them, then return their exit codes in the
order of `durations`.

    parent --start()--> process 1: sleep_and_return(0.2) --+
           --start()--> process 2: sleep_and_return(0.2) --+--> all running at once
    parent --join()---> each of them, then [exit code, exit code, ...]

Contract: start_and_join(durations) returns one exit code per duration, in order: 0 for a process
whose task returned, 1 for one whose task raised (sleep_and_return(-1) raises ValueError). No
durations: [], and no process. Each join() waits at most JOIN_TIMEOUT_S.

Learning goals: start() returns at once, join(timeout) waits, exitcode says how a process ended.
Out of scope: getting return values back from a process (that needs a queue: ex04).
Try it: `mpbook try ex01`. Check it: `mpbook check ex01` (in a notebook: mpbook.check("ex01")).
Stuck: `mpbook hint ex01`.
"""

import multiprocessing as mp

from mpbook.workers import sleep_and_return

JOIN_TIMEOUT_S = 30  # the longest duration a check uses is 1 s; 30 s leaves room for a slow start


def start_and_join(durations: list[float]) -> list[int]:
    """Return the exit codes of processes that each slept one of `durations`, run in parallel."""
    processes = [mp.Process(target=sleep_and_return, args=(duration,)) for duration in durations]
    for process in processes:
        process.start()
        process.join(timeout=JOIN_TIMEOUT_S)  # wrong: waits for this one before starting the next
    return [process.exitcode for process in processes]  # read after join(): None would mean still running
