"""ex19 · Find the hang: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Find the hang"
CHAPTER = "05-errors-and-debugging"
SECTION = "Hangs, and how to make them fail fast"
CONCEPT = "faulthandler's watchdog in a child dumps where it is stuck; read the stack, then fix the wait that never ends"
TRY = "print(run_with_watchdog(square_all_hangs, ([1, 2, 3], 4), seconds=2)[1])"
HINTS = (
    (
        "The watchdog must run in the process that hangs: in call_and_send, open dump_path for writing and "
        "arm faulthandler.dump_traceback_later(seconds, exit=True, file=that_file) BEFORE calling func; "
        "cancel it (faulthandler.cancel_dump_traceback_later()) once func has returned, then send the result."
    ),
    (
        "In run_with_watchdog, wait as ex18 does: multiprocessing.connection.wait([receive_end, child.sentinel], "
        "timeout=seconds + START_GRACE_S). A result to read (receive_end.poll()) means (recv(), ''); the child's "
        "end without one means faulthandler ended it: read dump_path. Never join() before recv(): a child "
        "sending a large result cannot exit until it has been read."
    ),
    (
        "run_with_watchdog(square_all_hangs, ([1, 2, 3], 4), seconds=2) shows the parent waiting in "
        "results.get(): for the None of a worker. How many workers did it start with 3 numbers and 4 shares, "
        "and how many None does it wait for? In square_all, count the processes you started, and give every "
        "get() and join() a timeout."
    ),
)
