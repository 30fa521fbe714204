"""What ex04's checks can only do inside the learner's process: hand put_squares a queue, change GET_TIMEOUT_S.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote these probes could
fake their answers: that earns at most test_put_squares_sends_the_filler and
test_gives_up_when_a_worker_dies (1 point each). Whether every worker was joined is judged from
the trusted side too (a worker never joined stays a zombie in the learner's process tree), so a
faked `never_waited_for` earns nothing under spawn and fork.

SlowInt is not a probe: it is a number the checks hand parallel_squares so that each worker lives
long enough (SLOW_S a square) for the trusted side to see it in the process tree.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import time

from mpbook.grading import probing
from mpbook.practice import DiesWhenUsed

DIES = "DiesWhenUsed()"  # in a probe's numbers: stands for a DiesWhenUsed made here, in the learner's process
SLOW_S = 0.1


class SlowInt(int):
    """An int that takes SLOW_S to multiply: a worker that squares one lives long enough to be seen."""

    def __mul__(self, other):
        time.sleep(SLOW_S)
        return int(self) * other

    def __rmul__(self, other):
        time.sleep(SLOW_S)
        return other * int(self)

    def __repr__(self) -> str:
        return repr(int(self))


def put_squares(module, chunk, padding, count, timeout_s):
    """Call module.put_squares(chunk, results, padding) with a new queue; return up to `count` items it put there."""
    results = multiprocessing.Queue()
    module.put_squares(chunk, results, padding)
    got = []
    with contextlib.suppress(queue.Empty):
        for _ in range(count):
            got.append(results.get(timeout=timeout_s))
    results.close()
    results.join_thread()
    return got


def with_get_timeout(module, seconds, numbers, **kwargs):
    """Call module.parallel_squares(numbers, **kwargs) with GET_TIMEOUT_S = seconds, each DIES a DiesWhenUsed.

    Return ("returned", value) or ("raised", "module.QualifiedName", message): the trusted side tells
    queue.Empty from any other exception by its full name.
    """
    numbers = [DiesWhenUsed() if number == DIES else number for number in numbers]
    try:
        with probing.replaced(module, GET_TIMEOUT_S=seconds):
            return ("returned", module.parallel_squares(numbers, **kwargs))
    except Exception as exc:  # noqa: BLE001 - what was raised is the answer (the stub's NotImplementedError too)
        kind = type(exc)
        return ("raised", f"{kind.__module__}.{kind.__qualname__}", str(exc))
    finally:
        probing.stop_children()  # a worker left waiting


def joins(module, numbers, **kwargs):
    """Call module.parallel_squares(numbers, **kwargs); return what it returned and the workers never waited for.

    A process is waited for when join(), is_alive() or exitcode saw it end (multiprocessing then
    notes its return code); one never waited for is a zombie or still running.
    """
    from multiprocessing.process import BaseProcess

    started = []
    original = BaseProcess.start

    def start(self):
        started.append(self)
        return original(self)

    BaseProcess.start = start
    try:
        got = module.parallel_squares(numbers, **kwargs)
    finally:
        BaseProcess.start = original
    never = [
        process.pid
        for process in started
        if getattr(process, "_popen", None) is not None and process._popen.returncode is None
    ]
    return {"got": got, "never_waited_for": never}
