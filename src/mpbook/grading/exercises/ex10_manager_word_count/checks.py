"""Checks for ex10_manager_word_count.

The contention test watches the learner's processes from the trusted side, through the process
tree: how many were started, and whether one of them was a manager (a process listening for its
proxies' connections). The learner's module runs in a process of its own (mpbook.grading.boundary), so
nothing it does there can change what is seen here. add_line needs a Manager's proxies, which
cannot cross the boundary: probes.py starts the Manager in the learner's process and calls
add_line there, and the checks here judge what it saw.
"""

import builtins
import contextlib
import random
import socket
from collections import Counter

import psutil

from mpbook.grading import channel
from mpbook.grading.boundary import LearnerRaised, ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex10_manager_word_count import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex10_manager_word_count")

WORDS = ["the", "cat", "sat", "on", "a", "mat", "and", "the", "dog", "ran", "after", "the", "cat"]
# 3 documents x 300 lines on 3 workers: an add_line without the lock lost counts in every one of
# 120 trials on a loaded 2-core machine under spawn, forkserver and fork. Three calls to be sure.
DOCUMENTS, LINES, WORKERS, CALLS = 3, 300, 3, 3
# A lock held by a worker that died: add_line, given LOCK_TIMEOUT_S = HELD_TIMEOUT_S, must give up
# after about that long; HELD_LIMIT_S leaves room for a busy machine, and is far below `with lock:`'s forever.
HELD_TIMEOUT_S, HELD_LIMIT_S = 0.5, 5
PROBE_LIMIT_S = (
    30  # the probes start a Manager (~0.3 s under spawn) around an add_line bounded by HELD_LIMIT_S
)
SHORT_RESULT_S = 0.2  # RESULT_TIMEOUT_S in the test of the timeout: lost results never come, so any will do
RESULT_LIMIT_S = 8  # a Manager and a pool of 2 start in about a second; the get() then gives up after 0.2 s
MP_TIMEOUT = "multiprocessing.context.TimeoutError"  # what get(timeout=...) raises, by its full name


def make_documents(seed: int, documents: int = DOCUMENTS, lines: int = LINES) -> list[str]:
    """Return `documents` texts of `lines` lines, eight words from WORDS each: the same ones for the same seed."""
    rng = random.Random(seed)
    return [
        "\n".join(" ".join(rng.choice(WORDS) for _ in range(8)) for _ in range(lines))
        for _ in range(documents)
    ]


def expected_counts(documents: list[str]) -> list[dict[str, int]]:
    return [dict(Counter(document.split())) for document in documents]


def nudge(got, expected: list[dict[str, int]]) -> str:
    """Return what most likely went wrong, for a failure message."""
    proxy_advice = (
        " Return results[:], a plain list of plain dicts, while the manager is still running: "
        "a proxy is useless once the manager has shut down."
    )
    if "Proxy" in kind_of(got):
        return f" count_words returned a {kind_of(got)}." + proxy_advice
    if not isinstance(got, list) or len(got) != len(expected):
        return " Return a list with one dict per document, in the order of the documents."
    if not all(isinstance(counts, dict) for counts in got):
        kinds = sorted({kind_of(counts) for counts in got})
        return f" The list holds {', '.join(kinds)}, not plain dicts." + proxy_advice
    if any(expected) and not any(got):
        return (
            " Every dict came back empty: results[index] hands a worker a COPY of the dict, and updating the copy "
            "changes nothing in the manager. Update the copy, then write it back: results[index] = document."
        )
    missing = sum(sum(counts.values()) for counts in expected) - sum(sum(counts.values()) for counts in got)
    if missing > 0:
        return (
            f" {missing} word(s) went uncounted: two workers read the same document's dict, each added its line, "
            "and the second write-back overwrote the first. Hold the lock from the read to the write-back."
        )
    return " Count str.split()'s words, line by line, and add each line's counts to its own document's dict."


def kind_of(value) -> str:
    """Return the name of value's type; for an object that came back as Opaque, the name of the learner's type."""
    if isinstance(value, channel.Opaque):
        return value.type_name.rsplit(".", 1)[-1]
    return type(value).__name__


