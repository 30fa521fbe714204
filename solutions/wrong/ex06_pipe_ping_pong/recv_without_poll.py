# breaks: every wait for an answer ends after POLL_TIMEOUT_S — caught by test_gives_up_on_a_silent_child
"""Exercise 06 · Ping-pong over a Pipe (chapter 02-process-queue-pipe, section 5).

Play n round trips with a child over a Pipe: the parent sends 0, the child answers with the
number plus one, and the parent sends each answer back, n times. Then the parent closes its end;
the child's recv() raises EOFError, and the child closes its end and returns, so it exits with 0.

    parent_end <==== Pipe() ====> child_end (in the child)
       0 -->      <-- 1      1 -->      <-- 2   ...   close --> EOFError, exit 0

Contract: ping_pong(n) returns (the n answers the parent received, the child's exit code), so
ping_pong(3) returns ([1, 2, 3], 0). The child runs reply_until_eof(conn, unused_end): conn is
its end of the pipe, unused_end the child's copy of the parent's end. Every poll() waits at most
POLL_TIMEOUT_S (then raise TimeoutError: the other side is gone), the join() at most JOIN_TIMEOUT_S.

Learning goals: poll() before recv(); EOFError comes only when every copy of the other end is closed.
Out of scope: several children (chapter 02's connection.wait).
Try it: `mpbook try ex06`. Check it: `mpbook check ex06` (in a notebook: mpbook.check("ex06")).
Stuck: `mpbook hint ex06`.
"""

import multiprocessing as mp
from multiprocessing.connection import Connection

POLL_TIMEOUT_S = 30  # the other side answers in microseconds; 30 s of silence means it is gone
JOIN_TIMEOUT_S = 5  # a child that saw EOF exits at once; still running after 5 s, it never will


def reply_until_eof(conn: Connection, unused_end: Connection) -> None:
    """Answer each number received on conn with that number plus one, until EOFError; then close conn."""
    # Under fork the child inherits a copy of the parent's end: while it is open, EOF never comes.
    unused_end.close()
    try:
        while True:
            if not conn.poll(POLL_TIMEOUT_S):
                raise TimeoutError(f"no message and no end of file for {POLL_TIMEOUT_S} s")
            try:
                number = conn.recv()
            except EOFError:  # the parent closed its end: the game is over
                return
            conn.send(number + 1)
    finally:
        conn.close()


def ping_pong(n: int) -> tuple[list[int], int | None]:
    """Play n round trips with a reply_until_eof child; return (the answers received, the child's exit code)."""
    parent_end, child_end = mp.Pipe()
    child = mp.Process(target=reply_until_eof, args=(child_end, parent_end))
    child.start()
    child_end.close()  # the child has its own copy; ours would only hide the child's death from us
    answers = []
    number = 0
    for _ in range(n):
        parent_end.send(number)
        number = parent_end.recv()  # wrong: no poll() first, so a silent child hangs the parent
        answers.append(number)
    parent_end.close()  # the child's recv() now raises EOFError
    child.join(timeout=JOIN_TIMEOUT_S)
    if child.is_alive():  # it never saw EOF: stop it, so no process is left behind
        child.terminate()
        child.join(timeout=JOIN_TIMEOUT_S)
    return answers, child.exitcode
