"""Checks for ex18_run_with_timeout.

The checks time every call and look at each child from the trusted side, by its pid, through the
process tree: still running, a zombie nobody joined, or gone; and whether any process was left
behind. The learner's module runs in a process of its own (mpbook.grading.boundary), so nothing it does there
can change what is seen here. What only the child's parent can see (its exit code, whether join() or
close() was called after its end) comes from probes.py and is judged here.
"""

import signal
import time

import psutil

from mpbook.grading.boundary import ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex18_run_with_timeout import probes
from mpbook.messaging import ignore_sigterm_and_sleep
from mpbook.pooling import EXIT_CODE, exit_abruptly_on
from mpbook.workers import raise_if_negative, sleep_and_return, square

ex = exercise("ex18_run_with_timeout")

SLACK_S = 1.5  # stopping a child takes milliseconds; 1.5 s covers a slow start on a loaded machine
SETTLE_S = 1  # a child just sent SIGTERM is dead (or a zombie) within milliseconds; 1 s is generous


def watched(func, args: tuple, timeout: float, *, with_ready: bool = False) -> tuple[dict, float]:
    """Return (what probes.run saw of run_with_timeout(func, args, timeout), its seconds timed here).

    The processes seen from here while it ran are added as seen["watched_pids"].
    """
    learner = learner_process()  # started (and the learner's module imported) before the clock starts
    with ProcessWatch(learner) as watch:
        started = time.perf_counter()
        seen = in_learner_process(probes.run, func, args, timeout, with_ready)
        elapsed = time.perf_counter() - started
    seen["watched_pids"] = {pid for pid, _created in watch.seen}
    return seen, elapsed


def assert_seen_running(call: str, seen: dict) -> None:
    """Assert each child the probe reports was seen running from here (they all live a second or more)."""
    unseen = [child["pid"] for child in seen["children"] if child["pid"] not in seen["watched_pids"]]
    assert not unseen, (
        f"Called {call}; the child(ren) {unseen} it reported were never seen running from the grader's side. "
        "Run func in a real child process: mp.Process(target=run_and_send, ...)."
    )


def state_of(pid: int) -> str:
    """Return "gone", "zombie" or "running" for the process pid, without reaping it."""
    try:
        status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return "gone"
    return "zombie" if status == psutil.STATUS_ZOMBIE else "running"


def assert_nothing_left(call: str, seen: dict, *, killed: bool) -> None:
    """Assert every process the call started is gone and reaped (and, if killed, ended by a signal)."""
    children = seen["children"]
    assert children, (
        f"Called {call}; it started no process. Run func in a child: mp.Process(target=run_and_send, ...)."
    )
    for child in children:
        state = state_of(child["pid"])
        settle_by = time.monotonic() + SETTLE_S
        while state == "running" and time.monotonic() < settle_by:  # a signal just sent takes a moment
            time.sleep(0.02)
            state = state_of(child["pid"])
        assert state != "running", (
            f"Called {call}; a second after it returned, its child (pid {child['pid']}) was still running. "
            + (
                "Stop it when the time is up: terminate(), join(timeout=TERMINATE_GRACE_S), and kill() if it "
                "is still alive (terminate() sends SIGTERM, which a process can ignore)."
                if killed
                else "join() the child before returning."
            )
        )
        assert state != "zombie", (
            f"Called {call}; its child (pid {child['pid']}) had ended but was never joined: it is a zombie, "
            "an entry in the process table waiting for its parent to collect the exit status. "
            "join(timeout=REAP_TIMEOUT_S) collects it: call it in every case, after the result came or after "
            "terminate()/kill()."
        )
        assert child["reaped"], (
            f"Called {call}; its child (pid {child['pid']}) had ended, but join() was never called on it after "
            "its end. Under fork and spawn it would be a zombie, an entry in the process table waiting for its "
            "parent to collect the exit status: join(timeout=REAP_TIMEOUT_S) collects it. Call it in every case, "
            "after the result came or after terminate()/kill()."
        )
        exitcode = child["exitcode"]
        if killed:
            stopped = exitcode is not None and exitcode < 0
            assert stopped, (
                f"Called {call}; the child ended with exit code {exitcode}, expected a negative one "
                "(-15 after terminate(), -9 after kill()): the child must be stopped, not left to finish."
            )
    left = [process.pid for process in learner_process().descendants()]
    assert not left, (
        f"Called {call}; these processes were still alive afterwards: {left}. join() every child."
    )


@points(1)
def test_fast_function_returns_its_result():
    """A function that returns in time gives ("ok", its result), and its child is joined."""
    seen, _ = watched(square, (7,), 20)
    got = seen["got"]
    assert got == ("ok", 49), (
        f"Called run_with_timeout(square, (7,), 20); got {got!r}, expected ('ok', 49). "
        "The child sends ('ok', func(*args)) and the parent returns what it received."
    )
    assert_nothing_left("run_with_timeout(square, (7,), 20)", seen, killed=False)
    got = ex.run_with_timeout(sleep_and_return, (0.2, "done"), 20)
    assert got == ("ok", "done"), (
        f"Called run_with_timeout(sleep_and_return, (0.2, 'done'), 20); got {got!r}, expected ('ok', 'done')."
    )


