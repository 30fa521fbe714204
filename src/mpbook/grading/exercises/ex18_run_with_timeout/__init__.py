"""ex18 · Run with a timeout: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Run with a timeout"
CHAPTER = "05-errors-and-debugging"
SECTION = "Hangs, and how to make them fail fast"
CONCEPT = (
    "a deadline you enforce: wait for a message or the child's end, terminate() then kill(), join() reaps"
)
TRY = "run_with_timeout(mpbook.pooling.sleep_for, (0.1,), 5), run_with_timeout(mpbook.pooling.sleep_for, (5,), 0.5)"
HINTS = (
    (
        "The child sends its outcome on a one-way Pipe: ('ok', result) or ('error', 'Name: "
        "message'). The parent makes it with mp.Pipe(duplex=False) and closes its own send_end "
        "after start(), so that recv() raises EOFError once the child is gone."
    ),
    (
        "Wait for whichever comes first with multiprocessing.connection.wait([receive_end, "
        "child.sentinel], timeout=timeout): a message, the child's end, or [] when the time is "
        "up. Never join() before recv(): a child sending a large result cannot exit until it has "
        "been read."
    ),
    (
        "Time up: child.terminate(); child.join(timeout=TERMINATE_GRACE_S); if child.is_alive(): "
        "child.kill(). In every case: child.join(timeout=REAP_TIMEOUT_S) (no zombie), "
        "child.close(), receive_end.close(). EOFError from recv(): join, then return ('error', "
        "f'... exit code {child.exitcode} ...')."
    ),
)
