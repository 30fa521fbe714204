"""Checks for ex16_first_results.

The checks time every call and count the executor's worker processes from the trusted side, through
the process tree. The learner's module runs in a process of its own (mpbook.grading.boundary), so nothing it
does there can change what is seen here. What only the learner's process can see (the futures its
executor's submit returned: how many, still pending, cancelled) comes from probes.py and is judged here.
"""

import time

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex16_first_results import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex16_first_results")

# Four quick tasks first, then thirty of 0.4 s: on two workers, all of them need about 6.2 s. Taking the
# first four and cancelling the rest leaves only the few long ones already handed to a worker (the executor
# queues a task or two ahead of its workers; those count as running and cannot be cancelled): about 1 s.
# A slow task starts after the last quick one, and lasts 0.3 s longer, so the quick ones always come first.
QUICK, SLOW = [0.05, 0.1, 0.05, 0.1], [0.4] * 30
WORKERS = 2
ALL_S = (sum(QUICK) + sum(SLOW)) / WORKERS
TIME_SHARE = 0.6  # a right answer needs about a quarter of ALL_S; waiting for every task needs all of it
MIN_CANCELLED = len(SLOW) // 2  # about 25 of the 30 slow tasks have not started when the fourth result comes
SHORT_WAIT_S = 0.1  # AS_COMPLETED_TIMEOUT_S for the test of the timeout
LATE_S = 0.6  # that test's task: late by 0.5 s (shutting down still waits for it, as it is running)
LIMIT_S = 8  # an executor of one starts in well under a second; then 0.6 s for the late task
# What as_completed's timeout raises, by full name: a builtin from Python 3.11, its own class before.
TIMEOUTS = {"builtins.TimeoutError", "concurrent.futures._base.TimeoutError"}


def spied(durations: list[float], k: int, workers: int) -> tuple[dict, float, int]:
    """Return (what probes.first_results saw, the call's seconds timed here, processes it started)."""
    learner = learner_process()  # started (and the learner's module imported) before the clock starts
    with NewProcesses(learner) as watch:
        started = time.perf_counter()
        seen = in_learner_process(probes.first_results, durations, k, workers)
        elapsed = time.perf_counter() - started
    return seen, elapsed, watch.started


class NewProcesses(ProcessWatch):
    """A ProcessWatch that leaves out the processes already running when it starts (an earlier call's)."""

    def __enter__(self) -> "NewProcesses":
        self.before = {process.pid for process in self.learner.descendants()}
        super().__enter__()
        return self

    @property
    def started(self) -> int:
        return sum(pid not in self.before for pid, _created in self.seen)


@points(1)
def test_quickest_results_in_completion_order():
    """With one 1.2 s task first, the two results returned are the quick ones, in the order they completed."""
    durations = [1.2, 0.3, 0.1, 0.2]
    seen, _, processes = spied(durations, 2, 2)
    got = seen["got"]
    # One worker sleeps 1.2 s on the first task; the other runs 0.3, then 0.1 (done at 0.4 s), then 0.2.
    expected = [0.3, 0.1]
    submitted = seen["submitted"] if processes else 0  # tasks submitted, and worker processes seen from here
    assert submitted, (
        f"Called first_results({durations!r}, 2, workers=2); no task was submitted to a ProcessPoolExecutor. "
        "Submit sleep_for(d) for every d with executor.submit."
    )
    assert got == expected, (
        f"Called first_results({durations!r}, 2, workers=2); got {got!r}, expected {expected!r}: one worker is "
        "busy with the 1.2 s task while the other finishes 0.3, then 0.1. "
        + (
            "You returned the results in the order of submission: take them from as_completed(futures, timeout=...), "
            "which yields each future as it finishes."
            if got == durations[:2]
            else "Return the results in the order as_completed yields their futures, and stop after k."
        )
    )


