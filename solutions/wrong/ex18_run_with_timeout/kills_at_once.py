# breaks: terminate() first, so the child may clean up; kill() only if it is still alive — caught by test_slow_function_is_stopped_at_the_deadline
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
    try:
        outcome = ("ok", func(*args))
    except Exception as exc:  # noqa: BLE001 - any failure of func is reported to the parent
        outcome = ("error", f"{type(exc).__name__}: {exc}")
    send_end.send(outcome)
    send_end.close()


def run_with_timeout(func, args: tuple, timeout: float) -> tuple[str, object]:
    """Return ("ok", result), ("error", description) or ("timeout", None) for func(*args) run in a child process."""
    receive_end, send_end = mp.Pipe(duplex=False)
    child = mp.Process(target=run_and_send, args=(func, args, send_end))
    child.start()
    send_end.close()  # the child has its own copy; once it is gone, recv() gets EOFError instead of waiting
    # Whichever comes first: a message, the child's end (its sentinel), or the deadline ([]).
    ready = wait([receive_end, child.sentinel], timeout=timeout)
    if ready:
        try:
            outcome = receive_end.recv()  # never blocks here: there is a message, or end of file
        except EOFError:  # the child ended without sending: it crashed or was killed
            child.join(timeout=REAP_TIMEOUT_S)
            outcome = ("error", f"the child ended with exit code {child.exitcode} and sent no result")
    else:
        outcome = ("timeout", None)
        child.kill()  # SIGKILL straight away: the child gets no chance to clean up
    child.join(timeout=REAP_TIMEOUT_S)  # reaps the child: no zombie left
    child.close()
    receive_end.close()
    return outcome
