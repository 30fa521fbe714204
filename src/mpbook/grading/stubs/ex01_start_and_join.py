"""Exercise 01 · Start and join (chapter 01-basics, section 4).

Start one process per duration, each running mpbook.workers.sleep_and_return(duration), so
that they all run at the same time. Wait for every one of them, then return their exit codes
in the order of `durations`.

Learning goals: start() returns at once, join(timeout) waits, exitcode says how a process ended.
Out of scope: getting return values back from a process (that needs a queue: ex03).
Check your work: `mpbook check ex01`, or check("ex01") in a notebook.
"""

JOIN_TIMEOUT_S = 30  # the longest duration a check uses is 1 s; 30 s leaves room for a slow start


def start_and_join(durations: list[float]) -> list[int]:
    """Return the exit codes of processes that each slept one of `durations`, run in parallel."""
    # TODO: make one mp.Process per duration, with target=sleep_and_return and args=(duration,)
    # TODO: start them all, then join each one with timeout=JOIN_TIMEOUT_S
    # TODO: return their exit codes, in the order of durations
    raise NotImplementedError("start_and_join: start the processes, join them, return their exit codes")
