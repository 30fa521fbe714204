"""check("ex03") for a notebook cell: the same `mpbook check`, in a separate process.

A learner's exercise may deadlock. Run in the notebook's kernel, that would freeze the
kernel; run as `python -m mpbook check` it is one more process the grader can kill, and the
cell prints the report line by line as the tests finish.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from mpbook.grading import runner
from mpbook.grading.catalogue import UnknownExercise, find

MARGIN_S = 60  # on top of the tests' own deadlines: interpreter start, slow disks


def check(exercise: str) -> bool:
    """Check an exercise as `mpbook check` does, printing its report; return True when every test passed."""
    try:
        found = find(exercise)
    except UnknownExercise as exc:
        print(exc)
        return False
    overall = sum(test.deadline for test in runner.collect_tests(found.name)) + MARGIN_S
    process = subprocess.Popen(
        [sys.executable, "-m", "mpbook", "check", found.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    # The grader enforces each test's deadline itself; this is the backstop if the grader hangs.
    watchdog = threading.Timer(overall, process.kill)
    watchdog.start()
    try:
        for line in process.stdout:
            print(line, end="", flush=True)
        process.wait(timeout=MARGIN_S)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=MARGIN_S)
    return process.returncode == 0
