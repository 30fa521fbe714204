"""check("ex03") for a notebook cell: the same `mpbook check`, in a separate process.

A learner's exercise may deadlock. Run in the notebook's kernel, that would freeze the
kernel; run as `python -m mpbook check` it is one more process the grader can kill, and the
cell prints the report line by line as the tests finish.

An exercise not started yet (the file is still the original) gets one line saying where to start,
not a page of failures: the report comes once the learner has begun.
"""

from __future__ import annotations

import subprocess
import sys
import threading

from mpbook.grading import runner, workspace
from mpbook.grading.catalogue import UnknownExercise, find

MARGIN_S = 60  # on top of the tests' own deadlines: interpreter start, slow disks


def not_started(exercise) -> bool:
    """Print one line and return True when the learner's file is still the original stub (or absent)."""
    try:
        directory = workspace.exercises_dir()
        progress = workspace.Progress(directory)
        for message in workspace.bring_up_to_date(directory, progress):  # an earlier edition's names first
            print(message)
        workspace.ensure_exercises(directory)
    except workspace.WorkspaceError as exc:
        print(exc)
        return True
    path = directory / exercise.filename
    if path.is_file() and workspace.file_digest(path) != workspace.file_digest(exercise.stub_path):
        return False
    print(f"{exercise.number} not started: open {workspace.shown(path)}, then run this cell again")
    return True


def check(exercise: str) -> bool:
    """Check an exercise as `mpbook check` does, printing its report; return True when every test passed."""
    try:
        found = find(exercise)
    except UnknownExercise as exc:
        print(exc)
        return False
    if not_started(found):
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
        assert process.stdout is not None  # stdout=PIPE
        for line in process.stdout:
            print(line, end="", flush=True)
        process.wait(timeout=MARGIN_S)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=MARGIN_S)
    return process.returncode == 0