def proxy_used_after_shutdown(exc: LearnerRaised) -> bool:
    """True if the learner's code raised an OSError or EOFError: what a proxy does once its manager has shut down."""
    raised = getattr(builtins, exc.raised.type_name, None)
    return isinstance(raised, type) and issubclass(raised, (OSError, EOFError))


def is_listening(process: psutil.Process) -> bool:
    """True if the process has a socket bound to an address: a manager's server waiting for its proxies."""
    with contextlib.suppress(psutil.Error):
        for connection in process.net_connections(kind="all"):
            if connection.family == socket.AF_UNIX:
                if connection.laddr:
                    return True
            elif connection.status == psutil.CONN_LISTEN:
                return True
    return False


class ManagerWatch(ProcessWatch):
    """A ProcessWatch that also counts the processes seen listening for connections (managers' servers)."""

    def __init__(self, learner) -> None:
        super().__init__(learner)
        self.listening: set[tuple[int, float]] = set()

    @property
    def managers(self) -> int:
        return len(self.listening)

    def __enter__(self) -> "ManagerWatch":
        super().__enter__()
        return self

    def look_at(self, process, key: tuple[int, float]) -> None:
        if key not in self.listening and is_listening(process):
            self.listening.add(key)


@points(1)
def test_add_line_writes_its_counts_back():
    """add_line(results, lock, 0, "spam eggs spam") adds to the first document's dict in a manager list."""
    seen = in_learner_process(probes.writes_back, [{"spam": 1}, {}], 0, "spam eggs spam")
    got, released = seen["got"], seen["released"]
    call = (
        'Called add_line(results, lock, 0, "spam eggs spam") with results = manager.list([{"spam": 1}, {}])'
    )
    expected = [{"spam": 3, "eggs": 1}, {}]
    if got == [{"spam": 1}, {}]:
        raise AssertionError(
            f"{call}; results did not change. results[0] gives you a COPY of the plain dict stored in the manager, "
            "and updating the copy changes nothing there. Update the copy, then write it back: results[0] = document."
        )
    assert got == expected, f"{call}; results became {got!r}, expected {expected!r}."
    assert released, (
        f"{call}; afterwards the lock was still held. Release it: use `with acquired(lock, ...)`."
    )


@points(1)
def test_one_document():
    """One short document on two workers is counted exactly."""
    documents = ["the cat\nthe hat\n"]
    try:
        got = ex.count_words(documents, 2)
    except LearnerRaised as exc:  # a proxy used after its manager shut down cannot connect
        if not proxy_used_after_shutdown(exc):
            raise
        raise AssertionError(
            f"Called count_words({documents!r}, 2); it raised {exc.raised.type_name}: {exc.raised.message}. "
            "That is what a proxy "
            "does once its manager has shut down: it cannot reach it any more. Return results[:], a plain "
            "list of plain dicts, inside the `with mp.Manager() as manager:` block."
        ) from None
    expected = expected_counts(documents)
    assert got == expected, (
        f"Called count_words({documents!r}, 2); got {got!r}, expected {expected!r}." + nudge(got, expected)
    )


@points(1)
def test_empty_documents():
    """No documents gives an empty list; an empty document gives an empty dict."""
    got = ex.count_words([], 2)
    assert got == [], f"Called count_words([], 2); got {got!r}, expected []." + nudge(got, [])
    documents = ["", "spam spam\neggs"]
    got = ex.count_words(documents, 2)
    expected = [{}, {"spam": 2, "eggs": 1}]
    assert got == expected, (
        f"Called count_words({documents!r}, 2); got {got!r}, expected {expected!r}." + nudge(got, expected)
    )


