"""What ex05's checks can only do inside the learner's process: hand produce/transform queues, look at joins.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote these probes could
fake their answers: that earns at most the probes' own tests (test_transform_passes_the_sentinel_on,
test_produce_sends_a_sentinel_per_transformer, test_transform_gives_up_when_no_task_comes: 1 point
each). Whether every process was joined is judged from the trusted side too (a process never
joined stays a zombie in the learner's process tree), and whether run_pipeline returns in time is
timed there, so faking `unjoined` or the digests of the squares earns nothing more under spawn and fork.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import queue
import time

BIG = 125_000  # float64 values in an item: 1 MB, sixteen times what a pipe holds


def digest(value) -> list:
    """Return ("ndarray", sha256 of its bytes) for a NumPy array, else ("other", its type's name)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return ["ndarray", str(value.dtype), hashlib.sha256(value.tobytes()).hexdigest()]
    return ["other", type(value).__name__, ""]


def _unjoined_children() -> list[str]:
    """Return the names of the processes started here that no join() (or is_alive()) has yet seen end.

    multiprocessing keeps each started Process in a private set until join(), is_alive() or close()
    finds it finished (or the next start() reaps it).
    """
    children = getattr(multiprocessing.process, "_children", None)
    return sorted(child.name for child in children) if isinstance(children, set) else []


def pipeline(module, items, **kwargs):
    """Call module.run_pipeline(items, **kwargs); return what it returned and the processes not yet joined."""
    got = module.run_pipeline(items, **kwargs)
    return {"got": got, "unjoined": _unjoined_children()}


def big_pipeline(module, count, **kwargs):
    """Call module.run_pipeline on `count` 1 MB NumPy arrays; return the digest of what came back, and the joins.

    Only digests go back: the squares themselves are megabytes. `unjoined` lists, for every
    process started during the call that no join() has seen end, its name and its rank.
    """
    from multiprocessing.process import BaseProcess

    import numpy as np

    items = [np.full(BIG, float(k)) for k in range(count)]
    started = []
    original = BaseProcess.start

    def start(self):
        started.append(self)
        return original(self)

    BaseProcess.start = start
    try:
        got = module.run_pipeline(items, **kwargs)
    finally:
        BaseProcess.start = original
    unjoined = [
        [process.name, number]
        for number, process in enumerate(started, start=1)
        if getattr(process, "_popen", None) is not None and process._popen.returncode is None
    ]
    shape = [digest(value) for value in got] if isinstance(got, list) else type(got).__name__
    return {"digests": shape, "unjoined": unjoined}


def transform(module, tasks_in, count, timeout_s):
    """Put tasks_in on a new tasks queue and call module.transform(tasks, results, 0.0).

    Return up to `count` items it put on results, and the next task left on tasks (or "empty").
    """
    tasks, results = multiprocessing.Queue(), multiprocessing.Queue()
    for task in tasks_in:
        tasks.put(task)
    time.sleep(0.1)  # let the queue's feeder thread write the tasks, so get() finds them at once
    module.transform(tasks, results, 0.0)
    got = []
    with contextlib.suppress(queue.Empty):
        for _ in range(count):
            got.append(results.get(timeout=timeout_s))
    try:
        leftover = tasks.get(timeout=timeout_s)
    except queue.Empty:
        leftover = "empty"
    for q in (tasks, results):
        q.close()
        q.join_thread()
    return {"got": got, "leftover": leftover}


def produce(module, items, n_sentinels, count):
    """Call module.produce(items, tasks, n_sentinels) with a new queue; return what it put there, up to count + 1."""
    tasks = multiprocessing.Queue()
    module.produce(items, tasks, n_sentinels)
    got = []
    with contextlib.suppress(queue.Empty):
        while len(got) < count:
            got.append(tasks.get(timeout=2))
        time.sleep(0.1)  # time for the queue's feeder thread to pass on one more message, if there was one
        got.append(tasks.get_nowait())
    tasks.close()
    tasks.join_thread()
    return got


def transform_on_empty(module, seconds):
    """Call module.transform on an empty tasks queue with GET_TIMEOUT_S = seconds.

    Return ("returned", value, seconds) or ("raised", "module.QualifiedName", message, seconds).
    """
    saved = getattr(module, "GET_TIMEOUT_S", None)
    module.GET_TIMEOUT_S = seconds
    tasks, results = multiprocessing.Queue(), multiprocessing.Queue()
    started = time.perf_counter()
    try:
        return ("returned", module.transform(tasks, results, 0.0), time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - what was raised is the answer
        kind = type(exc)
        return ("raised", f"{kind.__module__}.{kind.__qualname__}", str(exc), time.perf_counter() - started)
    finally:
        module.GET_TIMEOUT_S = saved
