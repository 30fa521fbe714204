"""Checks for ex08_stop_on_first_hit.

is_hit is mpbook.practice.check_item with a log folder: every call it gets, in whichever process,
is written there, so the checks see how many items each worker tested, and when, and after the hit.
The learner's module runs in a process of its own (mpbook.grading.boundary): the checks count its workers
from the trusted side, through the process tree; only the workers' exit codes come from probes.py.
"""

import functools
from collections import Counter

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import exercise, folder_for_learner, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex08_stop_on_first_hit import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.practice import check_item, read_records

ex = exercise("ex08_stop_on_first_hit")

LIMIT_S = 10  # every search here ends within a second or two of its start, spawn included
STOP_ITEMS, STOP_HIT, STOP_S = 400, 6, 0.02  # without stopping, two workers test 400 items: 4 s
MOST_CALLS = STOP_ITEMS // 4  # stopping at the hit: about 10-20 calls; a worker carrying on: 50 or more
LATE_S = 0.25  # a worker sees the Event 20 ms after the hit; 0.25 s allows for a descheduled one
# The exit-code test: item 0, the hit, takes HIT_S, so every worker has taken a chunk when it is
# found; their first items take BUSY_S, so they are still mid-item when the hit comes back. A pool
# left by its `with` block is then terminated in the middle of an item: some exit code is -15.
# (With short items the others may have finished every chunk and be idle by then, and a pool
# stops idle workers with exit code 0 even on terminate().)
HIT_S, BUSY_S = 0.4, 1.2


def searching(call: str, items, hits, workers: int, seconds: float = 0.0, probe=None, hit_seconds=None):
    """Return (what first_hit returned, the calls is_hit got), or fail the test if first_hit hangs.

    With a probe, first_hit is called through it, and what the probe returns comes back instead.
    """
    with folder_for_learner() as log_dir:
        is_hit = functools.partial(
            check_item, hits=frozenset(hits), seconds=seconds, hit_seconds=hit_seconds, log_dir=log_dir
        )
        try:
            if probe is None:
                got, _seconds = call_with_limit(LIMIT_S, ex.first_hit, items, is_hit, workers=workers)
            else:
                got, _seconds = call_with_limit(LIMIT_S, in_learner_process, probe, items, is_hit, workers)
        except DidNotReturn:
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s (the search takes well under a second). "
                "Take exactly one outcome per chunk, each with next(timeout=...), and keep the first hit; once the "
                "Event is set, the chunks left return at once."
            ) from None
        return got, read_records(log_dir)


def watchable_learner():
    """Return the test's learner process, started, with its module imported and multiprocessing's helpers running.

    So a watch of its process tree that starts now counts only the learner's own processes
    (learner.py starts the helpers first), and no clock started now times an import.
    """
    learner = learner_process()
    return learner


@points(1)
def test_returns_the_hit():
    """The hit is returned wherever it is, at the very end too; with no hit, None comes back promptly."""
    call = "first_hit(list(range(60)), is_hit, workers=2) with 37 the only hit"
    got, _ = searching(call, list(range(60)), {37}, workers=2)
    assert got == 37, (
        f"Called {call}; got {got!r}, expected 37. search_chunk returns the item itself, not True or its index."
    )

    call = "first_hit(list(range(41)), is_hit, workers=3) with 40, the last item, the only hit"
    got, _ = searching(call, list(range(41)), {40}, workers=3)
    assert got == 40, (
        f"Called {call}; got {got!r}, expected 40. Is every item in some chunk? The chunks "
        "items[start:start + size], for start in range(0, len(items), size), cover them all, the last few too."
    )

    call = "first_hit(list(range(30)), is_hit, workers=3) with no hit at all"
    got, _ = searching(call, list(range(30)), set(), workers=3)
    assert got is None, f"Called {call}; got {got!r}, expected None: no item is a hit."