@points(1)
def test_large_result_is_not_mistaken_for_a_hang():
    """A function that returns 1 MB at once gives ("ok", those bytes), well before its timeout of 10 s."""
    payload = b"x" * 1_000_000
    call = "run_with_timeout(sleep_and_return, (0, payload), 10) with a payload of 1 MB"
    seen, elapsed = watched(sleep_and_return, (0, payload), 10)
    got = seen["got"]
    same = isinstance(got, tuple) and got == ("ok", payload)
    assert same, (
        f"Called {call}; got {got!r:.80}, expected ('ok', payload). A child that sends 1 MB cannot finish "
        "until the parent reads it: a pipe holds only about 64 KB. Do not join() the child, or wait for it "
        "to end, before you recv() its result; wait for the message itself."
    )
    assert elapsed < 5, (
        f"Called {call}; it returned the right bytes after {elapsed:.1f} s, though the function returns at once. "
        "Read the result as soon as it arrives: wait for the message, not for the child's exit."
    )
    assert_nothing_left(call, seen, killed=False)


@points(2)
def test_slow_function_is_stopped_at_the_deadline():
    """sleep_and_return(30) with timeout=1 gives ("timeout", None) within about a second, killed and reaped."""
    call = "run_with_timeout(sleep_and_return, (30,), 1)"
    seen, elapsed = watched(sleep_and_return, (30,), 1)
    got = seen["got"]
    assert got == ("timeout", None), f"Called {call}; got {got!r}, expected ('timeout', None)."
    assert elapsed < 1 + SLACK_S, (
        f"Called {call}; it returned after {elapsed:.1f} s, expected about 1 s. "
        "Wait at most `timeout` seconds, then stop the child at once: terminate(), a short join(), kill()."
    )
    assert_nothing_left(call, seen, killed=True)
    assert_seen_running(call, seen)
    exitcode = seen["children"][0]["exitcode"]
    if hasattr(signal, "SIGKILL"):  # POSIX: on Windows terminate() and kill() are the same call
        assert exitcode == -signal.SIGTERM, (
            f"Called {call}; the child, which does not ignore SIGTERM, ended with exit code {exitcode}, expected "
            f"{-signal.SIGTERM} (ended by terminate()'s SIGTERM). Ask politely first: terminate(), then "
            "join(timeout=TERMINATE_GRACE_S), and kill() only if it is still alive; SIGKILL gives the child no "
            "chance to run its clean-up."
        )


@points(1)
@deadline(30)
def test_child_that_ignores_sigterm_is_killed():
    """A child that ignores SIGTERM is still stopped: kill() after terminate() did not end it."""
    call = "run_with_timeout(ignore_sigterm_and_sleep, (30, ready), 1)"
    # ready: an Event made in the learner's process (probes.run), set by the child once it ignores SIGTERM
    seen, elapsed = watched(ignore_sigterm_and_sleep, (30,), 1, with_ready=True)
    got = seen["got"]
    assert got == ("timeout", None), f"Called {call}; got {got!r}, expected ('timeout', None)."
    assert_nothing_left(call, seen, killed=True)
    assert_seen_running(call, seen)
    if hasattr(signal, "SIGKILL") and seen["ready"]:
        exitcode = seen["children"][0]["exitcode"]
        assert exitcode == -signal.SIGKILL, (
            f"Called {call}; the child, which ignores SIGTERM, ended with exit code {exitcode}, "
            f"expected {-signal.SIGKILL} (killed by SIGKILL)."
        )
    assert elapsed < 1 + 3 + SLACK_S, (
        f"Called {call}; it returned after {elapsed:.1f} s, expected about 2 s (1 s of timeout and a short grace "
        "after terminate()). Give terminate() a second or so, then kill()."
    )


@points(1)
def test_exception_is_reported():
    """A function that raises gives ("error", "ValueError: negative input: -1")."""
    call = "run_with_timeout(raise_if_negative, (-1,), 20)"
    seen, _ = watched(raise_if_negative, (-1,), 20)
    got = seen["got"]
    expected = ("error", "ValueError: negative input: -1")
    is_error = isinstance(got, tuple) and len(got) == 2 and got[0] == "error"
    assert is_error, (
        f"Called {call}; got {got!r}, expected {expected!r}. "
        "In the child, catch the exception and send ('error', f'{type(exc).__name__}: {exc}')."
    )
    described = "ValueError" in str(got[1]) and "negative input: -1" in str(got[1])
    assert described, (
        f"Called {call}; got {got!r}, expected {expected!r}: name the exception and give its message."
    )
    assert_nothing_left(call, seen, killed=False)


@points(1)
def test_crashed_child_is_an_error_at_once():
    """A child that dies without sending anything gives ("error", ...) with its exit code, without waiting for the timeout."""
    call = "run_with_timeout(exit_abruptly_on, (1, 1), 10)"
    seen, elapsed = watched(exit_abruptly_on, (1, 1), 10)
    got = seen["got"]
    with_code = (
        isinstance(got, tuple) and len(got) == 2 and got[0] == "error" and str(EXIT_CODE) in str(got[1])
    )
    assert with_code, (
        f"Called {call}; got {got!r}. exit_abruptly_on(1, 1) ends its process with os._exit({EXIT_CODE}): "
        f"nothing is sent, no exception is raised. Expected ('error', '... exit code {EXIT_CODE} ...'): "
        "recv() raises EOFError once the child is gone (if the parent closed its own send_end); "
        "then join() the child and report its exitcode."
    )
    assert elapsed < 5, (
        f"Called {call}; it returned after {elapsed:.1f} s, though the child was gone in well under a second. "
        "Wait for the child's end as well as for its message: connection.wait([receive_end, child.sentinel], ...)."
    )
    assert_nothing_left(call, seen, killed=False)
