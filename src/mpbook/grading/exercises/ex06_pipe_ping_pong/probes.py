"""What ex06's checks can only do inside the learner's process: read the child's stderr, hold a pipe's other end,
start the learner's reply_until_eof as a child, put a stand-in child in its place.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote these probes could
fake their answers, and so could ping_pong itself, which returns the child's exit code: the exit
code was always the learner's word. What the trusted side sees for itself is the process tree: a
child left running after ping_pong returned is seen there (test_stops_a_child_that_never_ends),
whatever a probe says.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import sys
import tempfile
import time

from mpbook.practice import exit_at_once, stay_silent

CAPTURED_CAP = 20_000  # characters of the children's stderr sent back: the last error line is near the end

STAND_INS = {
    "exit_at_once": exit_at_once,  # a child that dies as soon as it starts
    "stay_silent": functools.partial(stay_silent, seconds=30),  # never answers, keeps its ends open
}


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
            captured.append(text[-CAPTURED_CAP:])


def _raised(exc: BaseException) -> list:
    kind = type(exc)
    return [f"{kind.__module__}.{kind.__qualname__}", str(exc)]


def game(module, n, start_method=None):
    """Call module.ping_pong(n) (with start_method, if given); return what came back and the children's stderr.

    {"got": value} or {"raised": [full type name, message]} for an EOFError or OSError (what the parent
    gets when the child has died), with "stderr": what the learner's processes wrote to stderr meanwhile.
    """
    if start_method is not None:
        multiprocessing.set_start_method(start_method, force=True)
    outcome = {}
    with children_stderr() as captured:
        try:
            outcome["got"] = module.ping_pong(n)
        except (EOFError, OSError) as exc:
            outcome["raised"] = _raised(exc)
    outcome["stderr"] = captured[0]
    return outcome


def replies(module, sent, poll_s, join_s):
    """Start module.reply_until_eof(child_end, our_end) in a child, send each of `sent`, then close our end.

    Return the answers, the child's exit code JOIN_TIMEOUT_S after our end was closed, and its stderr.
    """
    answers = []
    with children_stderr() as captured:
        our_end, child_end = multiprocessing.Pipe()
        child = multiprocessing.Process(target=module.reply_until_eof, args=(child_end, our_end))
        child.start()
        child_end.close()
        try:
            for number in sent:
                our_end.send(number)
                if not our_end.poll(poll_s):
                    break  # the child never answered; reported by the check
                answers.append(our_end.recv())
        except (EOFError, OSError):
            pass  # the child closed its end or died; reported by the check
        finally:
            our_end.close()  # the child's recv() should now raise EOFError
        child.join(timeout=join_s)
        exitcode = child.exitcode
        if child.is_alive():
            child.terminate()
            child.join(timeout=join_s)
    return {"answers": answers, "exitcode": exitcode, "stderr": captured[0]}


def with_stand_in(module, stand_in, constants, n, stop_children=True):
    """Call module.ping_pong(n) with STAND_INS[stand_in] in place of reply_until_eof and the constants given.

    Return {"got": value} or {"raised": [full type name, message]} for an EOFError or OSError (TimeoutError
    included), with "seconds" the call took; any other exception goes back as the learner's. With stop_children, whatever the call left running is killed before returning (the stand-in
    that stays silent outlives a parent that gave up, as it should); without, the check looks first.
    """
    saved = {name: getattr(module, name, None) for name in ["reply_until_eof", *constants]}
    module.reply_until_eof = STAND_INS[stand_in]
    for name, value in constants.items():
        setattr(module, name, value)
    outcome = {}
    started = time.perf_counter()
    try:
        outcome["got"] = module.ping_pong(n)
    except (EOFError, OSError) as exc:  # what was raised is the answer
        outcome["raised"] = _raised(exc)
    finally:
        outcome["seconds"] = time.perf_counter() - started
        for name, value in saved.items():
            setattr(module, name, value)
        if stop_children:
            stop_started(module)
    return outcome


def stop_started(_module):
    """Kill and join every process this one started that is still running; return their pids."""
    stopped = []
    for process in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            process.kill()
            process.join(timeout=5)
            stopped.append(process.pid)
    return stopped
