"""Checks for ex02_main_guard: the script is run as a learner would run it, under each start method.

It runs as `python script.py METHOD` would, through runpy (the same machinery `python -m` uses, so
a spawned worker still imports the file as __mp_main__), in a process of its own (the
learner's user under a root grader). How its workers were started is seen from here, in the
process tree: a spawned worker runs `spawn_main`, a fork server shows in its command line. That is
how a check tells a fix from a script that makes the error go away by forcing fork, or by using
threads. Under fork a pool's workers may live too briefly to be sampled, so the script's process
also notes each start() in a file; the script could fake that note, but a file that fakes it must
first pass test_works_under_spawn, which is judged from the process tree alone.
"""

import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import typing
from pathlib import Path

import psutil

from mpbook import _processes
from mpbook.grading import boundary
from mpbook.grading.checking import deadline, folder_for_learner, learner_file, points

# The script itself is the exercise: running it, not importing it, is what the checks do.
IMPORTS_EXERCISE = False
EXPECTED = "squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"
RUN_TIMEOUT_S = 15  # the script's own get() gives up after 5 s; 15 s covers a slow start
SAMPLE_S = 0.005  # a spawned worker lives 50 ms or more; a fork server the whole run
# A worker that fails at start-up is replaced by the pool, again and again, until the script's own
# get() gives up (5 s): once a RuntimeError shows, the run is stopped this long after it.
AFTER_WORKER_ERROR_S = 0.5


# Runs the script as `python script.py METHOD` does, noting the start method of each process it starts.
RECORDING_RUN = """
import multiprocessing, os, runpy, sys
from multiprocessing.process import BaseProcess
script, method, record = sys.argv[1:4]
original = BaseProcess.start
def start(self):
    with open(record, "a", encoding="utf-8") as out:
        out.write((getattr(self, "_start_method", None) or multiprocessing.get_start_method()) + "\\n")
    return original(self)
BaseProcess.start = start
sys.argv = [script, method]
sys.path[0] = os.path.dirname(script)
runpy.run_path(script, run_name="__main__")
"""


def methods_seen(root: int, halt: threading.Event, seen: set) -> None:
    """Add to `seen` the start method of every process below root that shows one in its command line."""
    while not halt.wait(SAMPLE_S):
        try:
            children = psutil.Process(root).children(recursive=True)
        except psutil.Error:
            return
        for child in children:
            try:
                command = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "resource_tracker" in command:
                continue
            if "spawn_main" in command:
                seen.add("spawn")
            elif "multiprocessing.forkserver" in command:
                seen.add("forkserver")


class Run(typing.NamedTuple):
    """How a run of the script ended: its exit code (None: stopped after a worker's error) and what it printed."""

    returncode: int | None
    stdout: str
    stderr: str


def run_script(method: str, folder: str) -> tuple[Run, list[str], set[str]]:
    """Run a copy of the learner's script under method; return the run, the start() notes, the methods seen."""
    script = Path(folder) / "ex02_main_guard.py"
    shutil.copyfile(learner_file(), script)
    script.chmod(0o644)
    record = os.path.join(folder, "started.txt")
    user = boundary.learner_user()
    out, err = Path(folder) / "out.txt", Path(folder) / "err.txt"
    seen: set[str] = set()
    halt = threading.Event()
    with open(out, "w") as stdout, open(err, "w") as stderr:
        isolated = _processes.start_isolated(
            [sys.executable, "-c", RECORDING_RUN, str(script), method, record],
            stdout=stdout,
            stderr=stderr,
            cwd=folder,
            user=None if user is None else user[0],
            group=None if user is None else user[1],
            extra_groups=None if user is None else [],
        )
        process = isolated.process
        sampler = threading.Thread(target=methods_seen, args=(process.pid, halt, seen), daemon=True)
        sampler.start()
        try:
            returncode = wait_for_the_run(process, err, method)
        finally:
            halt.set()
            sampler.join(timeout=5)
            _processes.kill_tree(isolated)  # its resource tracker last, so no semaphore is left in /dev/shm
    run = Run(returncode, out.read_text(), err.read_text())
    started = Path(record).read_text(encoding="utf-8").split() if os.path.exists(record) else []
    return run, started, seen


