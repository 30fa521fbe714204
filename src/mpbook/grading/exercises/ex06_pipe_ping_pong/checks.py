"""Checks for ex06_pipe_ping_pong.

The last checks put a stand-in child in place of reply_until_eof (ping_pong looks it up by name
when it starts the child): one that dies at once, and one that never answers and never ends. They
show what the parent does when the other side is gone: does it notice, give up, and clean up?
"""

import contextlib
import functools
import importlib
import multiprocessing
import os
import re
import sys
import tempfile

from mpbook.grading.checking import counting_process_starts, exercise, points
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.practice import exit_at_once, stay_silent

ex = exercise("ex06_pipe_ping_pong")

LIMIT_S = 8  # each game below ends within a second or two of the child's start, spawn included
SHORT_S = 0.5  # POLL_TIMEOUT_S or JOIN_TIMEOUT_S in the tests of a silent child: given up after 0.5 s

POLL_TIMEOUT_S = 5  # the learner's child answers in microseconds once it runs
JOIN_TIMEOUT_S = 10  # a child that saw EOF exits at once; after 10 s it never will

NO_EOF = (
    "recv() raises EOFError only once every copy of the parent's end is closed: the parent closes its "
    "parent_end when it is done, and the child closes its copy (unused_end) first thing."
)


@contextlib.contextmanager
def children_stderr():
    """Send what this process and its children write to stderr to a file while the block runs.

    Yields a list that afterwards holds the text (also written back to stderr, for the grader's log):
    otherwise a child's traceback never reaches the learner.
    """
    captured = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            text = sink.read().decode("utf-8", "replace")
            sys.stderr.write(text)
            captured.append(text)


def last_error(captured: list) -> str:
    """Return the last 'SomeError: message' line written to stderr, or ''."""
    errors = re.findall(r"^(\w+(?:Error|Exception|Exit)\b.*)$", "".join(captured), flags=re.MULTILINE)
    return errors[-1].strip() if errors else ""


def nudge_for(error: str) -> str:
    """Return advice for a child that raised error (a 'SomeError: message' line, or '')."""
    if error.startswith("NotImplementedError"):
        return "Write reply_until_eof: it is what the child runs."
    if error.startswith("EOFError"):
        return "Catch EOFError around recv(): it is how the child learns the game is over, not an error."
    if error.startswith("TimeoutError"):
        return "The child polled and nothing came, not even EOF. " + NO_EOF
    return "Catch EOFError (the end of the game) and let every other error show you the bug."


def explain(exitcode, error: str = "") -> str:
    """Return what a child's exit code (and the last error it printed) says about how it ended, with a nudge."""
    if exitcode == 0:
        return "exit code 0: it returned normally."
    if exitcode is None:
        return "exit code None: the child was still running, waiting for EOF. " + NO_EOF
    if exitcode < 0:
        return (
            f"exit code {exitcode}: the child was killed by signal {-exitcode}, because it was still waiting "
            "for EOF when join() gave up. " + NO_EOF
        )
    if exitcode == 1:
        raised = f"the child raised {error}" if error else "an uncaught exception ended the child"
        return f"exit code 1: {raised}. {nudge_for(error)}"
    return f"exit code {exitcode}: did the child call sys.exit({exitcode})? Let it return instead."


def check_game(n: int, how: str = "") -> None:
    """Assert that ping_pong(n) returns the answers 1..n and a child exit code of 0."""
    called = f"Called ping_pong({n}){how}"
    with children_stderr() as captured:
        try:
            got = ex.ping_pong(n)
        except (EOFError, OSError) as exc:  # what the parent gets when the child has died
            error = last_error(captured)
            if not error:
                raise
            raise AssertionError(
                f"{called}; it raised {type(exc).__name__}, because the child had died: it raised {error}. "
                + nudge_for(error)
            ) from None
    error = last_error(captured)
    is_pair = isinstance(got, tuple) and len(got) == 2
    assert is_pair, (
        f"{called}; got {got!r}, expected a pair (answers, child exit code), such as ([1, 2, 3], 0) for n=3."
    )
    answers, exitcode = got
    expected = list(range(1, n + 1))
    assert answers == expected, (
        f"{called}; the answers were {answers!r}, expected {expected!r}. "
        "Send 0 first, then send back each answer you receive, and keep every answer."
    )
    assert exitcode == 0, f"{called}; the answers were right, but then the child had " + explain(
        exitcode, error
    )


@points(1)
def test_no_round_trips():
    """ping_pong(0) sends nothing, closes its end, and the child sees EOF at once and exits with 0."""
    check_game(0)


@points(1)
def test_one_round_trip():
    """ping_pong(1) gets the answer 1, and the child exits with 0."""
    check_game(1)


@points(1)
def test_a_hundred_round_trips():
    """ping_pong(100) gets the answers 1 to 100, in order, and the child exits with 0."""
    check_game(100)


