"""Checks for ex02_main_guard: the script is run as a learner would run it, under each start method."""

import multiprocessing
import re
import subprocess
import sys
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


def check_method(method: str) -> None:
    """Run the script under method and assert it printed the squares and exited 0."""
    try:
        run = subprocess.run(
            [sys.executable, str(script_path()), method],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"`python ex02_main_guard.py {method}` did not finish within {RUN_TIMEOUT_S} s. "
            "Each worker that dies at start-up is replaced by the pool, forever."
        ) from None
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
