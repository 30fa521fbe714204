"""Checks for ex03_fix_pickling.

The learner's module runs in a process of its own (mpbook.grading.boundary). The pool's workers are
counted from the trusted side, through the process tree; changing RESULT_TIMEOUT_S and starting
by spawn happen inside the learner's process (probes.py), and are judged here.
"""

import os

from mpbook.grading.boundary import LearnerRaised, ProcessWatch
from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex03_fix_pickling import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex03_fix_pickling")

# More workers than this machine has CPUs (3 on 2 CPUs), so that mp.Pool() without a number shows.
WORKERS = 4 if os.cpu_count() == 3 else 3
SHORT_RESULT_S = 0.5  # RESULT_TIMEOUT_S for the test of the timeout: the lost result is given up after 0.5 s
LIMIT_S = 8  # a pool of 3 starts in well under a second; the get() then gives up after 0.5 s
MP_TIMEOUT = "multiprocessing.context.TimeoutError"  # what get(timeout=...) raises, by its full name

PICKLE_ADVICE = (
    "A pool pickles the function of every task to send it to a worker, and pickle sends a function by its "
    "module and name, for the worker to import. A lambda has no name, and a function defined inside another "
    "function cannot be imported: write a function at the top of the module and fix its extra arguments "
    "with functools.partial."
)


PICKLING_ERRORS = ("PicklingError", "AttributeError", "TypeError")


def call(name: str, *args, spawn: bool = False, **kwargs):
    """Return ex.<name>(*args, **kwargs) (under spawn: through a probe); a pickling error becomes a failure that
    says what to do."""
    shown = ", ".join([*map(repr, args), *(f"{key}={value!r}" for key, value in kwargs.items())])
    try:
        if spawn:
            return in_learner_process(probes.under_spawn, name, *args, **kwargs)
        return getattr(ex, name)(*args, **kwargs)
    except LearnerRaised as exc:
        raised = exc.raised
        if raised.type_name not in PICKLING_ERRORS or "pickle" not in raised.message.lower():
            raise
        raise AssertionError(
            f"Called {name}({shown}); it raised {raised.type_name}: {raised.message}. {PICKLE_ADVICE}"
        ) from None


def expect(name: str, args: tuple, expected: list, spawn: bool = False, **kwargs) -> None:
    """Assert that ex.<name>(*args, **kwargs) returns expected (called under spawn if spawn)."""
    got = call(name, *args, spawn=spawn, **kwargs)
    shown = ", ".join([*map(repr, args), *(f"{key}={value!r}" for key, value in kwargs.items())])
    nudge = ""
    if isinstance(got, list) and len(got) == len(expected):
        nudge = (
            " Two usual causes. partial(f, a) puts a BEFORE the item, so f(a, item): fix the extra arguments by "
            "name, partial(f, low=low), to be sure. And a worker started by spawn imports your module afresh: a "
            "module global the parent changed still has its first value there, so pass every value as an argument."
        )
    assert got == expected, f"Called {name}({shown}); got {got!r}, expected {expected!r}.{nudge}"


@points(1)
def test_scale_all():
    """scale_all multiplies every number by the factor it is given, on a pool, in input order."""
    expect("scale_all", ([1, 2.5, -3, 0], 2), [2, 5.0, -6, 0])
    expect("scale_all", ([4, 10, 7], -0.5), [-2.0, -5.0, -3.5])
    expect("scale_all", ([], 3), [])


@points(1)
def test_clip_all():
    """clip_all clips every number to the bounds it is given, on a pool, in input order."""
    expect("clip_all", ([-5, 0, 3, 12, 7.5], 0, 10), [0, 0, 3, 10, 7.5])
    expect("clip_all", ([-5, 0, 3, 12, 7.5], -1, 1), [-1, 0, 1, 1, 1])


@points(1)
def test_work_runs_on_a_pool():
    """Both functions still run their tasks on a pool of exactly `workers` processes, more than the CPUs too."""
    # Numbers that take SLOW_S to compute with: the pool's workers live long enough to be seen from here.
    slow = [probes.SlowNumber(number) for number in (1, 2, 3)]
    learner = learner_process()
    for name, args in (("scale_all", (slow, 2)), ("clip_all", (slow, 0, 2))):
        with ProcessWatch(learner) as watch:
            try:
                call_with_limit(LIMIT_S, call, name, *args, workers=WORKERS)
            except DidNotReturn:
                raise AssertionError(
                    f"Called {name}({', '.join(map(repr, args))}, workers={WORKERS}); it had not returned after "
                    f"{LIMIT_S} s."
                ) from None
        started = watch.started
        shown = ", ".join(map(repr, args))
        assert started == WORKERS, (
            f"Called {name}({shown}, workers={WORKERS}); {started} process(es) were started, expected "
            f"{WORKERS}. Keep the pool, mp.Pool(processes=workers): fix what it is given to run, not whether it "
            f"runs, and give it `workers` (mp.Pool() alone starts one per CPU, {os.cpu_count()} here)."
        )


@points(1)
def test_gives_up_when_a_worker_dies():
    """When a worker dies mid-task its result never comes: each function raises after RESULT_TIMEOUT_S, not hangs."""
    dies = probes.DIES  # a DiesWhenUsed(), made in the learner's process by the probe
    for name, numbers, rest in (
        ("scale_all", [1, dies, 3], (2,)),
        ("clip_all", [1, dies], (0, 2)),
    ):
        listed = ", ".join(number if number == dies else repr(number) for number in numbers)
        shown = ", ".join([f"[{listed}]", *map(repr, rest)])
        called = (
            f"Called {name}({shown}) with RESULT_TIMEOUT_S = {SHORT_RESULT_S}, where DiesWhenUsed() kills "
        )
        called += "the worker that computes with it"
        try:
            outcome, _seconds = call_with_limit(
                LIMIT_S, in_learner_process, probes.with_result_timeout, SHORT_RESULT_S, name, numbers, *rest
            )
        except DidNotReturn:
            raise AssertionError(
                f"{called}; it had not returned after {LIMIT_S} s. A pool replaces a dead worker, but the task "
                "it held is lost, and pool.map() waits for it forever: "
                "pool.map_async(...).get(timeout=RESULT_TIMEOUT_S) gives up, with the constant, not a number."
            ) from None
        if outcome[0] == "raised":
            _, type_name, message = outcome
            if type_name == MP_TIMEOUT:
                continue
            if type_name == "builtins.RuntimeError" and "DiesWhenUsed" in message:
                raise AssertionError(
                    f"{called}; the number was computed with here, in the calling process, not on the pool. "
                    "Hand every task to the pool: pool.map_async(partial(...), numbers)."
                )
            raise AssertionError(f"{called}; it raised {type_name.removeprefix('builtins.')}: {message}")
        raise AssertionError(
            f"{called}; got {outcome[1]!r}, expected multiprocessing.TimeoutError from get(timeout=...)."
        )


@points(2)
def test_works_under_spawn():
    """Under spawn, whatever start method the book uses, both functions return the right numbers."""
    # New values: a worker started by spawn imports the module afresh, so values that only
    # the parent set in module globals never reach it.
    expect("scale_all", ([3, -1, 0.5], 7), [21, -7, 3.5], spawn=True)
    expect("clip_all", ([15, -15, 2], -3, 9), [9, -3, 2], spawn=True)
