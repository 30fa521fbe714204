"""Checks for ex21_how_many_workers.

The learner's module runs in a process of its own (mpbook.grading.boundary): its functions are called there
and their answers come back as plain data. The pools' workers are seen from here, through the
process tree (started, still running, computing at the same time); only making usable_cpus()
pretend needs the learner's process itself (probes.candidate_counts_with).
"""

import contextlib

import psutil

import mpbook
from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex21_how_many_workers import probes
from mpbook.grading.measuring import SAMPLE_S, RunningWorkers, load_average, timed
from mpbook.workers import sum_squares

ex = exercise("ex21_how_many_workers")

N, TASKS = 500_000, 16  # 16 tasks of about 18 ms: 0.3 s of work, divisible by 1, 2, 4 and 8 workers
SPEEDUP = 1.3  # usable workers against one: about 1.8x on an idle 2-CPU machine, start-up included
TOGETHER_SHARE = 0.4  # workers computing at the same time, the evidence when the machine is too busy to time
ONE_WORKER_SHARE = 0.5  # one worker does all the work: its timing cannot be much under the serial time


def reference_counts(usable: int, cap: int = 8) -> list[int]:
    return sorted({min(count, cap) for count in (1, usable, 2 * usable, 4 * usable)})


def reference_best(timings: dict, tolerance: float = 0.10) -> int:
    fastest = min(timings.values())
    return min(count for count, seconds in timings.items() if seconds <= fastest * (1 + tolerance))


class LearnersRunningWorkers(RunningWorkers):
    """RunningWorkers for the learner's process's workers: counts its descendants, sampled from here.

    measuring.RunningWorkers counts the current process's children; across the boundary the workers
    are the learner's process's (multiprocessing's helper processes left out, as in descendants()).
    """

    def __init__(self, learner) -> None:
        super().__init__()
        self.learner = learner

    def run(self) -> None:
        while not self.halt.wait(SAMPLE_S):
            running = 0
            for child in self.learner.descendants():
                with contextlib.suppress(psutil.Error):
                    running += child.status() == psutil.STATUS_RUNNING
            self.samples.append(running)


@points(1)
def test_candidate_counts_follow_usable_cpus():
    """candidate_counts asks usable_cpus() at each call: 1, usable, 2x and 4x usable, capped, distinct, ascending."""
    for usable, cap in ((1, 8), (2, 8), (3, 8), (6, 8), (16, 8), (3, 4)):
        # usable_cpus() is made to answer `usable` in the learner's process, where its code asks it
        got = in_learner_process(probes.candidate_counts_with, usable, cap)
        expected = reference_counts(usable, cap)
        assert got == expected, (
            f"Called candidate_counts(cap={cap}) where usable_cpus() says {usable}; got {got!r}, expected "
            f"{expected!r}: 1, {usable}, {2 * usable} and {4 * usable}, each at most {cap}, without repeats, smallest "
            "first. "
            + (
                "Ask usable_cpus() inside the function, each time: os.cpu_count() counts the machine, not the CPUs "
                "this process may use (a container, taskset), and a value read once at import goes stale."
                if got == ex.candidate_counts(cap=cap)
                else "Cap each count with min(count, cap), and drop repeats with a set."
            )
        )


@points(1)
def test_pick_best_prefers_fewer_workers():
    """pick_best takes the fewest workers within the tolerance of the fastest, not simply the fastest."""
    for timings, expected, why in (
        ({1: 2.0, 2: 1.05, 4: 1.0, 8: 1.02}, 2, "2 workers are within 10% of the fastest (4)"),
        ({1: 1.0, 2: 0.55, 4: 0.3, 8: 0.29}, 4, "4 workers are within 10% of 8, and fewer"),
        ({1: 1.0, 2: 1.2, 4: 1.5, 8: 2.0}, 1, "one CPU: every extra worker only costs"),
        ({1: 1.0, 3: 0.4, 6: 0.5, 8: 0.6}, 3, "3 is the fastest, and nothing else is close"),
    ):
        got = ex.pick_best(dict(timings))
        assert got == expected, (
            f"Called pick_best({timings!r}); got {got!r}, expected {expected}: {why}. Take every count whose time is "
            "at most fastest * (1 + tolerance), and of those the smallest: oversubscribed counts that win by a few "
            "percent won by noise."
        )
    got = ex.pick_best({1: 1.0, 2: 0.8, 4: 0.75}, tolerance=0.5)
    assert got == 1, (
        f"Called pick_best({{1: 1.0, 2: 0.8, 4: 0.75}}, tolerance=0.5); got {got!r}, expected 1: use the tolerance "
        "you are given (1.0 is within 50% of 0.75)."
    )


