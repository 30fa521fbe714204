"""Checks for ex15_collect_errors.

The learner's module runs in a process of its own (mpbook.grading.boundary): map_collecting_errors is
called there, its two dicts come back as plain data, and the worker processes it starts are seen
from here, through the process tree, not counted by code its own process could rewrite.
"""

import time

from mpbook.grading.boundary import ImportFailed, LearnerEnded, LearnerMissing, LearnerRaised, ProcessWatch
from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex15_collect_errors import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.pooling import sleep_for
from mpbook.workers import raise_if_negative, square

ex = exercise("ex15_collect_errors")

SLEEPS = [0.3] * 12  # 3.6 s one after another; about 1.8 s on two workers, plus starting them
SPEED_SHARE = 0.8  # two workers need about 0.6 of the serial time here; one at a time needs all of it
SHORT_RESULT_S = 0.1  # RESULT_TIMEOUT_S for the test of the timeout
LATE_S = 0.6  # that test's task: late by 0.5 s (the pool still waits for it as it shuts down)
LIMIT_S = 8  # a pool of one starts in well under a second; then 0.6 s for the late task


def expected_for(func, items: list) -> tuple[dict, dict]:
    """Return what map_collecting_errors(func, items) should return, computed here, one call at a time."""
    successes, failures = {}, {}
    for index, item in enumerate(items):
        try:
            successes[index] = func(item)
        except Exception as exc:  # noqa: BLE001 -- the expected answer describes every failure
            failures[index] = f"{type(exc).__name__}: {exc}"
    return successes, failures


def nudge(got, expected: tuple[dict, dict]) -> str:
    """Return what most likely went wrong, for a failure message."""
    if not (isinstance(got, tuple) and len(got) == 2 and all(isinstance(part, dict) for part in got)):
        return " Return a tuple of two dicts: (successes, failures)."
    (successes, failures), (want_successes, want_failures) = got, expected
    if set(failures) == set(want_failures) and failures != want_failures:
        index = next(i for i in want_failures if failures[i] != want_failures[i])
        return (
            f" The failures are at the right indexes, but failures[{index}] is {failures[index]!r}, expected "
            f'{want_failures[index]!r}: describe each as f"{{type(exc).__name__}}: {{exc}}" (the describe function).'
        )
    if len(want_failures) > 1 and len(failures) == 1:
        return (
            " Only one failure was reported. Pool.map (and a single map_async(...).get()) raises the first "
            "exception and drops everything else: ask each task for its own result, one future per item."
        )
    if want_successes and not successes:
        return " No success was kept: one task's exception must not discard the other tasks' results."
    if set(successes) | set(failures) != set(range(len(successes) + len(failures))) or (
        set(successes) & set(failures)
    ):
        return (
            " Key both dicts by the item's index in items (0, 1, 2 ...), each index in exactly one of them."
        )
    return " Each index goes in exactly one dict: successes if func(item) returned, failures if it raised."


def shown_call(func, items: list, **kwargs) -> str:
    """Return the call as a learner would write it, for a failure message."""
    shown = ", ".join([func.__name__, repr(items), *(f"{key}={value!r}" for key, value in kwargs.items())])
    return f"Called map_collecting_errors({shown})"


def run(func, items: list, **kwargs):
    """Return map_collecting_errors(func, items, **kwargs); an exception it lets out becomes a failure with a nudge."""
    try:
        return ex.map_collecting_errors(func, items, **kwargs)
    except (NotImplementedError, LearnerMissing, LearnerEnded, ImportFailed):
        raise  # not written yet, no such function, a process that ended: the grader says so
    except Exception as exc:
        name, message = (
            (exc.raised.type_name, exc.raised.message)
            if isinstance(exc, LearnerRaised)
            else (type(exc).__name__, str(exc))
        )
        raise AssertionError(
            f"{shown_call(func, items, **kwargs)}; it raised {name}: {message}. "
            "A failing task must not stop the call: catch each task's exception where you ask for its result "
            "(try: future.result(timeout=...) except Exception as exc: ...) and record describe(exc) in failures. "
            "Pool.map cannot do this: it raises the first error and drops every other result."
        ) from exc


def check_call(func, items: list, **kwargs) -> None:
    """Assert that map_collecting_errors(func, items) returns the successes and failures computed here."""
    got = run(func, items, **kwargs)
    expected = expected_for(func, items)
    assert got == expected, (
        f"{shown_call(func, items, **kwargs)}; got {got!r}, expected {expected!r}." + nudge(got, expected)
    )


