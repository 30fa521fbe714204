"""Checks for ex17_survive_dead_worker.

func is mpbook.practice.exit_on with a log folder: it writes down every run of every item (the
runs that kill their worker included) before it does anything else, so the checks can count how
many times each item ran, and in which process.

The learner's module runs in a process of its own (mpbook.grading.boundary): run_surviving is called there
and its dict comes back as plain data; the log folder is read here, and the worker processes are
seen from here, through the process tree.
"""

import functools
from collections import Counter

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import exercise, folder_for_learner, learner_process, points
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.practice import exit_on, read_records

ex = exercise("ex17_survive_dead_worker")

LIMIT_S = 10  # the longest run here needs about 2 s: a few executors started one after another


def surviving(call: str, items, workers: int, retries: int, **task):
    """Return (what run_surviving returned, how many times each item ran, the pids that ran them)."""
    with folder_for_learner() as log_dir:
        func = functools.partial(exit_on, log_dir=log_dir, **task)
        try:
            got, _seconds = call_with_limit(
                LIMIT_S, ex.run_surviving, func, items, workers=workers, retries=retries
            )
        except DidNotReturn:
            runs = Counter(record.item for record in read_records(log_dir))
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s, by which time the items had run "
                f"{dict(sorted(runs.items()))} times. Is there a limit on the retries (at most `retries` more runs "
                "of a lost item)? multiprocessing.Pool would wait forever for a task whose worker died: use "
                "ProcessPoolExecutor, which raises BrokenProcessPool."
            ) from None
        records = read_records(log_dir)
    return got, Counter(record.item for record in records), {record.pid for record in records}


def unpack(call: str, got) -> tuple[dict, list]:
    """Return got's results and lost, or fail with a message if got is not shaped as the contract says."""
    shaped = (
        isinstance(got, dict) and isinstance(got.get("results"), dict) and isinstance(got.get("lost"), list)
    )
    assert shaped, (
        f"Called {call}; got {got!r:.300}, expected a dict {{'results': {{item: result}}, 'lost': [items]}}."
    )
    return got["results"], got["lost"]


@points(1)
def test_every_result_when_no_worker_dies():
    """With no task dying, every item runs once, in `workers` processes, and every result comes back."""
    items = list(range(9))
    call = "run_surviving(func, list(range(9)), workers=3, retries=2) where no task kills its worker"
    learner = learner_process()  # started (and the learner's module imported) before the watch
    with ProcessWatch(learner) as watch:
        got, runs, pids = surviving(call, items, workers=3, retries=2, seconds=0.1)
    started = watch.started
    results, lost = unpack(call, got)
    expected = {item: item * item for item in items}
    assert results == expected, f"Called {call}; got results {results!r}, expected {expected!r}."
    assert lost == [], f"Called {call}; got lost {lost!r}, expected []: no worker died."
    assert max(runs.values()) == 1, (
        f"Called {call}; items ran {dict(runs)} times, expected once each: nothing was lost, so nothing is retried."
    )
    assert learner.process.pid not in pids, (
        f"Called {call}; some items ran in this process: submit them to the executor."
    )
    assert started == 3, (
        f"Called {call}; {started} process(es) were started, expected 3: ProcessPoolExecutor(max_workers=workers)."
    )


@points(2)
def test_retries_only_what_was_lost():
    """When the last task kills its worker once, it is run again and succeeds; the tasks that had finished are not re-run."""
    items = list(range(10))
    call = "run_surviving(func, list(range(10)), workers=2, retries=2) where item 9 kills its worker the first time only"
    got, runs, _ = surviving(call, items, workers=2, retries=2, once=(9,), seconds=0.1)
    results, lost = unpack(call, got)
    expected = {item: item * item for item in items}
    assert lost == [], (
        f"Called {call}; got lost {lost!r}, expected []: item 9 kills its worker only the first time, so one retry "
        "gets its result. Catch BrokenProcessPool, then run the lost items again in a NEW executor (a broken one "
        "refuses new work)."
    )
    assert results == expected, f"Called {call}; got results {results!r}, expected {expected!r}."
    # Items 0-7 finish before item 9 starts; only 9, and 8 if it was still running beside it, are lost.
    most = len(items) + 3
    assert sum(runs.values()) <= most, (
        f"Called {call}; the items ran {sum(runs.values())} times in all ({dict(sorted(runs.items()))}), expected at "
        f"most {most}: the tasks that finished before the worker died keep their results, and run only once. "
        "Retry only the items whose future raised BrokenProcessPool."
    )


@points(2)
def test_reports_the_task_that_always_kills():
    """A task that kills its worker every time runs 1 + retries times and is reported; the bystanders it took down are not."""
    items = list(range(4))
    call = (
        "run_surviving(func, list(range(4)), workers=2, retries=2) where item 0 kills its worker every time"
    )
    got, runs, _ = surviving(call, items, workers=2, retries=2, always=(0,), seconds=0.3)
    results, lost = unpack(call, got)
    expected = {item: item * item for item in items if item != 0}
    assert sorted(lost, key=repr) == [0], f"Called {call}; got lost {lost!r}, expected [0]. " + (
        "Items 1-3 were only bystanders: they were lost because item 0 broke the pool while they ran or waited. "
        "A broken pool fails every unfinished task, so run each lost item again ALONE (a fresh executor of one "
        "worker): then a break can only be that item's own doing."
        if set(lost) - {0}
        else "Report an item whose every run killed its worker."
    )
    assert results == expected, f"Called {call}; got results {results!r}, expected {expected!r}."
    assert runs[0] == 3, (
        f"Called {call}; item 0 ran {runs[0]} times, expected 3: once with the others, then `retries` = 2 more "
        "times, alone. Give up after the last retry."
    )