@points(2)
@deadline(60)
def test_times_every_count():
    """One call times a fresh pool of each candidate count, the work split among its workers, and closes them all."""
    usable = mpbook.usable_cpus()
    counts = reference_counts(usable)
    items = [N] * TASKS
    call = f"how_many_workers(sum_squares, [{N}] * {TASKS})"
    serial = TASKS * min(timed(sum_squares, N)[1] for _ in range(2))
    learner = learner_process()  # started (and the learner's module imported) before the clock starts
    with ProcessWatch(learner) as watch, LearnersRunningWorkers(learner) as running:
        got, _ = timed(ex.how_many_workers, sum_squares, items)
    started = watch.started
    alive = [process.pid for process in learner.descendants()]  # seen from here, as the call returned
    shaped = isinstance(got, dict) and isinstance(got.get("timings"), dict) and "best" in got
    assert shaped, (
        f"Called {call}; got {got!r:.300}, expected {{'timings': {{count: seconds}}, 'best': count}}."
    )
    timings = got["timings"]
    assert sorted(timings) == counts, (
        f"Called {call} with usable_cpus() = {usable}; timed the counts {sorted(timings)}, expected {counts}: "
        "every count of candidate_counts(), each in this one call."
    )
    assert all(isinstance(s, float) and s > 0 for s in timings.values()), (
        f"Called {call}; got timings {timings!r}, expected a positive number of seconds (a float) for each count."
    )
    assert started == sum(counts), (
        f"Called {call}; {started} processes were started, expected {sum(counts)}: a fresh Pool of each count "
        f"({' + '.join(map(str, counts))}). mp.Pool(count), not mp.Pool() (that is every CPU), nor one pool for all."
    )
    assert not alive, (
        f"Called {call}; {len(alive)} worker(s) were still running after it returned. Use each pool in a `with` "
        "block, so that it is closed before the next count starts."
    )
    assert timings[1] >= ONE_WORKER_SHARE * serial, (
        f"Called {call}; one worker took {timings[1]:.2f} s, but the work alone takes {serial:.2f} s in one process: "
        "the clock did not run while the work was done. Start it before making the pool and read it after the map "
        "has returned its results (map_async(...).get(timeout=...))."
    )
    expected_best = reference_best(timings)
    assert got["best"] == expected_best, (
        f"Called {call}; got timings {timings!r} and best {got['best']!r}, expected best {expected_best}: "
        "pick_best(timings), the fewest workers within TOLERANCE of the fastest."
    )
    shown = ", ".join(f"{count}: {seconds:.2f} s" for count, seconds in sorted(timings.items()))
    print(f"timings {shown}; serial {serial:.2f} s; best {got['best']}")
    if usable < 2:
        print(f"this process may use {usable} CPU: no speed-up to look for.")
        return
    ratio = timings[1] / timings[usable]
    if ratio >= SPEEDUP:
        return
    together = running.together()
    assert together >= TOGETHER_SHARE, (
        f"Called {call}; {usable} workers took {timings[usable]:.2f} s against {timings[1]:.2f} s for one, only "
        f"{ratio:.2f}x faster, and the workers rarely computed at the same time ({together:.0%}). Expected at least "
        f"{SPEEDUP}x: give each count's pool the whole list in one map, so that all its workers compute at once."
    )
    print(
        f"{usable} workers were only {ratio:.2f}x faster than one, but computed at the same time "
        f"({together:.0%}; load average {load_average():.1f} on {usable} CPUs): the machine is busy. Passed on the "
        "evidence of the workers."
    )
