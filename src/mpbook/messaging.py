"""Process, Queue and Pipe targets for chapter 02: children that talk back to their parent.

Why a module and not notebook cells: a spawned child finds its target by importing it
(see ``mpbook.workers``). And why these functions take a queue or a connection: a
``Process`` throws away what its target returns, so a child that has an answer must send
it through something the parent can read.

The producer/consumer flow the chapter builds (one None sentinel per consumer; each
consumer puts a None on the results queue when it stops):

                      tasks queue
    producer --put--> [1 2 ... 10 None None] --get--+--> consumer 1 --put--+
                                                    |                      |
                                                    +--> consumer 2 --put--+
                                                                           |
                      results queue                                        v
      parent <--get-- [(1, 1) (3, 9) None (2, 4) ... None] <---------------+

A pipe joins exactly two ends:

    parent conn <==== Pipe() ====> child conn       duplex: both ends send and recv
    receive end <---- Pipe(duplex=False) ---- send end

Every blocking call here (``get``, ``recv``) has a deadline, so a child whose parent
vanished exits with an error instead of waiting forever. Standard library only: every
spawned child imports this module.
"""

from __future__ import annotations

import signal
import sys
import time

from mpbook import _arguments

# For annotations only (postponed by the __future__ import): even `import typing` costs a
# spawned child a few milliseconds. Type checkers read this block.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "count_until_eof",
    "echo_messages",
    "exit_with_code",
    "fail_with_error",
    "ignore_sigterm_and_sleep",
    "produce_items",
    "put_payload",
    "put_square",
    "report_starting_a_child",
    "send_after",
    "send_numbers",
    "square_joinable_tasks",
    "square_until_sentinel",
]

DEFAULT_TIMEOUT_S = 30.0  # how long a child waits for its next message before giving up


_QUEUE = "a queue (with put and get)"
_CONNECTION = "a Pipe connection (with send and recv)"
_SEND_END = "a Pipe connection (with send)"  # a one-way send end counts


def _square(x: object) -> int | float:
    """Return x * x for a real number x; TypeError otherwise (the worker crashes on bad input)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"can only square numbers, got {type(x).__name__} {x!r}")
    return x * x


# --- process lifecycle -------------------------------------------------------------------


def exit_with_code(code: int | str | None) -> None:
    """Call sys.exit(code): the child's exitcode becomes code (0 for None, 1 for a message)."""
    if code is not None and not isinstance(code, (int, str)):
        raise TypeError(f"code must be an int, a str or None, got {type(code).__name__}")
    sys.exit(code)


def fail_with_error(message: str) -> None:
    """Raise RuntimeError(message): uncaught in a child, it gives exitcode 1 and a traceback on stderr."""
    if not isinstance(message, str):
        raise TypeError(f"message must be a str, got {type(message).__name__}")
    raise RuntimeError(message)


def ignore_sigterm_and_sleep(seconds: float, ready: Any) -> None:
    """Ignore SIGTERM, set the `ready` event, then sleep: terminate() cannot stop it on POSIX, kill() can.

    `ready` (a multiprocessing Event) tells the parent the handler is in place; a terminate()
    sent before that moment would still kill the child.
    """
    _arguments.seconds("seconds", seconds, allow_zero=True)
    if not callable(getattr(ready, "set", None)):
        raise TypeError(f"ready must be an Event (with set), got {type(ready).__name__}")
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(seconds)


def report_starting_a_child(results: Any) -> None:
    """Try to start a grandchild; put 'started, exitcode N' or 'ExceptionName: message' on results."""
    import multiprocessing  # here: only the child that runs this needs it

    _arguments.has("results", results, "put", "get", what=_QUEUE)
    try:
        grandchild = multiprocessing.Process(target=exit_with_code, args=(0,))
        grandchild.start()
    except AssertionError as exc:  # what a daemonic process gets
        results.put(f"{type(exc).__name__}: {exc}")
        return
    grandchild.join(timeout=DEFAULT_TIMEOUT_S)
    results.put(f"started a child, its exitcode {grandchild.exitcode}")


# --- queues --------------------------------------------------------------------------------


def produce_items(items: list, tasks: Any, n_sentinels: int) -> None:
    """Put every item on tasks, then n_sentinels None sentinels (one per consumer)."""
    if not isinstance(items, (list, tuple, range)):
        raise TypeError(f"items must be a list, tuple or range, got {type(items).__name__}")
    _arguments.has("tasks", tasks, "put", "get", what=_QUEUE)
    _arguments.integer("n_sentinels", n_sentinels, minimum=0)
    if any(item is None for item in items):
        raise ValueError("items must not contain None: None is the sentinel that means stop")
    for item in items:
        tasks.put(item)
    for _ in range(n_sentinels):
        tasks.put(None)


