"""Targets for chapter 05: tasks that fail on purpose, and the worker set-up that helps debug them.

Why a module and not notebook cells: a spawned worker finds its task, and its initializer,
by importing them (see ``mpbook.workers``). A chapter about failures needs the failures to
come from real workers, reported the way your own code's would be.

**Tasks that fail.** `take_reciprocal(0)` raises ``ZeroDivisionError`` inside a worker, and
the pool re-raises it in the parent with the worker's traceback attached. `kill_own_worker`
ends its process with SIGKILL, as the out-of-memory killer or a crash in a C extension would:
no exception and no reply. `wait_on_held_lock` blocks the way a deadlock does, long enough
for ``faulthandler`` to show where.

**Ctrl-C.** Pressing Ctrl-C in a terminal, or interrupting a Jupyter kernel, sends SIGINT to
the whole process group, so every pool worker gets a ``KeyboardInterrupt`` too. The
`ignore_sigint` initializer makes workers ignore it, and leaves the parent to stop them.

**Logging from workers.** A worker's log records cannot reach the parent's handlers directly
(the parent's handlers live in the parent), so `log_to_queue` sends them through a queue:

    worker 1: logger.info(...) --QueueHandler--+
                                               +--> [ multiprocessing.Queue ] --> QueueListener
    worker 2: logger.info(...) --QueueHandler--+        (parent thread) --> the parent's handlers

Standard library only, as every spawned child imports this module.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import os
import signal
import sys
import threading

from mpbook import _arguments

# For annotations only (postponed by the __future__ import): even `import typing` costs a
# spawned child a few milliseconds. Type checkers read this block.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "WORKER_LOGGER",
    "describe_argument",
    "dump_stacks_after",
    "ignore_sigint",
    "kill_own_worker",
    "log_to_queue",
    "raise_to_power",
    "report_ready",
    "square_and_log",
    "take_reciprocal",
    "wait_on_held_lock",
]

WORKER_LOGGER = "mpbook.worker"  # the logger square_and_log writes to


# --- tasks that fail --------------------------------------------------------------------------


def take_reciprocal(x: int | float) -> float:
    """Return 1 / x: a task that raises ZeroDivisionError for 0, as real code does."""
    _arguments.number("x", x)
    return 1 / x


def raise_to_power(x: int | float, exponent: int | float) -> int | float:
    """Return x ** exponent; functools.partial(raise_to_power, exponent=3) is a picklable cube."""
    _arguments.number("x", x)
    _arguments.number("exponent", exponent)
    return x**exponent


def describe_argument(value: object) -> str:
    """Return the type name of value: a task whose only job is to receive its argument."""
    return type(value).__name__


def kill_own_worker(x: object, doomed: object) -> object:
    """Return x, except when x == doomed: then kill this process with SIGKILL, leaving no reply.

    That is how a worker ends when the out-of-memory killer picks it. On Windows, where there is
    no SIGKILL, os.kill terminates the process just as abruptly. Call it in a pool worker,
    never in your own process: it would end the notebook's kernel.
    """
    if x == doomed:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
    return x


def wait_on_held_lock(seconds: float) -> bool:
    """Take a lock, then wait up to `seconds` to take it again; return False (it never comes).

    A deadlock in miniature, with a time limit: a worker running it looks hung for `seconds`,
    which is long enough for faulthandler to show where it waits.
    """
    _arguments.seconds("seconds", seconds, allow_zero=False, allow_infinite=False)
    lock = threading.Lock()
    lock.acquire()
    return lock.acquire(timeout=seconds)  # <- a hung worker waits here


# --- worker set-up (pool initializers) ----------------------------------------------------------


def ignore_sigint() -> None:
    """Make this process ignore SIGINT (Ctrl-C): use as a pool initializer; the parent decides when to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def report_ready(ready: Any, ignore_interrupts: bool = False) -> None:
    """Optionally ignore SIGINT, then put this process's pid on the `ready` queue (a pool initializer)."""
    _arguments.has("ready", ready, "put", what="a queue (with put)")
    if not isinstance(ignore_interrupts, bool):
        raise TypeError(f"ignore_interrupts must be a bool, got {type(ignore_interrupts).__name__}")
    if ignore_interrupts:
        ignore_sigint()
    ready.put(os.getpid())


def log_to_queue(log_queue: Any, level: int = logging.INFO) -> None:
    """Send every log record of this process to `log_queue` (a pool initializer); drop other handlers.

    Under fork a worker inherits its parent's handlers; they are removed, so each record
    travels once, through the queue, to the parent's QueueListener.
    """
    _arguments.has("log_queue", log_queue, "put", what="a queue (with put)")
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"level must be a logging level such as logging.INFO, got {level!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(log_queue))
    root.setLevel(level)


def square_and_log(x: int | float) -> int | float:
    """Return x * x, logging the task at INFO (and a WARNING for a negative x) on the mpbook.worker logger."""
    _arguments.number("x", x)
    logger = logging.getLogger(WORKER_LOGGER)
    logger.info("squaring %s", x)
    if x < 0:
        logger.warning("negative input %s: the square hides the sign", x)
    return x * x


def dump_stacks_after(seconds: float) -> None:
    """Arrange for every thread's stack to be written to stderr after `seconds` (a pool initializer).

    faulthandler writes from a C-level watchdog thread, so the dump appears even while the
    worker's Python code is stuck; it is a one-off (cancel with faulthandler.cancel_dump_traceback_later).
    """
    _arguments.seconds("seconds", seconds, allow_zero=False, allow_infinite=False)
    stream = sys.stderr
    try:
        stream.fileno()  # faulthandler needs a real file descriptor
    except (AttributeError, OSError, ValueError):
        stream = sys.__stderr__
    faulthandler.dump_traceback_later(seconds, repeat=False, file=stream)
