"""Checks for ex11_pool_primes.

The learner's module runs in a process of its own (mpbook.grading.boundary). The checks see from the trusted
side, through the process tree and the learner's process's CPU time, which processes were started,
which ones computed, and when; only the process count of a small, few-ms count comes from probes.py.
"""

import os
import time

import psutil

import mpbook
from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex11_pool_primes import probes
from mpbook.grading.measuring import DidNotReturn, RunningWorkers, call_with_limit
from mpbook.workers import count_primes

ex = exercise("ex11_pool_primes")

WORK_STOP = 300_000  # about 0.5 s of serial counting: enough to see where the CPU time goes
SPEED_STOP = 700_000  # about 1.3 s of serial counting on an idle machine
SPEED_RATIO = 0.85  # two workers need about 0.6 of the serial time; 0.85 leaves room for a busy machine
SPEED_TRIES = 2  # timings on a shared machine jump about: one good try of two is enough
BUSY_SHARE = 0.3  # a worker is computing for ~85% of a pool run (less its start); for ~0% of a run in threads
TOGETHER_SHARE = 0.4  # a right answer: 70-97% of the samples; workers taking turns: under 10%
PARENT_CPU_SHARE = 0.3  # a pool's parent spends a few ms of CPU; counting in the parent spends it all
SHORT_RESULT_S = 0.2  # RESULT_TIMEOUT_S in the test of the timeout: lost results never come, so any will do
LIMIT_S = 8  # a pool of 2 starts in well under a second; the get() then gives up after 0.2 s
MP_TIMEOUT = "multiprocessing.context.TimeoutError"  # what get(timeout=...) raises, by its full name


def nudge(got, expected: int) -> str:
    """Return what most likely went wrong, for a failure message."""
    if not isinstance(got, int) or isinstance(got, bool):
        return " Return one int: the sum of the counts of every range."
    if got > expected:
        return " Too many: do some ranges overlap, so a number is counted twice? Each range must start where the last ended."
    return (
        " Too few: is part of range(stop) in no range at all? With stop not a multiple of chunks, "
        "stop // chunks-sized ranges leave the last few numbers out; the last range must end at stop."
    )


def cpu_seconds(process: psutil.Process) -> float:
    """Return the CPU time a process has spent itself (its children's not included)."""
    times = process.cpu_times()
    return times.user + times.system


def timed(func, *args, **kwargs):
    """Return (func(*args, **kwargs), its wall-clock time in seconds)."""
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - started


def watchable_learner():
    """Return the test's learner process, started, with its module imported and multiprocessing's helpers running.

    So a watch of its process tree that starts now counts only the learner's own processes
    (learner.py starts the helpers first), and no clock started now times an import.
    """
    learner = learner_process()
    return learner


@points(1)
def test_small_bounds():
    """The primes below 0, 1, 2, 3, 10 and 100 are counted right with the default workers and chunks."""
    for stop in (0, 1, 2, 3, 10, 100):
        got = ex.count_primes_parallel(stop)
        expected = count_primes(0, stop)
        assert got == expected, (
            f"Called count_primes_parallel({stop}); got {got!r}, expected {expected} "
            f"(the primes below {stop})." + nudge(got, expected)
        )


@points(1)
@deadline(40)
def test_any_number_of_chunks_and_workers():
    """Any number of chunks, even more chunks than numbers, gives the serial count (no gap, no overlap), on `workers` processes."""
    # 10 010 = 3 x 3336 + 2, and 10 009 is prime: ranges of stop // chunks numbers miss it. 10 007 in 7
    # chunks has primes at two inner bounds: ranges that include their end count them twice.
    learner = watchable_learner()  # before the watch starts
    for stop, workers, chunks in ((10_007, 2, 1), (10_010, 3, 3), (10_007, 3, 7), (20, 2, 50)):
        # The starts are counted inside (these pools can end within a few ms); the tree is watched too.
        with ProcessWatch(learner) as watch:
            seen = in_learner_process(probes.starts, stop, workers, chunks)
        got, started = seen["got"], seen["started"]
        if watch.started > workers:
            started = watch.started
        expected = count_primes(0, stop)
        call = f"Called count_primes_parallel({stop}, workers={workers}, chunks={chunks})"
        assert got == expected, f"{call}; got {got!r}, expected {expected}." + nudge(got, expected)
        assert started == workers, (
            f"{call}; the count was right, but {started} process(es) were started, expected {workers}: "
            "a pool of `workers` processes, mp.Pool(processes=workers). (mp.Pool() alone starts one per CPU, "
            f"{os.cpu_count()} here, whatever `workers` says.)"
        )


