"""What ex01's checks can only see from inside the learner's process: the timeout of every join().

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote this probe could
fake its answer; that earns at most the one point of test_each_join_has_a_timeout, and only for
code that also starts, and waits for, the right processes, which the trusted side sees for itself.
"""

from __future__ import annotations

from multiprocessing.process import BaseProcess


def joins(module, durations):
    """Call module.start_and_join(durations); return what it returned and how each process was joined."""
    started, joined = [], []
    original_start, original_join = BaseProcess.start, BaseProcess.join

    def start(self):
        started.append(self)
        return original_start(self)

    def join(self, timeout=None):
        joined.append((id(self), timeout))
        return original_join(self, timeout)

    BaseProcess.start, BaseProcess.join = start, join
    try:
        got = module.start_and_join(durations)
    finally:
        BaseProcess.start, BaseProcess.join = original_start, original_join
    for process in started:  # whatever was left running, so the trusted side's next call starts clean
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
    ids = {key for key, _timeout in joined}
    return {
        "got": got,
        "without_timeout": sum(timeout is None for _key, timeout in joined),
        "never_joined": [process.pid for process in started if id(process) not in ids],
    }
