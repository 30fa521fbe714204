"""Checks for ex19_find_the_hang.

The learner's module runs in a process of its own (mpbook.grading.boundary). What run_with_watchdog and
square_all return, how long they take and the processes they leave running are seen from the
trusted side; only how many workers square_all starts (they live a few ms) comes from probes.py.
"""

from mpbook import _processes
from mpbook.failures import wait_on_held_lock
from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex19_find_the_hang import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.pooling import sleep_for

ex = exercise("ex19_find_the_hang")

LIMIT_S = 10  # each call here returns within about two seconds of its start, spawn included
WATCH_S = 1.0  # the watchdog's delay in the hang test; the task would wait HANG_S
HANG_S = 30
SLACK_S = 4  # the dump comes WATCH_S after the child started; starting it takes well under a second
PAYLOAD = 1_000_000  # bytes: more than a pipe holds (64 KB), so it must be read before the child can exit


def watching(call: str, func, args, seconds):
    """Return (what run_with_watchdog returned, seconds taken), or fail the test if it does not return in time."""
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        return call_with_limit(LIMIT_S, ex.run_with_watchdog, func, args, seconds=seconds)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s. Wait for whichever comes first, a result or "
            "the child's end (multiprocessing.connection.wait on the receiving end and child.sentinel), and read "
            "the result before you join(): a child sending a large result cannot exit until it has been read."
        ) from None


@points(1)
def test_watchdog_returns_the_result():
    """A function that returns in time gives (its result, ""), at once, a 1 MB result too."""
    for func, args, expected, shown in (
        (pow, (2, 100), 2**100, "pow, (2, 100)"),
        (sleep_for, (0.3,), 0.3, "sleep_for, (0.3,)"),
        (bytes, (PAYLOAD,), bytes(PAYLOAD), f"bytes, ({PAYLOAD},)"),
    ):
        call = f"run_with_watchdog({shown}, seconds=5)"
        got, seconds = watching(call, func, args, 5)
        described = f"{got!r:.120}" if not isinstance(got, tuple) else f"({got[0]!r:.60}, {got[1]!r:.200})"
        assert got == (expected, ""), (
            f"Called {call}; got {described}, expected ({expected!r:.60}, ''): the function returned in time, so its "
            "result, and no stacks. Send the result from the child (a Pipe), and cancel the watchdog "
            "(faulthandler.cancel_dump_traceback_later()) once func has returned."
        )
        assert seconds < 3, (
            f"Called {call}; it took {seconds:.1f} s, expected well under the 5 s of the watchdog: return as soon as "
            "the result has arrived, do not wait for the watchdog's time."
        )


@points(2)
def test_watchdog_shows_where_it_hangs():
    """A function stuck for 30 s gives (None, a stack dump naming it) after about 1 s, and leaves no process behind."""
    call = f"run_with_watchdog(wait_on_held_lock, ({HANG_S},), seconds={WATCH_S})"
    got, seconds = watching(call, wait_on_held_lock, (HANG_S,), WATCH_S)
    shaped = isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], str)
    assert shaped, f"Called {call}; got {got!r:.300}, expected (None, the text of the stack dump)."
    result, text = got
    assert result is None, (
        f"Called {call}; got ({result!r:.100}, ...), expected None: the function never returned."
    )
    names_it = "wait_on_held_lock" in text and "File " in text
    assert names_it, (
        f"Called {call}; the text returned does not show the stuck function: {text[:600]!r}. faulthandler dumps the "
        "threads of the process it runs in: arm dump_traceback_later in the CHILD (in call_and_send, before calling "
        "func), writing to the file at dump_path, and give that file's text back."
    )
    assert seconds < WATCH_S + SLACK_S, (
        f"Called {call}; the dump came after {seconds:.1f} s, expected about {WATCH_S} s after the child started. "
        "With dump_traceback_later(seconds, exit=True, ...) the child ends right after the dump: wait for that "
        "(child.sentinel), not for a long timeout."
    )
    left = learner_process().descendants(settle_s=1.0)
    assert not left, (
        f"Called {call}; it returned, but {len(left)} process(es) were still running: {_processes.describe(left)}. "
        "Make sure the child has ended before returning: exit=True ends it after the dump; kill() and join() "
        "it if it is still alive."
    )


def squaring(numbers, workers, counted: bool = False):
    """Return (square_all(numbers, workers=workers), seconds), or fail the test if it hangs.

    counted: call it through probes.starts, and return (processes it started, seconds) instead.
    """
    call = f"square_all({numbers!r}, workers={workers})"
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        if counted:
            seen, seconds = call_with_limit(LIMIT_S, in_learner_process, probes.starts, numbers, workers)
            got = seen["got"]
        else:
            got, seconds = call_with_limit(LIMIT_S, ex.square_all, numbers, workers=workers)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s: it hangs. Look where with "
            f"run_with_watchdog(square_all_hangs, ({numbers!r}, {workers}), seconds=2): which call waits, and for "
            "what? Then count what it waits for against what was sent."
        ) from None
    expected = [x * x for x in numbers]
    assert got == expected, f"Called {call}; got {got!r:.200}, expected {expected!r:.200}."
    return (seen["started"] if counted else got), seconds


@points(2)
def test_square_all_does_not_hang():
    """square_all returns, and right away, when there are fewer numbers than workers, or none."""
    for numbers, workers in (([3], 2), ([], 3), ([1, 2, 3], 4)):
        squaring(numbers, workers)
    # A "fix" that only puts a timeout on get() and carries on after it still waits that timeout out.
    _, full = squaring([3, 4], 2)
    _, short = squaring([3], 2)
    assert short < 2 * full + 0.5, (
        f"Called square_all([3], workers=2); it took {short:.1f} s, while square_all([3, 4], workers=2) took "
        f"{full:.1f} s: it waits for something that never comes until a timeout runs out. A timeout makes the hang "
        "fail fast; it does not fix it. Count the None sentinels you wait for against the processes you started."
    )


@points(1)
def test_square_all_uses_workers():
    """square_all still squares in worker processes, at most `workers` of them, and joins them."""
    numbers = list(range(50))
    started, _ = squaring(numbers, 3, counted=True)
    alive = [process.pid for process in learner_process().descendants()]
    assert 1 <= started <= 3, (
        f"Called square_all(list(range(50)), workers=3); {started} process(es) were started, expected up to 3: "
        "fix the hang, but keep the work in the worker processes."
    )
    assert not alive, (
        f"Called square_all(list(range(50)), workers=3); workers {alive} were still running: join them."
    )
