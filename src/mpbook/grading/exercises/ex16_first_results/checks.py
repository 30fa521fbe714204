"""Checks for ex16_first_results."""

import contextlib
import time
from concurrent.futures import ProcessPoolExecutor

from mpbook.grading.checking import counting_process_starts, deadline, exercise, points

ex = exercise("ex16_first_results")

# Four quick tasks first, then thirty of 0.5 s: on two workers, all of them need about 7.8 s. Taking the
# first four and cancelling the rest leaves only the few long ones already handed to a worker (the executor
# queues a task or two ahead of its workers; those count as running and cannot be cancelled): about 2 s.
QUICK, SLOW = [0.1, 0.2, 0.1, 0.2], [0.5] * 30
WORKERS = 2
ALL_S = (sum(QUICK) + sum(SLOW)) / WORKERS
TIME_SHARE = 0.6  # a right answer needs about a quarter of ALL_S; waiting for every task needs all of it
MIN_CANCELLED = len(SLOW) // 2  # about 25 of the 30 slow tasks have not started when the fourth result comes


@contextlib.contextmanager
def recording_futures():
    """Collect every future that ProcessPoolExecutor.submit returns while the block runs."""
    futures = []
    original_submit = ProcessPoolExecutor.submit

    def submit(self, *args, **kwargs):
        future = original_submit(self, *args, **kwargs)
        futures.append(future)
        return future

    ProcessPoolExecutor.submit = submit
    try:
        yield futures
    finally:
        ProcessPoolExecutor.submit = original_submit


@points(1)
def test_quickest_results_in_completion_order():
    """With one 1.2 s task first, the two results returned are the quick ones, in the order they completed."""
    durations = [1.2, 0.3, 0.1, 0.2]
    with recording_futures() as futures:
        got = ex.first_results(durations, 2, workers=2)
    # One worker sleeps 1.2 s on the first task; the other runs 0.3, then 0.1 (done at 0.4 s), then 0.2.
    expected = [0.3, 0.1]
    assert futures, (
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
    call = f"Called first_results({QUICK!r} + [0.5] * {len(SLOW)}, 4, workers={WORKERS})"
    started = time.perf_counter()
    with recording_futures() as futures:
        got = ex.first_results(durations, 4, workers=WORKERS)
    elapsed = time.perf_counter() - started
    assert sorted(got) == sorted(QUICK), (
        f"{call}; got {got!r}, expected the four quick ones, {QUICK!r} in any order."
    )
    pending = [future for future in futures if not future.done()]
    assert not pending, (
        f"{call}; it returned while {len(pending)} of its futures were still pending or running. "
        "Shut the executor down before returning: shutdown(wait=True, cancel_futures=True) cancels what has not "
        "started and waits for what is running, so no worker is left behind."
    )
    cancelled = sum(future.cancelled() for future in futures)
    print(
        f"{elapsed:.2f} s, {cancelled} of {len(futures)} tasks cancelled; running them all takes {ALL_S:.1f} s"
    )
    assert cancelled >= MIN_CANCELLED, (
        f"{call}; it took {elapsed:.1f} s and cancelled {cancelled} of the {len(futures)} tasks, expected at "
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
    started = time.perf_counter()
    with recording_futures() as futures:
        got = ex.first_results(durations, 0, workers=2)
    elapsed = time.perf_counter() - started
    assert got == [], f"Called first_results({durations!r}, 0, workers=2); got {got!r}, expected []."
    assert not futures, (
        f"Called first_results({durations!r}, 0, workers=2); it submitted {len(futures)} task(s). "
        "With k = 0 there is nothing to wait for: return [] before making an executor."
    )
    assert elapsed < 1.0, (
        f"Called first_results({durations!r}, 0, workers=2); it took {elapsed:.1f} s. "
        "With k = 0 there is nothing to wait for: return [] before making an executor."
    )


@points(1)
def test_uses_as_many_processes_as_workers():
    """With workers=3, on a machine of any size, the executor has three worker processes."""
    durations = [0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    call = f"Called first_results({durations!r}, 3, workers=3)"
    with counting_process_starts() as started:
        got = ex.first_results(durations, 3, workers=3)
    assert got == [0.3, 0.3, 0.3], f"{call}; got {got!r}, expected [0.3, 0.3, 0.3]."
    assert len(started) == 3, (
        f"{call}; {len(started)} worker process(es) were started, expected 3. Make the executor with `workers` "
        "processes: ProcessPoolExecutor(max_workers=workers). Without it, it has one per CPU."
    )
