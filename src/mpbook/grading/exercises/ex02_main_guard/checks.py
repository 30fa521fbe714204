"""Checks for ex02_main_guard: the script is run as a learner would run it, under each start method.

It runs as `python script.py METHOD` would, through runpy (the same machinery `python -m` uses, so
a spawned worker still imports the file as __mp_main__), with one addition: every process the
script starts writes its start method to a file. That is how a check tells a fix from a script
that makes the error go away by forcing fork, or by using threads.
"""

import multiprocessing
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from mpbook.grading.checking import deadline, points

# The script itself is the exercise: running it, not importing it, is what the checks do.
IMPORTS_EXERCISE = False
EXPECTED = "squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]"
RUN_TIMEOUT_S = 15  # the script's own get() gives up after 5 s; 15 s covers a slow start


def script_path() -> Path:
    """Return the path of the learner's file: the first ex02_main_guard.py on sys.path."""
    for folder in sys.path:
        candidate = Path(folder or ".") / "ex02_main_guard.py"
        if candidate.is_file():
            return candidate
    raise AssertionError("ex02_main_guard.py was not found. Did you rename it?")


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


def check_method(method: str) -> None:
    """Run the script under method and assert it printed the squares once, exited 0, and its workers used method."""
    with tempfile.TemporaryDirectory(prefix="mpbook-ex02-") as folder:
        record = os.path.join(folder, "started.txt")
        try:
            run = subprocess.run(
                [sys.executable, "-c", RECORDING_RUN, str(script_path().resolve()), method, record],
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"`python ex02_main_guard.py {method}` did not finish within {RUN_TIMEOUT_S} s. "
                "Each worker that dies at start-up is replaced by the pool, forever."
            ) from None
        started = Path(record).read_text(encoding="utf-8").split() if os.path.exists(record) else []
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
    assert (run.returncode, EXPECTED in run.stdout) == (0, True), (
        f"Ran `python ex02_main_guard.py {method}`: exit code {run.returncode}, "
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
    others = sorted(set(started) - {method})
    keep = (
        " Keep the pool of two worker processes and the start method named on the command line, "
        "mp.get_context(method): forcing fork, or threads, hides the bug instead of fixing it. Under spawn a worker "
        'imports your file, so put the code that starts the pool under `if __name__ == "__main__":`.'
    )
    assert started, (
        f"Ran `python ex02_main_guard.py {method}`: it printed the squares, but it started no process." + keep
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
