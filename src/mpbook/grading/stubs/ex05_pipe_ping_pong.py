"""Exercise 05 · Ping-pong over a Pipe (chapter 02-process-queue-pipe, sections 11 and 12).

Play n round trips with a child over a Pipe: the parent sends 0, the child answers with the
number plus one, and the parent sends each answer back, n times. Then the parent closes its end;
the child's recv() raises EOFError, and the child closes its end and returns, so it exits with 0.
Return (the answers the parent received, the child's exit code).

    parent_end <==== Pipe() ====> child_end (in the child)
       0 -->      <-- 1      1 -->      <-- 2   ...   close --> EOFError, exit 0

Learning goals: poll() before recv(); EOFError comes only when every copy of the other end is closed.
Out of scope: several children (section 14's connection.wait).
Check your work: `mpbook check ex05`, or check("ex05") in a notebook.
"""

import multiprocessing as mp  # noqa: F401 -- ping_pong() needs it once you write it
from multiprocessing.connection import Connection

POLL_TIMEOUT_S = 30  # the other side answers in microseconds; 30 s of silence means it is gone
JOIN_TIMEOUT_S = 5  # a child that saw EOF exits at once; still running after 5 s, it never will


def reply_until_eof(conn: Connection, unused_end: Connection) -> None:
    """Answer each number received on conn with that number plus one, until EOFError; then close conn."""
    # TODO: unused_end is the child's copy of the parent's end. What must happen to it, and when?
    # TODO: loop: poll(POLL_TIMEOUT_S) (raise TimeoutError if it returns False), then recv() and send(number + 1)
    # TODO: when recv() raises EOFError, stop and return normally; close conn whatever happens (try/finally)
    raise NotImplementedError("reply_until_eof: answer each number with number + 1 until EOFError")


def ping_pong(n: int) -> tuple[list[int], int | None]:
    """Play n round trips with a reply_until_eof child; return (the answers received, the child's exit code)."""
    # TODO: parent_end, child_end = mp.Pipe(); start mp.Process(target=reply_until_eof, args=(child_end, parent_end))
    # TODO: close the parent's copy of child_end right after start()
    # TODO: n times: send the number (0 first, then the last answer), poll(POLL_TIMEOUT_S), recv() the answer
    # TODO: close parent_end, then join the child (timeout=JOIN_TIMEOUT_S)
    # TODO: if it is still alive, terminate() it and join again; return (answers, child.exitcode)
    raise NotImplementedError("ping_pong: start the child, play n round trips, close your end, join")
