"""Checks for ex06_pipe_ping_pong.

The last checks put a stand-in child in place of reply_until_eof (ping_pong looks it up by name
when it starts the child): one that dies at once, and one that never answers and never ends. They
show what the parent does when the other side is gone: does it notice, give up, and clean up?

The learner's module runs in a process of its own (mpbook.grading.boundary). Pipes, the child's stderr and
the stand-in children live in that process, so those scenarios run there (probes.py) and are
judged here; a child left running is seen from the trusted side, through the process tree.
"""

import builtins
import multiprocessing
import re

from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex06_pipe_ping_pong import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex06_pipe_ping_pong")

LIMIT_S = 8  # each game below ends within a second or two of the child's start, spawn included
SHORT_S = 0.5  # POLL_TIMEOUT_S or JOIN_TIMEOUT_S in the tests of a silent child: given up after 0.5 s

POLL_TIMEOUT_S = 5  # the learner's child answers in microseconds once it runs
JOIN_TIMEOUT_S = 10  # a child that saw EOF exits at once; after 10 s it never will

NO_EOF = (
    "recv() raises EOFError only once every copy of the parent's end is closed: the parent closes its "
    "parent_end when it is done, and the child closes its copy (unused_end) first thing."
)


def last_error(captured: str) -> str:
    """Return the last 'SomeError: message' line the learner's processes wrote to stderr, or ''."""
    errors = re.findall(r"^(\w+(?:Error|Exception|Exit)\b.*)$", captured, flags=re.MULTILINE)
    return errors[-1].strip() if errors else ""


def is_a(raised, *kinds: type) -> bool:
    """Return True if raised (full type name, message), sent by a probe, names a builtin subclass of kinds."""
    module, _, name = raised[0].rpartition(".")
    kind = getattr(builtins, name, None) if module == "builtins" else None
    return isinstance(kind, type) and issubclass(kind, kinds)


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


def check_game(n: int, how: str = "", start_method: str | None = None) -> None:
    """Assert that ping_pong(n) returns the answers 1..n and a child exit code of 0."""
    called = f"Called ping_pong({n}){how}"
    # Run in the learner's process, which reads its children's stderr meanwhile.
    seen = in_learner_process(probes.game, n, start_method)
    error = last_error(seen["stderr"])
    if "raised" in seen:  # EOFError or OSError: what the parent gets when the child has died
        name, message = seen["raised"]
        name = name.rpartition(".")[2]
        if not error:
            raise AssertionError(f"{called}; your code raised {name}({message!r}).")
        raise AssertionError(
            f"{called}; it raised {name}, because the child had died: it raised {error}. " + nudge_for(error)
        )
    got = seen["got"]
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
    sent = [5, -1, 41]
    # In the learner's process: a child started there, a pipe end held there, its stderr read there.
    seen = in_learner_process(probes.replies, sent, POLL_TIMEOUT_S, JOIN_TIMEOUT_S)
    answers, exitcode = seen["answers"], seen["exitcode"]
    error = last_error(seen["stderr"])
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
    # The learner's process is set to fork by the probe (it runs for this test only).
    check_game(3, how=" under the fork start method", start_method="fork")


def with_stand_in(child: str, n: int, stop_children: bool = True, **constants) -> dict:
    """Return what ping_pong(n) did with probes.STAND_INS[child] started instead of reply_until_eof and the module
    constants given: {"got": ...} or {"raised": (full type name, message)}, and "seconds"."""
    learner_process()  # started (and the learner's module imported) before the clock starts
    outcome, _seconds = call_with_limit(
        LIMIT_S, in_learner_process, probes.with_stand_in, child, constants, n, stop_children
    )
    return outcome


@points(1)
def test_notices_a_dead_child():
    """When the child dies at once, ping_pong fails with EOFError (or a broken pipe), not after POLL_TIMEOUT_S of silence."""
    call = "ping_pong(3) with a child that dies as soon as it starts, POLL_TIMEOUT_S = 5"
    try:
        outcome = with_stand_in("exit_at_once", 3, POLL_TIMEOUT_S=5)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s. poll(POLL_TIMEOUT_S) before every recv()."
        ) from None
    raised = outcome.get("raised")
    if raised is not None:
        if is_a(raised, TimeoutError):  # before OSError, its base class
            raise AssertionError(
                f"Called {call}; it raised TimeoutError after the whole POLL_TIMEOUT_S, although the child had died "
                "at once. The parent still held a copy of child_end, so the pipe never reported the end: close "
                "child_end in the parent right after start(), and poll() returns at the child's death, then recv() "
                "raises EOFError."
            )
        if is_a(raised, EOFError, OSError):
            return  # the dead child's end was closed everywhere: the parent saw it at once
        raise AssertionError(
            f"Called {call}; your code raised {raised[0].rpartition('.')[2]}({raised[1]!r})."
        )
    got, seconds = outcome["got"], outcome["seconds"]
    raise AssertionError(
        f"Called {call}; got {got!r} after {seconds:.1f} s, expected EOFError: the child was dead."
    )


@points(1)
def test_gives_up_on_a_silent_child():
    """When the child never answers, ping_pong raises TimeoutError once poll() has waited POLL_TIMEOUT_S."""
    call = (
        f"ping_pong(1) with a child that never answers (and keeps its ends open), POLL_TIMEOUT_S = {SHORT_S}"
    )
    try:
        outcome = with_stand_in("stay_silent", 1, POLL_TIMEOUT_S=SHORT_S)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s. recv() alone waits forever for a message "
            "that never comes: if not parent_end.poll(POLL_TIMEOUT_S), raise TimeoutError."
        ) from None
    raised = outcome.get("raised")
    if raised is not None:
        if is_a(raised, TimeoutError):
            return
        raise AssertionError(
            f"Called {call}; your code raised {raised[0].rpartition('.')[2]}({raised[1]!r})."
        )
    got, seconds = outcome["got"], outcome["seconds"]
    raise AssertionError(f"Called {call}; got {got!r} after {seconds:.1f} s, expected TimeoutError.")


@points(1)
def test_stops_a_child_that_never_ends():
    """A child still running JOIN_TIMEOUT_S after the parent closed its end is terminated and joined, not left behind."""
    call = f"ping_pong(0) with a child that ignores the end of the pipe and sleeps on, JOIN_TIMEOUT_S = {SHORT_S}"
    learner = learner_process()
    try:
        outcome = with_stand_in("stay_silent", 0, stop_children=False, JOIN_TIMEOUT_S=SHORT_S)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s. join(timeout=JOIN_TIMEOUT_S), with the "
            "constant: a child that never ends must not hang the parent."
        ) from None
    running = [process.pid for process in learner.descendants()]  # seen from here, in the learner's tree
    in_learner_process(probes.stop_started)  # the check has looked: stop what was left running
    if "raised" in outcome:
        raised = outcome["raised"]
        raise AssertionError(
            f"Called {call}; your code raised {raised[0].rpartition('.')[2]}({raised[1]!r})."
        )
    got, seconds = outcome["got"], outcome["seconds"]
    stopped = (
        isinstance(got, tuple) and len(got) == 2 and isinstance(got[1], int) and got[1] < 0 and not running
    )
    assert stopped, (
        f"Called {call}; got {got!r} after {seconds:.1f} s"
        + (f", with the child {running} still running" if running else "")
        + ". Expected ([], -15): once join(timeout=JOIN_TIMEOUT_S) gives up, terminate() the child and join() it "
        "again, so no process is left behind and its exit code says it was stopped."
    )