@points(2)
def test_child_replies_until_eof():
    """reply_until_eof, started here in a child, answers each number, then exits with 0 once our end is closed."""
    sent, answers = [5, -1, 41], []
    with children_stderr() as captured:
        our_end, child_end = multiprocessing.Pipe()
        child = multiprocessing.Process(target=ex.reply_until_eof, args=(child_end, our_end))
        child.start()
        child_end.close()
        try:
            for number in sent:
                our_end.send(number)
                if not our_end.poll(POLL_TIMEOUT_S):
                    break  # the child never answered; reported below
                answers.append(our_end.recv())
        except (EOFError, OSError):
            pass  # the child closed its end or died; reported below
        finally:
            our_end.close()  # the child's recv() should now raise EOFError
        child.join(timeout=JOIN_TIMEOUT_S)
        exitcode = child.exitcode
        if child.is_alive():
            child.terminate()
            child.join(timeout=JOIN_TIMEOUT_S)
    error = last_error(captured)
    called = "Started reply_until_eof(child_end, our_end) in a child"
    assert answers == [6, 0, 42], (
        f"{called} and sent {sent!r}; got back {answers!r}, expected [6, 0, 42]. "
        f"The child had {explain(exitcode, error)}"
    )
    assert exitcode == 0, (
        f"{called}, played three rounds and closed our end; {JOIN_TIMEOUT_S} s later the child had "
        + explain(exitcode, error)
    )


@points(2)
def test_ends_closed_under_fork():
    """Under fork, where the child inherits a copy of every open end, ping_pong(3) still ends with exit code 0."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return  # Windows: no fork, so no inherited copies
    multiprocessing.set_start_method("fork", force=True)  # this test runs in a process of its own
    check_game(3, how=" under the fork start method")


@contextlib.contextmanager
def stand_in_child(child, **constants):
    """Make ping_pong start `child` instead of reply_until_eof, with the module constants given; yield the processes started."""
    module = importlib.import_module(ex.__name__)
    saved = {name: getattr(module, name, None) for name in ["reply_until_eof", *constants]}
    module.reply_until_eof = child
    for name, value in constants.items():
        setattr(module, name, value)
    started = []
    try:
        with counting_process_starts() as started:
            yield started
    finally:
        for name, value in saved.items():
            setattr(module, name, value)
        for process in started:
            with contextlib.suppress(Exception):
                if process.is_alive():
                    process.kill()
                process.join(timeout=5)


@points(1)
def test_notices_a_dead_child():
    """When the child dies at once, ping_pong fails with EOFError (or a broken pipe), not after POLL_TIMEOUT_S of silence."""
    call = "ping_pong(3) with a child that dies as soon as it starts, POLL_TIMEOUT_S = 5"
    with stand_in_child(exit_at_once, POLL_TIMEOUT_S=5):
        try:
            got, seconds = call_with_limit(LIMIT_S, ex.ping_pong, 3)
        except DidNotReturn:
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s. poll(POLL_TIMEOUT_S) before every recv()."
            ) from None
        except TimeoutError:  # before OSError, its base class
            raise AssertionError(
                f"Called {call}; it raised TimeoutError after the whole POLL_TIMEOUT_S, although the child had died "
                "at once. The parent still held a copy of child_end, so the pipe never reported the end: close "
                "child_end in the parent right after start(), and poll() returns at the child's death, then recv() "
                "raises EOFError."
            ) from None
        except (EOFError, OSError):
            return  # the dead child's end was closed everywhere: the parent saw it at once
    raise AssertionError(
        f"Called {call}; got {got!r} after {seconds:.1f} s, expected EOFError: the child was dead."
    )


@points(1)
def test_gives_up_on_a_silent_child():
    """When the child never answers, ping_pong raises TimeoutError once poll() has waited POLL_TIMEOUT_S."""
    call = (
        f"ping_pong(1) with a child that never answers (and keeps its ends open), POLL_TIMEOUT_S = {SHORT_S}"
    )
    with stand_in_child(functools.partial(stay_silent, seconds=30), POLL_TIMEOUT_S=SHORT_S):
        try:
            got, seconds = call_with_limit(LIMIT_S, ex.ping_pong, 1)
        except DidNotReturn:
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s. recv() alone waits forever for a message "
                "that never comes: if not parent_end.poll(POLL_TIMEOUT_S), raise TimeoutError."
            ) from None
        except TimeoutError:
            return
    raise AssertionError(f"Called {call}; got {got!r} after {seconds:.1f} s, expected TimeoutError.")


@points(1)
def test_stops_a_child_that_never_ends():
    """A child still running JOIN_TIMEOUT_S after the parent closed its end is terminated and joined, not left behind."""
    call = f"ping_pong(0) with a child that ignores the end of the pipe and sleeps on, JOIN_TIMEOUT_S = {SHORT_S}"
    with stand_in_child(functools.partial(stay_silent, seconds=30), JOIN_TIMEOUT_S=SHORT_S) as started:
        try:
            got, seconds = call_with_limit(LIMIT_S, ex.ping_pong, 0)
        except DidNotReturn:
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s. join(timeout=JOIN_TIMEOUT_S), with the "
                "constant: a child that never ends must not hang the parent."
            ) from None
        running = [process.pid for process in started if process.is_alive()]
    stopped = (
        isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], int) and got[1] < 0 and not running
    )
    assert stopped, (
        f"Called {call}; got {got!r} after {seconds:.1f} s"
        + (f", with the child {running} still running" if running else "")
        + ". Expected ([], -15): once join(timeout=JOIN_TIMEOUT_S) gives up, terminate() the child and join() it "
        "again, so no process is left behind and its exit code says it was stopped."
    )