@points(1)
def test_every_item_tested_once_in_the_workers():
    """With no hit, each item is tested exactly once, by `workers` processes, none of it in this one."""
    items = list(range(30))
    call = "first_hit(list(range(30)), is_hit, workers=3) with no hit"
    learner = watchable_learner()  # before the watch starts
    # Pool workers live from the pool's start to its join, 50 ms or more here: the watch sees each one.
    with ProcessWatch(learner) as watch:
        got, calls = searching(call, items, set(), workers=3, seconds=0.005)
    started = watch.started
    assert got is None, f"Called {call}; got {got!r}, expected None."
    tested = Counter(record.item for record in calls)
    missing = sorted(set(items) - set(tested))
    twice = sorted(item for item, count in tested.items() if count > 1)
    once_each = not missing and not twice
    assert once_each, (
        f"Called {call}; is_hit was never called for {missing} and more than once for {twice}: expected every "
        "item exactly once: chunks that cover every item, once, each sent as one task."
    )
    pids = {record.pid for record in calls}
    assert learner.process.pid not in pids, (
        f"Called {call}; some items were tested in this process: the search must run in the worker processes."
    )
    assert started == 3, (
        f"Called {call}; {started} process(es) were started, expected 3: mp.Pool(workers, ...), a pool "
        "of `workers` processes."
    )


@points(2)
def test_others_stop_after_the_hit():
    """Once item 6 of 400 is found, every worker stops before its next item: no test starts after the hit is known."""
    call = f"first_hit(list(range({STOP_ITEMS})), is_hit, workers=2) with {STOP_HIT} the only hit, {STOP_S * 1000:.0f} ms a test"
    got, calls = searching(call, list(range(STOP_ITEMS)), {STOP_HIT}, workers=2, seconds=STOP_S)
    assert got == STOP_HIT, f"Called {call}; got {got!r}, expected {STOP_HIT}."
    hit_end = next(record.end for record in calls if record.item == STOP_HIT)
    late = [record for record in calls if record.start > hit_end + LATE_S]
    by_pid = Counter(record.pid for record in late)
    stopped = len(calls) <= MOST_CALLS and len(late) <= 2
    assert stopped, (
        f"Called {call}; is_hit was called {len(calls)} times in all, {len(late)} of them more than {LATE_S} s "
        f"after the hit was found (by process: {dict(by_pid)}); expected at most {MOST_CALLS} in all and "
        "none after. The other workers did not stop: do they all get the SAME mp.Event, through the pool's "
        "initializer (a plain global variable is not shared between processes), and do they check it before "
        "EVERY item, not only once per chunk?"
    )


@points(1)
def test_workers_end_by_themselves():
    """After a hit, every worker has ended on its own (exit code 0) when first_hit returns: none terminated, none left running."""
    call = (
        f"first_hit(list(range(200)), is_hit, workers=3) with 0 the only hit, found in {HIT_S} s, "
        f"while every other item takes {BUSY_S} s"
    )
    learner = watchable_learner()  # before the watch starts
    with ProcessWatch(learner) as watch:
        seen, _ = searching(
            call, list(range(200)), {0}, workers=3, seconds=BUSY_S, hit_seconds=HIT_S, probe=probes.exit_codes
        )
    alive = [process.pid for process in learner.descendants()]
    got = seen["got"]
    assert got == 0, f"Called {call}; got {got!r}, expected 0."
    assert watch.started, f"Called {call}; no process was started: search in worker processes."
    assert not alive, (
        f"Called {call}; it returned while worker(s) {alive} were still running. Once every chunk has "
        "answered, pool.close() and pool.join(): the workers end by themselves."
    )
    codes = seen["codes"]
    assert all(code == 0 for code in codes), (
        f"Called {call}; the workers' exit codes were {codes}, expected all 0. A negative code is a worker "
        "stopped by a signal (-15: terminate(), which leaving a `with mp.Pool` block calls). Do not stop them "
        "from outside in the middle of an item: take every chunk's outcome (after the hit they come at once), "
        "then pool.close() and pool.join() inside the `with` block."
    )