def square_until_sentinel(tasks: Any, results: Any, timeout: float = DEFAULT_TIMEOUT_S) -> int:
    """Put (x, x*x) on results for each x got from tasks until a None; then put one None; return the count.

    The None it puts on results tells the parent this consumer is finished. A get that waits
    longer than `timeout` raises queue.Empty, so a consumer whose producer died ends with exitcode 1.
    """
    _arguments.has("tasks", tasks, "put", "get", what=_QUEUE)
    _arguments.has("results", results, "put", "get", what=_QUEUE)
    _arguments.seconds("timeout", timeout, allow_zero=True)
    done = 0
    while True:
        item = tasks.get(timeout=timeout)
        if item is None:
            results.put(None)
            return done
        results.put((item, _square(item)))
        done += 1


def square_joinable_tasks(tasks: Any, results: Any, timeout: float = DEFAULT_TIMEOUT_S) -> int:
    """Like square_until_sentinel on a JoinableQueue: call task_done() after each item and the None; return the count.

    A non-number crashes it (TypeError) before its task_done(), so that item stays unfinished
    and tasks.join() never returns: the trap the chapter shows.
    """
    _arguments.has("tasks", tasks, "put", "get", what=_QUEUE)
    _arguments.has("results", results, "put", "get", what=_QUEUE)
    _arguments.seconds("timeout", timeout, allow_zero=True)
    if not callable(getattr(tasks, "task_done", None)):
        raise TypeError(f"tasks must be a JoinableQueue (with task_done), got {type(tasks).__name__}")
    done = 0
    while True:
        item = tasks.get(timeout=timeout)
        if item is None:
            tasks.task_done()
            return done
        results.put((item, _square(item)))
        tasks.task_done()
        done += 1


def put_payload(results: Any, n_bytes: int) -> None:
    """Put n_bytes zero bytes on results: above the pipe buffer (64 KiB on Linux), exit waits for a reader."""
    _arguments.has("results", results, "put", "get", what=_QUEUE)
    _arguments.integer("n_bytes", n_bytes, minimum=0)
    results.put(bytes(n_bytes))


def put_square(results: Any, x: int | float) -> None:
    """Put x * x on results; a non-number raises TypeError before anything is put (the child exits 1)."""
    _arguments.has("results", results, "put", "get", what=_QUEUE)
    results.put(_square(x))


# --- pipes ---------------------------------------------------------------------------------


def echo_messages(conn: Any, timeout: float = DEFAULT_TIMEOUT_S) -> int:
    """Answer each message m from conn with ('echo', m) until None or EOF; close conn; return the count.

    Waits at most `timeout` seconds for each message (TimeoutError after that).
    """
    _arguments.has("conn", conn, "send", "recv", what=_CONNECTION)
    _arguments.seconds("timeout", timeout, allow_zero=True)
    answered = 0
    try:
        while True:
            if not conn.poll(timeout):
                raise TimeoutError(f"no message for {timeout} s")
            try:
                message = conn.recv()
            except EOFError:  # the other end was closed: nobody is left to answer
                return answered
            if message is None:
                return answered
            conn.send(("echo", message))
            answered += 1
    finally:
        conn.close()


def send_numbers(conn: Any, n: int) -> None:
    """Send 0, 1, ..., n-1 on conn, then close it: the reader gets EOFError once every copy is closed."""
    _arguments.has("conn", conn, "send", what=_SEND_END)
    _arguments.integer("n", n, minimum=0)
    try:
        for number in range(n):
            conn.send(number)
    finally:
        conn.close()


def count_until_eof(
    receive_end: Any,
    results: Any,
    unused_end: Any = None,
    close_unused: bool = True,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> int:
    """Receive from receive_end until EOFError; put the number of messages on results and return it.

    `unused_end` is this child's copy of the pipe's send end, which it does not use. With
    close_unused=True it closes it first; with False it keeps it open, so EOF can never come
    and the child waits `timeout` seconds for each message, then raises TimeoutError.
    """
    _arguments.has("receive_end", receive_end, "send", "recv", what=_CONNECTION)
    _arguments.has("results", results, "put", "get", what=_QUEUE)
    if not isinstance(close_unused, bool):
        raise TypeError(f"close_unused must be a bool, got {type(close_unused).__name__}")
    _arguments.seconds("timeout", timeout, allow_zero=True)
    if unused_end is not None and close_unused:
        unused_end.close()
    received = 0
    try:
        while True:
            if not receive_end.poll(timeout):
                raise TimeoutError(f"no message and no end of file for {timeout} s")
            try:
                receive_end.recv()
            except EOFError:
                results.put(received)
                return received
            received += 1
    finally:
        receive_end.close()


def send_after(conn: Any, seconds: float, value: object) -> None:
    """Sleep `seconds`, send value on conn, then close it."""
    _arguments.has("conn", conn, "send", what=_SEND_END)
    _arguments.seconds("seconds", seconds, allow_zero=True)
    try:
        time.sleep(seconds)
        conn.send(value)
    finally:
        conn.close()
