"""Checks for ex23_any_executor: the same map_on on a process pool, a thread pool and a Dask cluster.

The learner's module runs in a process of its own (mpbook.grading.boundary). Executors cannot cross that
boundary, so probes.py builds each one in the learner's process and calls map_on there; the checks
here judge what comes back, time the calls from the trusted side, and know the learner's process's
pid, so results computed in that process are seen for what they are.
"""

import time

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex23_any_executor import probes
from mpbook.pooling import sleep_for
from mpbook.workers import square, whoami

ex = exercise("ex23_any_executor")

# TimeoutError from the learner's process arrives as boundary.LearnerRaised, also a TimeoutError (which
# concurrent.futures.TimeoutError is from 3.11; before, its class has the same name, which is what comes across).
TIMEOUT_ERRORS = (TimeoutError,)
MAP_TIMEOUT_S = 30  # a dozen tiny tasks take milliseconds, even on a cluster that just started


def assert_ran_in_workers(call: str, got: object, items: list) -> None:
    """Assert got is whoami's answer for every item, in order, from processes other than this one."""
    tasks = [result[0] for result in got] if isinstance(got, list) else got
    assert tasks == items, (
        f"Called {call}; the results name the tasks {tasks!r}, expected {items!r}: one result per item, "
        "in input order, whatever order the tasks finish in."
    )
    assert isinstance(got, list)  # else tasks is got itself, and only a list equals the list items
    pids = {result[1] for result in got}
    assert learner_process().process.pid not in pids, (
        f"Called {call}; some tasks ran in this process. Hand every item to the executor (submit or map)."
    )


@points(1)
def test_on_a_process_pool():
    """On a ProcessPoolExecutor, map_on returns one result per item, in order, computed by its worker processes."""
    items = list(range(12))
    got = in_learner_process(probes.on_process_pool, whoami, items, MAP_TIMEOUT_S, 2)
    assert_ran_in_workers(
        f"map_on(ProcessPoolExecutor(2), whoami, list(range(12)), {MAP_TIMEOUT_S})", got, items
    )


@points(1)
def test_on_a_thread_pool():
    """On a ThreadPoolExecutor, map_on hands every item to the executor and returns the squares in order."""
    items = list(range(20))
    seen = in_learner_process(probes.on_counting_thread_pool, square, items, MAP_TIMEOUT_S, 4)
    got, submitted = seen["got"], seen["submitted"]
    call = f"map_on(ThreadPoolExecutor(4), square, list(range(20)), {MAP_TIMEOUT_S})"
    assert got == [x * x for x in items], (
        f"Called {call}; got {got!r}, expected the squares in input order. Wait for each future in the order "
        "you submitted them (as_completed() gives them as they finish)."
    )
    assert submitted == len(items), (
        f"Called {call}; it handed {submitted} task(s) to the executor, expected {len(items)}: "
        "one per item, through executor.submit() or executor.map()."
    )
    got = in_learner_process(probes.on_thread_pool, square, [], MAP_TIMEOUT_S, 1)
    assert got == [], f"Called map_on(executor, square, [], {MAP_TIMEOUT_S}); got {got!r}, expected []."


@points(1)
def test_results_in_input_order():
    """Tasks that finish in another order than they were given still come back in input order."""
    items = [0.4, 0.1, 0.3, 0.0, 0.2]  # seconds each task sleeps: the second finishes before the first
    got = in_learner_process(probes.on_thread_pool, sleep_for, items, MAP_TIMEOUT_S, len(items))
    assert got == items, (
        f"Called map_on(ThreadPoolExecutor(5), sleep_for, {items}, {MAP_TIMEOUT_S}); got {got!r}, expected "
        f"{items!r}. as_completed() gives results as they finish; wait for each future in input order instead."
    )


@points(1)
def test_timeout_is_for_the_whole_map():
    """Four tasks of 0.25 s, one at a time, with timeout=0.5: TimeoutError after about 0.5 s, though each is quicker."""
    call = "map_on(ThreadPoolExecutor(1), sleep_for, [0.25] * 4, timeout=0.5)"
    learner_process()  # started (and the learner's module imported) before the clock starts
    started = time.perf_counter()
    try:  # shutdown(wait=False): the probe returns, or raises, as soon as map_on does
        got = in_learner_process(probes.on_thread_pool, sleep_for, [0.25] * 4, 0.5, 1, False)
    except TIMEOUT_ERRORS:
        raised_after = time.perf_counter() - started
    else:
        raise AssertionError(
            f"Called {call}; it returned {got!r} after {time.perf_counter() - started:.1f} s, expected "
            "TimeoutError after about 0.5 s. The timeout is for the whole map: give each result() only the time "
            "left until one deadline, time.monotonic() + timeout."
        )
    assert raised_after < 0.9, (
        f"Called {call}; TimeoutError came after {raised_after:.1f} s, expected about 0.5 s: "
        "the timeout is for the whole map, not for each result."
    )


@points(1)
def test_timeout_cancels_what_is_left():
    """After a TimeoutError, the tasks that had not started are cancelled, so the executor stops at once."""
    call = "map_on(ThreadPoolExecutor(1), sleep_for, [0.5] * 4, timeout=0.2)"
    learner_process()  # started (and the learner's module imported) before the clock starts
    started = time.perf_counter()
    try:  # shutdown(wait=True) waits for every task still queued: none, if map_on cancelled them
        in_learner_process(probes.on_thread_pool, sleep_for, [0.5] * 4, 0.2, 1, True)
    except TIMEOUT_ERRORS:
        pass
    else:
        raise AssertionError(f"Called {call}; it returned, expected TimeoutError after about 0.2 s.")
    finally:
        stopped_after = time.perf_counter() - started
    assert stopped_after < 1.3, (
        f"Called {call}; the executor took {stopped_after:.1f} s to finish its work, expected about 0.5 s "
        "(the task that was running): the tasks still queued ran after map_on had given up on them. "
        "When the time is up, cancel() every future that is not done."
    )


@points(2)
@deadline(60)
def test_on_a_dask_cluster():
    """On the executor of a local Dask cluster (two worker processes), map_on works unchanged."""
    items = list(range(12))
    call = f"map_on(client.get_executor(), whoami, list(range(12)), {MAP_TIMEOUT_S})"
    with ProcessWatch(learner_process()) as watch:  # the cluster's processes live for seconds
        got = in_learner_process(probes.on_dask_cluster, whoami, items, MAP_TIMEOUT_S, 2)
    assert_ran_in_workers(call, got, items)
    unseen = sorted({result[1] for result in got} - {pid for pid, _created in watch.seen})
    assert not unseen, (
        f"Called {call}; the results name process(es) {unseen}, which were never seen running from the "
        "grader's side. Hand every item to the executor (submit or map)."
    )
