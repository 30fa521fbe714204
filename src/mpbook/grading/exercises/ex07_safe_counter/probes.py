"""What ex07's checks can only see from inside the learner's process: its starts and joins, and a Value.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote this probe could
fake its answers; that earns at most the three points of the tests that use it
(test_add_increments_is_safe_on_its_own, test_every_worker_is_joined_with_a_timeout,
test_the_work_happens_in_worker_processes), while the contention test, worth two, counts the
workers and their overlap from the trusted side, through the process tree, and needs the exact
count from four processes adding at once.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.process import BaseProcess

JOIN_TIMEOUT_S = 60  # 4 x 100 000 locked increments take about a second; 60 s is a very busy machine


def run_add_increments(add_increments, counter, increments: int, errors) -> None:
    """Run the learner's add_increments in this child; put a description of any exception on errors."""
    try:
        add_increments(counter, increments)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which turns it into a message
        errors.put(f"{type(exc).__name__}({str(exc)!r})")


def add_increments_together(module, workers: int, increments: int) -> dict:
    """Run module.add_increments(counter, increments) in `workers` processes started here, on one Value.

    Returns the counter's final value and the first exception a child raised, if any.
    """
    counter = mp.Value("i", 0)
    errors = mp.SimpleQueue()  # a few short messages at most: join() before reading them cannot block
    processes = [
        mp.Process(target=run_add_increments, args=(module.add_increments, counter, increments, errors))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=JOIN_TIMEOUT_S)
    for process in processes:  # a worker that hangs is stopped, so the next call starts clean
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
    return {"value": counter.value, "error": None if errors.empty() else errors.get()}


def starts_and_joins(module, workers: int, increments: int) -> dict:
    """Call module.count_safely(workers, increments); return what it returned, its starts and its joins."""
    started, joined = [], []
    original_start, original_join = BaseProcess.start, BaseProcess.join

    def start(self):
        started.append(self)
        return original_start(self)

    def join(self, timeout=None):
        joined.append((id(self), self.pid, timeout))
        return original_join(self, timeout)

    BaseProcess.start, BaseProcess.join = start, join
    try:
        got = module.count_safely(workers, increments)
    finally:
        BaseProcess.start, BaseProcess.join = original_start, original_join
    ids = {key for key, _pid, _timeout in joined}
    never = [process.pid for process in started if id(process) not in ids]
    untimed = [pid for _key, pid, timeout in joined if timeout is None]
    for process in started:  # whatever was left running, so the trusted side's next call starts clean
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
    return {"got": got, "started": len(started), "never_joined": never, "untimed": untimed}
