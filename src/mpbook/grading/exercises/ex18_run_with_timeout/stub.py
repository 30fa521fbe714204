"""Exercise 18 · Run with a timeout (chapter 05-errors-and-debugging, section 8).

Run func(*args) in a child process and wait at most `timeout` seconds (counted from start()).
If it returned in time, return its result; if it raised, say what it raised; if it did not finish,
stop the child, terminate() first and kill() if it is still alive, and join() it, so that no
process is left behind, not even a zombie. A child that ends without sending anything (it
crashed, or was killed) is an error too, reported as soon as it is gone.

    parent --Process(run_and_send, (func, args, send_end))--> child: func(*args)
    parent <--("ok", result) or ("error", "Name: message")-- Pipe --- child
    parent: nothing within timeout --> terminate(), join(grace), kill(), join() --> ("timeout", None)

Contract: run_with_timeout(func, args, timeout) returns ("ok", result), ("error", "ValueError:
message"), ("error", "... exit code N ...") with the child's real exit code, or ("timeout", None).
The child runs run_and_send(func, args, send_end), which sends ("ok", result) or ("error",
"ExceptionName: message") on send_end. After terminate(), the child gets TERMINATE_GRACE_S to end;
every other join() waits at most REAP_TIMEOUT_S.

Learning goals: a deadline you enforce yourself; terminate() vs kill(); join() reaps a child; close().
Out of scope: pools (a pool cannot stop one task without stopping its worker).
Try it: `mpbook try ex18`. Check it: `mpbook check ex18` (in a notebook: mpbook.check("ex18")).
Stuck: `mpbook hint ex18`.
"""

import multiprocessing as mp
from multiprocessing.connection import wait

TERMINATE_GRACE_S = 1  # terminate() asks politely (SIGTERM); a child still alive after 1 s will not go
REAP_TIMEOUT_S = 5  # after kill(), or after the child ended, join() only collects its exit status


def run_and_send(func, args: tuple, send_end) -> None:
    """Run func(*args) in this child; send ("ok", result), or ("error", "ExceptionName: message") if it raises."""
    # TODO: the child: whatever func does, the parent hears about it
    raise NotImplementedError("run_and_send: run func(*args) and send the outcome on send_end")


def run_with_timeout(func, args: tuple, timeout: float) -> tuple[str, object]:
    """Return ("ok", result), ("error", description) or ("timeout", None) for func(*args) run in a child process."""
    # TODO: the parent: start the child, wait for whichever comes first, and leave no process behind
    raise NotImplementedError("run_with_timeout: start the child, wait with a deadline, stop it if needed")
