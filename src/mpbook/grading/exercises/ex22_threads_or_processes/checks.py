"""Checks for ex22_threads_or_processes.

func is mpbook.practice.run_and_record around the real task: every call is written down with the
process and thread that ran it, and when, so the checks see which run used threads of this process
and which used other processes, and how many of each.

The learner's module runs in a process of its own (mpbook.grading.boundary): compare is called there and its
dict comes back as plain data; the log folder is read here, and the worker processes are seen from
here, through the process tree (started, computing at the same time).
"""

import contextlib
import functools

import psutil

import mpbook
from mpbook.grading.checking import deadline, exercise, folder_for_learner, learner_process, points
from mpbook.grading.measuring import SAMPLE_S, RunningWorkers, load_average
from mpbook.pooling import sleep_for
from mpbook.practice import read_records, run_and_record
from mpbook.workers import sum_squares

ex = exercise("ex22_threads_or_processes")

CPU_N, CPU_TASKS, CPU_WORKERS = 2_000_000, 8, 2  # 8 tasks of about 70 ms: 0.6 s of work
IO_S, IO_TASKS, IO_WORKERS = 0.1, 8, 4  # 8 waits of 0.1 s: 0.2 s on 4 workers
PROCESS_SHARE = 0.85  # processes need about 0.6 of the threads' time on 2 idle CPUs, start-up included
TOGETHER_SHARE = 0.4  # worker processes computing at once: the evidence when the machine is too busy to time
SLACK_S = 0.05  # threads against processes on sleeping work: processes lose by their start-up, 0.1 s or more
FLOOR_SHARE = 0.5  # no run can take much less than its share of the work


class LearnersRunningWorkers(RunningWorkers):
    """RunningWorkers for the learner's process's workers: counts its descendants, sampled from here.

    measuring.RunningWorkers counts the current process's children; across the boundary the workers
    are the learner's process's (multiprocessing's helper processes left out, as in descendants()).
    It also keeps every worker it saw, in `seen`: the worker processes here live 0.2 s or more, so
    sampling every SAMPLE_S sees each, at a fifth of the cost of a ProcessWatch on timed work.
    """

    def __init__(self, learner) -> None:
        super().__init__()
        self.learner = learner
        self.seen: set[tuple[int, float]] = set()

    def run(self) -> None:
        while True:
            running = 0
            for child in self.learner.descendants():
                with contextlib.suppress(psutil.Error):
                    self.seen.add((child.pid, child.create_time()))
                    running += child.status() == psutil.STATUS_RUNNING
            self.samples.append(running)
            if self.halt.wait(SAMPLE_S):
                return


def comparing(call: str, task, items, workers: int):
    """Return (compare's result, the records of the thread run, the records of the process run, processes started)."""
    learner = learner_process()  # started (and the learner's module imported) before the watch
    with folder_for_learner() as log_dir:
        func = functools.partial(run_and_record, task, log_dir)
        with LearnersRunningWorkers(learner) as running:
            got = ex.compare(func, items, workers=workers)
        records = read_records(log_dir)
    started = len(running.seen)
    shaped = (
        isinstance(got, dict)
        and all(isinstance(got.get(key), float) and got[key] > 0 for key in ("threads", "processes"))
        and got.get("faster") in ("threads", "processes")
    )
    assert shaped, (
        f"Called {call}; got {got!r:.300}, expected {{'threads': seconds, 'processes': seconds, 'faster': "
        "'threads' or 'processes'}, with the seconds as positive floats."
    )
    here = learner.process.pid  # where compare ran: its threads' calls are recorded with this pid
    in_threads = [record for record in records if record.pid == here]
    in_processes = [record for record in records if record.pid != here]
    assert (len(in_threads), len(in_processes)) == (len(items), len(items)), (
        f"Called {call}; {len(in_threads)} calls ran in this process (threads) and {len(in_processes)} in other "
        f"processes, expected {len(items)} of each: map every item once on a ThreadPoolExecutor (threads of this "
        "process) and once on a ProcessPoolExecutor."
    )
    threads = {record.thread for record in in_threads}
    assert (len(threads), started) == (workers, workers), (
        f"Called {call}; the thread run used {len(threads)} thread(s) and the process run started {started} "
        f"process(es), expected {workers} and {workers}: make each executor with max_workers=workers. Left out, "
        "the defaults differ (threads: CPUs + 4; processes: CPUs), and the comparison is not fair."
    )
    expected_faster = "processes" if got["processes"] < got["threads"] else "threads"
    assert got["faster"] == expected_faster, (
        f"Called {call}; got {got!r}, expected 'faster': {expected_faster!r}: the one that took less time."
    )
    return got, in_threads, in_processes, running