@points(1)
def test_add_line_gives_up_on_a_held_lock():
    """With the lock held elsewhere (a worker that died holding it), add_line raises after LOCK_TIMEOUT_S instead of waiting forever."""
    call = (
        f'Called add_line(results, lock, 0, "spam") with LOCK_TIMEOUT_S = {HELD_TIMEOUT_S} while another '
        "process held the lock (as a worker that died holding it would)"
    )
    waiting = AssertionError(
        f"{call}; it was still waiting after {HELD_LIMIT_S} s. Does it wait at most LOCK_TIMEOUT_S? "
        "`with lock:` waits forever: when a worker dies holding the lock, every other worker hangs. "
        "`with acquired(lock, LOCK_TIMEOUT_S):` raises TimeoutError when the time is up."
    )
    try:
        seen, _ = call_with_limit(
            PROBE_LIMIT_S, in_learner_process, probes.held_lock, HELD_TIMEOUT_S, HELD_LIMIT_S, "spam"
        )
    except DidNotReturn:
        raise waiting from None
    if seen["outcome"] == "waiting" or seen["seconds"] > HELD_LIMIT_S:
        raise waiting
    if seen["outcome"] == "raised":  # giving up with an error is what is asked
        return
    got, seconds = seen["got"], seen["seconds"]
    raise AssertionError(
        f"{call}; it returned after {seconds:.1f} s without an error, and results became {got!r}: it updated "
        "the counts without holding the lock. Hold it from the read to the write-back, waiting at most "
        "LOCK_TIMEOUT_S: `with acquired(lock, LOCK_TIMEOUT_S):`."
    )


@points(1)
def test_gives_up_when_the_results_never_come():
    """When the workers die mid-task their results never come: count_words raises after RESULT_TIMEOUT_S, not hangs."""
    documents = ["the cat\nthe hat"]
    called = (
        f"Called count_words({documents!r}, 2) with RESULT_TIMEOUT_S = {SHORT_RESULT_S}, and add_line replaced "
        "by a stand-in that kills the worker that runs it"
    )
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        outcome, _seconds = call_with_limit(
            RESULT_LIMIT_S, in_learner_process, probes.with_lost_results, SHORT_RESULT_S, documents, 2
        )
    except DidNotReturn:
        raise AssertionError(
            f"{called}; it had not returned after {RESULT_LIMIT_S} s. The pool's results are waited for at most "
            "RESULT_TIMEOUT_S: a pool replaces a dead worker, but the task it held is lost, and get() without a "
            "timeout waits for it forever. pool.starmap_async(add_line, tasks).get(timeout=RESULT_TIMEOUT_S) "
            "gives up, with the constant, not a number."
        ) from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        if type_name == MP_TIMEOUT:
            return  # the get() gave up, as it should
        if type_name == "builtins.RuntimeError" and "DiesWhenUsed" in message:
            raise AssertionError(
                f"{called}; add_line ran here, in the calling process, not on the pool. Hand every line to "
                "the pool: pool.starmap_async(add_line, tasks)."
            )
        raise AssertionError(f"{called}; it raised {type_name.removeprefix('builtins.')}: {message}")
    raise AssertionError(
        f"{called}; got {outcome[1]!r}, expected multiprocessing.TimeoutError from get(timeout=RESULT_TIMEOUT_S). "
        "Count each line with the module's add_line, on the pool."
    )


@points(2)
@deadline(60)
def test_no_lost_updates_when_workers_share_a_document():
    """Three documents of 300 lines on three workers are counted exactly, in each of three calls, through a Manager."""
    learner = learner_process()  # started (and the learner's module imported) before the first call
    for seed in range(CALLS):
        documents = make_documents(seed)
        with ManagerWatch(learner) as watch:
            got = ex.count_words(documents, WORKERS)
        started = {"processes": watch.started, "managers": watch.managers}
        expected = expected_counts(documents)
        call = f"Called count_words({DOCUMENTS} documents of {LINES} lines, {WORKERS})"
        if got != expected:
            words = sum(sum(counts.values()) for counts in expected)
            raise AssertionError(
                f"{call}; the counts were wrong ({words} words in all)." + nudge(got, expected)
            )
        assert started["managers"] >= 1, (
            f"{call}; the counts were right, but no Manager was started. "
            "Keep the counts in a manager list: `with mp.Manager() as manager:`."
        )
        assert started["processes"] == 1 + WORKERS, (
            f"{call}; the counts were right, but {started['processes']} process(es) were started (the manager "
            f"included), expected {1 + WORKERS}: the manager, and a pool of `workers` processes, "
            f"mp.Pool(processes=workers). (mp.Pool() alone starts one per CPU, whatever `workers` says.)"
        )