@points(1)
@deadline(40)
def test_work_runs_in_the_workers():
    """The counting runs in `workers` pool processes: this process spends almost no CPU time on it."""
    learner = watchable_learner()  # before the CPU clock starts
    parent = psutil.Process(learner.process.pid)
    # Each worker counts for 0.25 s or more: the watch, every 10 ms, sees it.
    with ProcessWatch(learner) as watch:
        cpu_started = cpu_seconds(parent)
        got = ex.count_primes_parallel(WORK_STOP, workers=2)
        parent_cpu = cpu_seconds(parent) - cpu_started
    started = watch.started
    cpu_started = time.process_time()
    expected = count_primes(0, WORK_STOP)
    serial_cpu = time.process_time() - cpu_started
    call = f"Called count_primes_parallel({WORK_STOP}, workers=2)"
    assert got == expected, f"{call}; got {got!r}, expected {expected}." + nudge(got, expected)
    assert parent_cpu < PARENT_CPU_SHARE * serial_cpu, (
        f"{call}; the count was right, but this process spent {parent_cpu:.2f} s of CPU time in the call, "
        f"while counting alone takes {serial_cpu:.2f} s: the counting ran here, not in the workers. "
        "Hand the ranges to the pool (starmap_async) and only add up the counts here. Threads will not do: "
        "they run in this process, one at a time (the GIL)."
    )
    assert started >= 2, (
        f"{call}; the count was right, but {started} process(es) were started, expected 2: "
        "run the ranges on mp.Pool(workers)."
    )

    def shares(self) -> tuple[float, float]:
        """Return the share of the samples with a process running, and the share of those with two or more."""
        busy = [running for running in self.samples if running >= 1]
        together = sum(running >= 2 for running in busy) / len(busy) if busy else 0.0
        return len(busy) / max(1, len(self.samples)), together


@points(1)
def test_gives_up_when_the_results_never_come():
    """When the workers die mid-task their results never come: count_primes_parallel raises after RESULT_TIMEOUT_S."""
    called = (
        f"Called count_primes_parallel(1000) with RESULT_TIMEOUT_S = {SHORT_RESULT_S}, and count_primes replaced "
        "by a stand-in that kills the worker that runs it"
    )
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        outcome, _seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.with_lost_results, SHORT_RESULT_S, 1000
        )
    except DidNotReturn:
        raise AssertionError(
            f"{called}; it had not returned after {LIMIT_S} s. Results are waited for at most RESULT_TIMEOUT_S: "
            "a pool replaces a dead worker, but the task it held is lost, and get() without a timeout waits for "
            "it forever. pool.starmap_async(...).get(timeout=RESULT_TIMEOUT_S) gives up, with the constant, "
            "not a number."
        ) from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        if type_name == MP_TIMEOUT:
            return  # the get() gave up, as it should
        if type_name == "builtins.RuntimeError" and "DiesWhenUsed" in message:
            raise AssertionError(
                f"{called}; count_primes ran here, in the calling process, not on the pool. Hand every range "
                "to the pool: pool.starmap_async(count_primes, ranges)."
            )
        raise AssertionError(f"{called}; it raised {type_name.removeprefix('builtins.')}: {message}")
    raise AssertionError(
        f"{called}; got {outcome[1]!r}, expected multiprocessing.TimeoutError from "
        "get(timeout=RESULT_TIMEOUT_S). Count each range with the module's count_primes, on the pool."
    )


@points(2)
@deadline(90)
def test_faster_than_serial():
    """Two workers count the primes below 700 000 at the same time, in under 85% of the serial time if a CPU is free."""
    cpus = mpbook.usable_cpus()
    if cpus < 2:
        print(
            f"test_faster_than_serial skipped: this process may use {cpus} CPU, so nothing runs in parallel."
        )
        return
    call = f"Called count_primes_parallel({SPEED_STOP}, workers=2)"
    expected, serial = timed(count_primes, 0, SPEED_STOP)
    learner = watchable_learner()  # before the clock starts
    tries = []
    for _ in range(SPEED_TRIES):
        with RunningWorkers(learner.process.pid) as workers:  # the learner's process's workers
            got, parallel = timed(ex.count_primes_parallel, SPEED_STOP, workers=2)
        assert got == expected, f"{call}; got {got!r}, expected {expected}." + nudge(got, expected)
        busy, together = workers.busy(), workers.together()
        assert busy >= BUSY_SHARE, (
            f"{call}; the count was right, but for {1 - busy:.0%} of the call no other process was computing: "
            "the counting ran in this process. Hand the ranges to mp.Pool(workers). Threads will not do: they run "
            "in this process, one at a time (the GIL)."
        )
        assert together >= TOGETHER_SHARE, (
            f"{call}; the count was right, but the worker processes took turns: two of them computed at the same "
            f"time for only {together:.0%} of the time any of them computed. Did you cut the range into several chunks and "
            "hand them to the pool all at once (one starmap_async), rather than one apply_async(...).get() after "
            "another, or one single range?"
        )
        print(
            f"try {len(tries) + 1}: parallel {parallel:.2f} s, serial {serial:.2f} s, workers together {together:.0%}"
        )
        if parallel < SPEED_RATIO * serial:
            return
        tries.append(f"{parallel:.2f} s against {serial:.2f} s")
        # Timed again before the next try: the machine may have been quieter for the serial run
        # than for the parallel one. Only on this path, so a right answer costs one serial run.
        _, serial = timed(count_primes, 0, SPEED_STOP)
    # The workers did compute at the same time in every try; other programs kept the CPUs busy.
    print(
        f"test_faster_than_serial: two workers computed at the same time, but were never under {SPEED_RATIO:.0%} "
        f"of the serial time ({'; '.join(tries)}; load average {load_average():.1f} on {cpus} CPUs). "
        "The machine is too busy to show the speed-up: passed on the evidence of the workers."
    )


def load_average() -> float:
    """Return the 1-minute load average, or 0.0 where the platform has none (Windows)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
