"""What the checks of several exercises use to time a call, bound it, and see whether workers ran together.

Timing checks here compare ratios measured side by side in one test, never fixed times: a busy
machine slows both sides alike. When even a ratio cannot show the speed-up (other programs keep
every CPU busy), `RunningWorkers` says whether the worker processes at least computed at the same
time, which is what the learner's code controls.

Imported by check modules only, in the grader's child process; never by a spawned worker.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from typing import TypeVar

import psutil

SAMPLE_S = 0.05  # how often RunningWorkers looks: 20 times a second costs this process little CPU
_Workers = TypeVar("_Workers", bound="RunningWorkers")  # __enter__ returns the subclass it is called on


def timed(func, *args, **kwargs):
    """Return (func(*args, **kwargs), its wall-clock time in seconds)."""
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - started


class DidNotReturn(AssertionError):
    """The call under test was still running when its time limit ran out."""


def call_with_limit(limit_s: float, func, *args, **kwargs):
    """Return (func(*args, **kwargs), seconds taken); raise DidNotReturn if it is still running after limit_s.

    The call runs in a daemon thread of this process, so a call that hangs fails its test with a
    message instead of running into the test's deadline. (The grader kills what it left running.)
    An exception raised by the call is raised here.
    """
    outcome: dict = {}

    def run() -> None:
        started = time.perf_counter()
        try:
            outcome["result"] = func(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = exc
        outcome["seconds"] = time.perf_counter() - started

    thread = threading.Thread(target=run, name="call-under-test", daemon=True)
    thread.start()
    thread.join(timeout=limit_s)
    if thread.is_alive():
        raise DidNotReturn(f"still running after {limit_s:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], outcome["seconds"]


def load_average() -> float:
    """Return the 1-minute load average, or 0.0 where the platform has none (Windows)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


class RunningWorkers(threading.Thread):
    """Counts, every SAMPLE_S, how many of this process's descendants are running (or waiting for a CPU).

    A process that computes is runnable all the time, even on a machine so busy that it rarely gets
    a CPU; one waiting for its next task is asleep. So the counts show whether the workers computed
    at the same time, whatever else the machine is doing. (On Windows psutil reports every live
    process as running; there the timing alone decides.)
    """

    def __init__(self, root_pid: int | None = None) -> None:
        """Count the descendants of root_pid: by default this process; across the trust boundary, pass
        `learner_process().process.pid` to count the learner's process's workers."""
        super().__init__(daemon=True)
        self.halt = threading.Event()
        self.samples: list[int] = []
        self.root_pid = root_pid

    def run(self) -> None:
        me = psutil.Process(self.root_pid)
        while not self.halt.wait(SAMPLE_S):
            running = 0
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    running += child.status() == psutil.STATUS_RUNNING
            self.samples.append(running)

    def __enter__(self: _Workers) -> _Workers:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.halt.set()
        self.join(timeout=5)

    def busy(self) -> float:
        """Return the share of the samples with at least one process running."""
        return sum(running >= 1 for running in self.samples) / max(1, len(self.samples))

    def together(self) -> float:
        """Return the share of the samples with a process running that had two or more running."""
        busy = [running for running in self.samples if running >= 1]
        return sum(running >= 2 for running in busy) / len(busy) if busy else 0.0
