"""Exercise 13 · Run with a timeout (chapter 05-errors-and-debugging, section 6; chapter 02, section 3).

Run func(*args) in a child process and wait at most `timeout` seconds (counted from start()).
Return ("ok", result) if it returned in time, ("error", "ValueError: message") if it raised, and
("timeout", None) if it did not finish: then stop the child, terminate() first and kill() if it
is still alive, and join() it, so that no process is left behind, not even a zombie.

    parent --Process(run_and_send, (func, args, send_end))--> child: func(*args)
    parent <--("ok", result) or ("error", "Name: message")-- Pipe --- child
    parent: nothing within timeout --> terminate(), join(grace), kill(), join() --> ("timeout", None)

A child that ends without sending anything (it crashed, or was killed) is an error too, reported
as soon as it is gone: ("error", "... exit code N ..."), with its real exit code.

Learning goals: a deadline you enforce yourself; terminate() vs kill(); join() reaps a child; close().
Out of scope: pools (a pool cannot stop one task without stopping its worker).
Check your work: `mpbook check ex13`, or check("ex13") in a notebook.
"""

TERMINATE_GRACE_S = 1  # terminate() asks politely (SIGTERM); a child still alive after 1 s will not go
REAP_TIMEOUT_S = 5  # after kill(), or after the child ended, join() only collects its exit status


def run_and_send(func, args: tuple, send_end) -> None:
    """Run func(*args) in this child; send ("ok", result), or ("error", "ExceptionName: message") if it raises."""
    # TODO: call func(*args) inside try/except Exception
    # TODO: send ("ok", result) or ("error", f"{type(exc).__name__}: {exc}") on send_end, then close send_end
    raise NotImplementedError("run_and_send: run func(*args) and send the outcome on send_end")


def run_with_timeout(func, args: tuple, timeout: float) -> tuple[str, object]:
    """Return ("ok", result), ("error", description) or ("timeout", None) for func(*args) run in a child process."""
    # TODO: make a one-way pipe, receive_end, send_end = mp.Pipe(duplex=False), and start a child
    #       mp.Process(target=run_and_send, args=(func, args, send_end)); then close the parent's send_end
    # TODO: wait at most `timeout` s for a message or the child's end: multiprocessing.connection.wait(
    #       [receive_end, child.sentinel], timeout=timeout) returns [] when the time is up
    # TODO: something arrived: recv() it; EOFError means the child ended without sending (use its exitcode)
    # TODO: time is up: terminate(), join(timeout=TERMINATE_GRACE_S), kill() if still alive
    # TODO: in every case: join(timeout=REAP_TIMEOUT_S), close() the child and receive_end, return the outcome
    raise NotImplementedError("run_with_timeout: start the child, wait with a deadline, stop it if needed")