def wait_for_the_run(process: subprocess.Popen, err: Path, method: str) -> int | None:
    """Return the script's exit code, or None if it was stopped AFTER_WORKER_ERROR_S after a worker's RuntimeError."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    stop_at = deadline
    while (returncode := process.poll()) is None:
        now = time.monotonic()
        if now >= stop_at:
            if stop_at < deadline:
                return None
            raise AssertionError(
                f"`python ex02_main_guard.py {method}` did not finish within {RUN_TIMEOUT_S} s. "
                "Each worker that dies at start-up is replaced by the pool, forever."
            )
        if stop_at == deadline and "RuntimeError" in err.read_text(errors="replace"):
            stop_at = min(deadline, now + AFTER_WORKER_ERROR_S)
        time.sleep(0.05)
    return returncode


def check_method(method: str) -> None:
    """Run the script under method and assert it printed the squares once, exited 0, and its workers used method."""
    with folder_for_learner() as folder:
        run, started, seen = run_script(method, folder)
    first_error = ""
    lines = run.stderr.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"\w+(Error|Exception): ", line):
            # the error line and the lines after it, up to a blank line: multi-line messages included
            following = []
            for more in lines[index + 1 : index + 4]:
                if not more.strip():
                    break
                following.append(more.strip())
            first_error = " ".join([line.strip(), *following])
            break
    ended = (
        f"stopped {AFTER_WORKER_ERROR_S:g} s after a worker's error"
        if run.returncode is None
        else f"exit code {run.returncode}"
    )
    assert (run.returncode, EXPECTED in run.stdout) == (0, True), (
        f"Ran `python ex02_main_guard.py {method}`: {ended}, "
        f"printed {run.stdout.strip()!r}, expected {EXPECTED!r}."
        + (f" First error: {first_error.strip()}" if first_error else "")
        + " A spawned worker imports your file: which lines run again in it?"
    )
    assert "RuntimeError" not in run.stderr, (
        f"Ran `python ex02_main_guard.py {method}`: it printed the squares, but a worker raised RuntimeError "
        "on the way. Guard the code that starts processes."
    )
    assert run.stdout.count(EXPECTED) == 1, (
        f"Ran `python ex02_main_guard.py {method}`: it printed the squares line {run.stdout.count(EXPECTED)} times, "
        "expected once. Only the parent prints: keep the print under the guard."
    )
    # Spawned workers and a fork server are seen from here; forked workers only in the script's own notes.
    used = seen | ({"fork"} & set(started)) if method == "fork" else seen
    others = sorted(used - {method})
    keep = (
        " Keep the pool of two worker processes and the start method named on the command line, "
        "mp.get_context(method): forcing fork, or threads, hides the bug instead of fixing it. Under spawn a worker "
        'imports your file, so put the code that starts the pool under `if __name__ == "__main__":`.'
    )
    assert (method in seen) if method != "fork" else bool(started), (
        f"Ran `python ex02_main_guard.py {method}`: it printed the squares, but it started no {method} process."
        + keep
    )
    assert not others, (
        f"Ran `python ex02_main_guard.py {method}`: it printed the squares, but its workers were started with "
        f"{', '.join(others)}, not {method}." + keep
    )


def require_the_fix(test: str) -> None:
    """Fail unless the script already works under spawn: a test of another method checks the fix, not the bug.

    Under fork the unguarded script works by accident, and a platform without forkserver has nothing to
    run: without this, an untouched file would score those points.
    """
    try:
        check_method("spawn")
    except AssertionError as exc:
        raise AssertionError(
            f"Fix the script under spawn first (test_works_under_spawn): {test} checks that the fix also works "
            f"under another start method. Under spawn: {exc}"
        ) from None


@points(2)
@deadline(40)
def test_works_under_spawn():
    """Under spawn the script prints the ten squares and exits 0."""
    check_method("spawn")


@points(1)
@deadline(40)
def test_works_under_forkserver():
    """Once it works under spawn, it works under forkserver too (Linux's default from 3.14), where the platform has it."""
    require_the_fix("test_works_under_forkserver")
    if "forkserver" in multiprocessing.get_all_start_methods():
        check_method("forkserver")


@points(1)
@deadline(40)
def test_still_works_under_fork():
    """Once it works under spawn, the fix does not break fork, where the platform has it."""
    require_the_fix("test_still_works_under_fork")
    if "fork" in multiprocessing.get_all_start_methods():
        check_method("fork")
