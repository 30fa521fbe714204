"""Checks for ex18_run_with_timeout."""

import contextlib
import multiprocessing as mp
import signal
import time
from multiprocessing.process import BaseProcess

import psutil

from mpbook.grading.checking import deadline, exercise, points
from mpbook.messaging import ignore_sigterm_and_sleep
from mpbook.pooling import EXIT_CODE, exit_abruptly_on
from mpbook.workers import raise_if_negative, sleep_and_return, square

ex = exercise("ex18_run_with_timeout")

SLACK_S = 1.5  # stopping a child takes milliseconds; 1.5 s covers a slow start on a loaded machine
SETTLE_S = 1  # a child just sent SIGTERM is dead (or a zombie) within milliseconds; 1 s is generous


@contextlib.contextmanager
def watching_processes():
    """Record every Process started while the block runs: its pid, whether it was joined, its exit code if close()d.

    Yields a list of Watched; close() makes a Process unreadable, so its exit code is kept just before.
    Under forkserver the child is the fork server's, which reaps it: no zombie shows there, so whether
    join() (or close(), which requires the end) was called is recorded too.
    """
    seen = []
    original_start, original_close, original_join = BaseProcess.start, BaseProcess.close, BaseProcess.join

    def start(self):
        result = original_start(self)
        seen.append(Watched(self, self.pid))
        return result

    def close(self):
        for watched in seen:
            if watched.process is self and self._popen is not None:
                watched.closed_exitcode = self._popen.poll()
        result = original_close(self)
        for watched in seen:
            if watched.process is self:
                watched.reaped = True  # close() raises unless the process has ended and been waited for
        return result

    def join(self, timeout=None):
        result = original_join(self, timeout)
        for watched in seen:
            if watched.process is self and self._popen is not None and self._popen.poll() is not None:
                watched.reaped = True
        return result

    BaseProcess.start, BaseProcess.close, BaseProcess.join = start, close, join
    try:
        yield seen
    finally:
        BaseProcess.start, BaseProcess.close, BaseProcess.join = original_start, original_close, original_join


class Watched:
    """A process the learner's code started."""

    def __init__(self, process: BaseProcess, pid: int) -> None:
        self.process, self.pid, self.closed_exitcode = process, pid, None
        self.reaped = False  # set once join() returned after the end, or close() succeeded

    def exitcode(self) -> int | None:
        """Return the exit code (None while running); reaps the process if it is a zombie, so read it last."""
        if self.process._popen is None:
            return self.closed_exitcode
        return self.process._popen.poll()


def state_of(pid: int) -> str:
    """Return "gone", "zombie" or "running" for the process pid, without reaping it."""
    try:
        status = psutil.Process(pid).status()
    except psutil.NoSuchProcess:
        return "gone"
    return "zombie" if status == psutil.STATUS_ZOMBIE else "running"


def assert_nothing_left(call: str, seen: list, *, killed: bool) -> None:
    """Assert every process the call started is gone and reaped (and, if killed, ended by a signal)."""
    assert seen, (
        f"Called {call}; it started no process. Run func in a child: mp.Process(target=run_and_send, ...)."
    )
    for watched in seen:
        state = state_of(watched.pid)
        settle_by = time.monotonic() + SETTLE_S
        while state == "running" and time.monotonic() < settle_by:  # a signal just sent takes a moment
            time.sleep(0.02)
            state = state_of(watched.pid)
        assert state != "running", (
            f"Called {call}; a second after it returned, its child (pid {watched.pid}) was still running. "
            + (
                "Stop it when the time is up: terminate(), join(timeout=TERMINATE_GRACE_S), and kill() if it "
                "is still alive (terminate() sends SIGTERM, which a process can ignore)."
                if killed
                else "join() the child before returning."
            )
        )
        assert state != "zombie", (
            f"Called {call}; its child (pid {watched.pid}) had ended but was never joined: it is a zombie, "
            "an entry in the process table waiting for its parent to collect the exit status. "
            "join(timeout=REAP_TIMEOUT_S) collects it: call it in every case, after the result came or after "
            "terminate()/kill()."
        )
        assert watched.reaped, (
            f"Called {call}; its child (pid {watched.pid}) had ended, but join() was never called on it after "
            "its end. Under fork and spawn it would be a zombie, an entry in the process table waiting for its "
            "parent to collect the exit status: join(timeout=REAP_TIMEOUT_S) collects it. Call it in every case, "
            "after the result came or after terminate()/kill()."
        )
        exitcode = watched.exitcode()
        if killed:
            stopped = exitcode is not None and exitcode < 0
            assert stopped, (
                f"Called {call}; the child ended with exit code {exitcode}, expected a negative one "
                "(-15 after terminate(), -9 after kill()): the child must be stopped, not left to finish."
            )
    left = mp.active_children()
    assert not left, (
        f"Called {call}; these processes were still alive afterwards: {left}. join() every child."
    )


@points(1)
def test_fast_function_returns_its_result():
    """A function that returns in time gives ("ok", its result), and its child is joined."""
    with watching_processes() as seen:
        got = ex.run_with_timeout(square, (7,), 20)
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
    started = time.perf_counter()
    with watching_processes() as seen:
        got = ex.run_with_timeout(sleep_and_return, (0, payload), 10)
    elapsed = time.perf_counter() - started
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
    started = time.perf_counter()
    with watching_processes() as seen:
        got = ex.run_with_timeout(sleep_and_return, (30,), 1)
    elapsed = time.perf_counter() - started
    assert got == ("timeout", None), f"Called {call}; got {got!r}, expected ('timeout', None)."
    assert elapsed < 1 + SLACK_S, (
        f"Called {call}; it returned after {elapsed:.1f} s, expected about 1 s. "
        "Wait at most `timeout` seconds, then stop the child at once: terminate(), a short join(), kill()."
    )
    assert_nothing_left(call, seen, killed=True)
    exitcode = seen[0].exitcode()
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
    ready = mp.Event()  # set by the child once it ignores SIGTERM
    call = "run_with_timeout(ignore_sigterm_and_sleep, (30, ready), 1)"
    started = time.perf_counter()
    with watching_processes() as seen:
        got = ex.run_with_timeout(ignore_sigterm_and_sleep, (30, ready), 1)
    elapsed = time.perf_counter() - started
    assert got == ("timeout", None), f"Called {call}; got {got!r}, expected ('timeout', None)."
    assert_nothing_left(call, seen, killed=True)
    if hasattr(signal, "SIGKILL") and ready.is_set():
        exitcode = seen[0].exitcode()
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
    with watching_processes() as seen:
        got = ex.run_with_timeout(raise_if_negative, (-1,), 20)
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
    started = time.perf_counter()
    with watching_processes() as seen:
        got = ex.run_with_timeout(exit_abruptly_on, (1, 1), 10)
    elapsed = time.perf_counter() - started
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