@points(2)
@deadline(40)
def test_returns_without_running_the_rest():
    """Taking 4 results out of 34 tasks cancels the tasks not yet started and returns long before all could run."""
    durations = QUICK + SLOW
    call = f"Called first_results({QUICK!r} + [{SLOW[0]}] * {len(SLOW)}, 4, workers={WORKERS})"
    seen, elapsed, processes = spied(durations, 4, WORKERS)
    got = seen["got"]
    running = [process.pid for process in learner_process().descendants()]
    assert sorted(got) == sorted(QUICK), (
        f"{call}; got {got!r}, expected the four quick ones, {QUICK!r} in any order."
    )
    assert processes, (
        f"{call}; no worker process was started. Submit sleep_for(d) for every d to a ProcessPoolExecutor."
    )
    pending = seen["pending"]
    assert not pending, (
        f"{call}; it returned while {pending} of its futures were still pending or running. "
        "Shut the executor down before returning: shutdown(wait=True, cancel_futures=True) cancels what has not "
        "started and waits for what is running, so no worker is left behind."
    )
    assert not running, (
        f"{call}; it returned while its worker process(es) {running} were still running. "
        "Shut the executor down before returning: shutdown(wait=True, cancel_futures=True) cancels what has not "
        "started and waits for what is running, so no worker is left behind."
    )
    cancelled, submitted = seen["cancelled"], seen["submitted"]
    print(
        f"{elapsed:.2f} s, {cancelled} of {submitted} tasks cancelled; running them all takes {ALL_S:.1f} s"
    )
    assert cancelled >= MIN_CANCELLED, (
        f"{call}; it took {elapsed:.1f} s and cancelled {cancelled} of the {submitted} tasks, expected at "
        f"least {MIN_CANCELLED} cancelled (running every task takes about {ALL_S:.1f} s). Once you have k results, "
        "cancel the rest: executor.shutdown(wait=True, cancel_futures=True). A `with` block alone runs every "
        "queued task before it ends."
    )
    assert elapsed < TIME_SHARE * ALL_S, (
        f"{call}; it cancelled {cancelled} tasks, but took {elapsed:.1f} s, expected well under "
        f"{TIME_SHARE * ALL_S:.1f} s (running every task takes about {ALL_S:.1f} s). "
        "Stop taking results as soon as you have k, and cancel the rest right away."
    )


@points(1)
def test_all_and_none():
    """k = len(durations) returns every result; k = 0 returns [] at once, without starting a process."""
    durations = [0.2, 0.05, 0.1]
    got = ex.first_results(durations, 3, workers=2)
    assert sorted(got) == sorted(durations), (
        f"Called first_results({durations!r}, 3, workers=2); got {got!r}, expected all three, in any order."
    )
    seen, elapsed, processes = spied(durations, 0, 2)
    got = seen["got"]
    assert got == [], f"Called first_results({durations!r}, 0, workers=2); got {got!r}, expected []."
    assert not seen["submitted"], (
        f"Called first_results({durations!r}, 0, workers=2); it submitted {seen['submitted']} task(s). "
        "With k = 0 there is nothing to wait for: return [] before making an executor."
    )
    assert not processes, (
        f"Called first_results({durations!r}, 0, workers=2); it started {processes} process(es). "
        "With k = 0 there is nothing to wait for: return [] before making an executor."
    )
    assert elapsed < 1.0, (
        f"Called first_results({durations!r}, 0, workers=2); it took {elapsed:.1f} s. "
        "With k = 0 there is nothing to wait for: return [] before making an executor."
    )


@points(1)
def test_uses_as_many_processes_as_workers():
    """With workers=3, on a machine of any size, the executor has three worker processes."""
    durations = [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
    call = f"Called first_results({durations!r}, 3, workers=3)"
    with ProcessWatch(learner_process()) as watch:
        got = ex.first_results(durations, 3, workers=3)
    assert got == [0.2, 0.2, 0.2], f"{call}; got {got!r}, expected [0.2, 0.2, 0.2]."
    assert watch.started == 3, (
        f"{call}; {watch.started} worker process(es) were started, expected 3. Make the executor with `workers` "
        "processes: ProcessPoolExecutor(max_workers=workers). Without it, it has one per CPU."
    )


@points(1)
def test_gives_up_on_late_results():
    """With AS_COMPLETED_TIMEOUT_S shortened to 0.1 s, a task that takes 0.6 s makes the call raise TimeoutError."""
    call = f"Called first_results([{LATE_S}], 1, workers=1) with AS_COMPLETED_TIMEOUT_S = {SHORT_WAIT_S}"
    try:
        outcome, seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.with_timeout, SHORT_WAIT_S, [LATE_S], 1, 1
        )
    except DidNotReturn:
        raise AssertionError(f"{call}; it had not returned after {LIMIT_S} s.") from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        assert type_name in TIMEOUTS, f"{call}; it raised {type_name.removeprefix('builtins.')}: {message}."
        return  # gave up in time, as it should
    raise AssertionError(
        f"{call}; got {outcome[1]!r} after {seconds:.1f} s, expected the TimeoutError of "
        "as_completed(futures, timeout=AS_COMPLETED_TIMEOUT_S): results are waited for at most "
        "AS_COMPLETED_TIMEOUT_S in all, so that a stuck task cannot hold up the call forever. Pass the constant, "
        "not a number, and let the TimeoutError out (the finally: still shuts the executor down)."
    )
