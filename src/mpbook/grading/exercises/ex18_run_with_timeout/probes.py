"""What ex18's checks can only see from inside the learner's process: the children it started, joined, closed.

Only a process's parent can collect its exit code (waitpid), and only the learner's process sees its
own start(), join() and close() calls; an Event the child sets must be made where the child is started.
So this probe runs run_with_timeout with spies on those calls and returns plain data that checks.py,
in the trusted process, judges. It never reaps a child itself: whether a child is still running or
a zombie is seen from the trusted side, by its pid, after the call returned.

Code of the learner's that rewrote this probe could fake the exit codes and the join() record; that
earns little: the trusted side times every call, and sees for itself, through the process tree,
whether each child is still running or a zombie, and whether any process was left behind.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
from multiprocessing.process import BaseProcess


def popen(process: BaseProcess):
    """Return multiprocessing's Popen object of process: None before start() and after close()."""
    return process._popen  # type: ignore[attr-defined]  # a private attribute, which typeshed does not list


class Watched:
    """A process the learner's code started."""

    def __init__(self, process: BaseProcess, pid: int) -> None:
        self.process, self.pid, self.closed_exitcode = process, pid, None
        self.reaped = False  # set once join() returned after the end, or close() succeeded

    def exitcode(self) -> int | None:
        """Return the exit code once the process was waited for (None before): never reaps it here."""
        if popen(self.process) is None:
            return self.closed_exitcode
        return popen(self.process).returncode


@contextlib.contextmanager
def watching_processes():
    """Record every Process started while the block runs: its pid, whether it was joined, its exit code if close()d.

    Yields a list of Watched; close() makes a Process unreadable, so its exit code is kept just before.
    Under forkserver the child is the fork server's, which reaps it: no zombie shows there, so whether
    join() (or close(), which requires the end) was called is recorded too.
    """
    seen = []
    original_start, original_close, original_join = BaseProcess.start, BaseProcess.close, BaseProcess.join

    def start(self):
        result = original_start(self)
        seen.append(Watched(self, self.pid))
        return result

    def close(self):
        for watched in seen:
            if watched.process is self and popen(self) is not None:
                watched.closed_exitcode = popen(self).poll()
        result = original_close(self)
        for watched in seen:
            if watched.process is self:
                watched.reaped = True  # close() raises unless the process has ended and been waited for
        return result

    def join(self, timeout=None):
        result = original_join(self, timeout)
        for watched in seen:
            if watched.process is self and popen(self) is not None and popen(self).poll() is not None:
                watched.reaped = True
        return result

    BaseProcess.start, BaseProcess.close, BaseProcess.join = start, close, join
    try:
        yield seen
    finally:
        BaseProcess.start, BaseProcess.close, BaseProcess.join = original_start, original_close, original_join


def run(module, func, args: tuple, timeout: float, with_ready: bool = False) -> dict:
    """Call module.run_with_timeout(func, args, timeout), watching the children it starts.

    With with_ready, an Event made here is added to args (the child sets it once it ignores SIGTERM).
    Returns what it returned; each child's pid, whether it was joined after its end, and its exit code
    if it was waited for; and whether the Event was set.
    """
    ready = mp.Event() if with_ready else None
    with watching_processes() as seen:
        got = module.run_with_timeout(func, (*args, ready) if with_ready else args, timeout)
    return {
        "got": got,
        "children": [
            {"pid": watched.pid, "reaped": watched.reaped, "exitcode": watched.exitcode()} for watched in seen
        ],
        "ready": ready is not None and ready.is_set(),
    }