@points(2)
def test_every_success_and_every_failure():
    """With three negative inputs among seven, the four results and all three errors come back, by index."""
    check_call(raise_if_negative, [3, -1, 2, -7, 0, 5, -2])


@points(1)
def test_each_exception_type_is_kept():
    """A TypeError and a ValueError from the same map are each reported with their own type and message."""
    check_call(raise_if_negative, [1, "two", -3, 4.5, None])


@points(1)
def test_all_succeed_all_fail_or_nothing():
    """All successes gives an empty failures dict, all failures an empty successes dict, no items two empty dicts."""
    check_call(square, list(range(6)))
    check_call(raise_if_negative, [-1, -2, -3])
    check_call(square, [])


@points(1)
def test_tasks_run_at_the_same_time():
    """Twelve tasks sleeping 0.3 s, with two failures among them, finish on two workers well before 3.6 s."""
    items = [*SLEEPS[:3], -1, *SLEEPS[3:8], "soon", *SLEEPS[8:]]
    learner = learner_process()  # started (and the learner's module imported) before the clock starts
    with ProcessWatch(learner) as watch:
        begun = time.perf_counter()
        got = run(sleep_for, items, workers=2)
        elapsed = time.perf_counter() - begun
    started = watch.started
    print(f"{elapsed:.2f} s for {sum(SLEEPS):.1f} s of sleeps")
    # sleep_for(0.3) returns 0.3; only the failing items are really called here, to get their errors
    expected = expected_for(lambda item: item if isinstance(item, float) else sleep_for(item), items)
    call = shown_call(sleep_for, items, workers=2)
    assert got == expected, f"{call}; got {got!r}, expected {expected!r}." + nudge(got, expected)
    assert elapsed < SPEED_SHARE * sum(SLEEPS), (
        f"{call}; it took {elapsed:.1f} s, but the sleeps add up to {sum(SLEEPS):.1f} s, and two workers "
        f"sharing them need about half that. Expected under {SPEED_SHARE * sum(SLEEPS):.1f} s. Submit every task "
        "first, then collect the results: asking for each result right after submitting it runs one task at a "
        "time, and so does calling func here, in this process."
    )
    assert started >= 2, (
        f"{call}; the answer was right, but {started} process(es) were started, expected 2: "
        "run the tasks on a pool of `workers` processes (a ThreadPoolExecutor starts none)."
    )


@points(1)
def test_uses_as_many_processes_as_workers():
    """With workers=3 on a machine of any size, the tasks run on three worker processes."""
    items = [0.2] * 6
    with ProcessWatch(learner_process()) as watch:
        got = run(sleep_for, items, workers=3)
    started = watch.started
    call = shown_call(sleep_for, items, workers=3)
    assert got == ({index: 0.2 for index in range(6)}, {}), f"{call}; got {got!r}, expected every 0.2 back."
    assert started == 3, (
        f"{call}; {started} worker process(es) were started, expected 3. Make the pool with `workers` "
        "processes: ProcessPoolExecutor(max_workers=workers). Without it, the pool has one per CPU."
    )


@points(1)
def test_gives_up_on_a_late_result():
    """With RESULT_TIMEOUT_S shortened to 0.1 s, a task that takes 0.6 s is reported as a TimeoutError failure."""
    call = f"Called map_collecting_errors(sleep_for, [{LATE_S}], workers=1) with RESULT_TIMEOUT_S = {SHORT_RESULT_S}"
    try:
        outcome, seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.with_result_timeout, SHORT_RESULT_S, sleep_for, [LATE_S], 1
        )
    except DidNotReturn:
        raise AssertionError(f"{call}; it had not returned after {LIMIT_S} s.") from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        raise AssertionError(
            f"{call}; it raised {type_name.removeprefix('builtins.')}: {message}. A result that does not come in "
            "time is a failure like any other: catch the TimeoutError of future.result(timeout=RESULT_TIMEOUT_S) "
            "and record describe(exc) in failures."
        )
    got = outcome[1]
    timed_out = isinstance(got, tuple) and got[0] == {} and str(got[1].get(0, "")).startswith("TimeoutError")
    assert timed_out, (
        f"{call}; got {got!r} after {seconds:.1f} s, expected ({{}}, {{0: 'TimeoutError: '}}). Each result is "
        "waited for at most RESULT_TIMEOUT_S, so that a stuck task cannot hold up the call forever: "
        "future.result(timeout=RESULT_TIMEOUT_S), with the constant, not a number, and its TimeoutError "
        "recorded in failures."
    )