@points(2)
@deadline(40)
def test_cpu_bound_work_runs_faster_in_processes():
    """On CPU-bound work, two processes beat two threads (which take turns holding the GIL), if two CPUs are free."""
    call = f"compare(sum_squares, [{CPU_N}] * {CPU_TASKS}, workers={CPU_WORKERS})"
    got, _, in_processes, running = comparing(call, sum_squares, [CPU_N] * CPU_TASKS, CPU_WORKERS)
    work = sum(
        record.end - record.start for record in in_processes
    )  # each call alone on a CPU: the serial time
    print(f"threads {got['threads']:.2f} s, processes {got['processes']:.2f} s; the work alone {work:.2f} s")
    measured = got["threads"] >= FLOOR_SHARE * work and got["processes"] >= FLOOR_SHARE * work / CPU_WORKERS
    assert measured, (
        f"Called {call}; got threads {got['threads']:.3f} s and processes {got['processes']:.3f} s, but the work alone "
        f"takes {work:.2f} s: the clock stopped before the work was done. executor.map is lazy: take every result "
        "(list(...)) before you read the clock, and read it after the `with` block."
    )
    usable = mpbook.usable_cpus()
    if usable < 2:
        print(f"this process may use {usable} CPU: processes cannot be faster here.")
        return
    if got["processes"] < PROCESS_SHARE * got["threads"]:
        return
    together = running.together()
    assert together >= TOGETHER_SHARE, (
        f"Called {call}; processes took {got['processes']:.2f} s against {got['threads']:.2f} s for threads, expected "
        f"well under {PROCESS_SHARE:.0%} of it, and the worker processes rarely computed at the same time "
        f"({together:.0%}). Run the second timing on a ProcessPoolExecutor(max_workers=workers), the whole list in one map."
    )
    print(
        f"processes were not faster, but computed at the same time ({together:.0%}; load average "
        f"{load_average():.1f} on {usable} CPUs): the machine is busy. Passed on the evidence of the workers."
    )


@points(1)
def test_waiting_work_is_no_slower_in_threads():
    """On work that waits (sleep), four threads are at least as fast as four processes, which pay to start."""
    call = f"compare(sleep_for, [{IO_S}] * {IO_TASKS}, workers={IO_WORKERS})"
    got, _, _, _ = comparing(call, sleep_for, [IO_S] * IO_TASKS, IO_WORKERS)
    print(f"threads {got['threads']:.2f} s, processes {got['processes']:.2f} s")
    least = IO_S * IO_TASKS / IO_WORKERS
    assert got["threads"] >= FLOOR_SHARE * least, (
        f"Called {call}; got threads {got['threads']:.3f} s, but {IO_TASKS} waits of {IO_S} s on {IO_WORKERS} threads "
        f"take at least {least:.1f} s: the clock stopped before the work was done. Take every result (list(...))."
    )
    assert got["threads"] <= got["processes"] + SLACK_S, (
        f"Called {call}; threads took {got['threads']:.2f} s and processes {got['processes']:.2f} s, expected threads "
        "at least as fast: sleeping threads overlap, and they cost nothing to start. Was the executor of the first "
        "timing really a ThreadPoolExecutor(max_workers=workers)?"
    )
