"""`mpbook try`: run the learner's function once on the exercise's example, before any test.

    mpbook try ex04 --> runner.run_isolated: python -m mpbook.grading._child SPEC (own session, deadline)
                          \\-- imports exercises/ex04_queue_results.py, evaluates TRY in it
    <-- REPORT.json: the repr of what came back, or the last lines of what was raised

The same machinery as a check: the book's start method, a new session, the grader's tree kill
and leftover report. A script exercise (ex02) is run as a script, with TRY as its arguments.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mpbook.grading import childreport, runner
from mpbook.grading.catalogue import Exercise

TRY_DEADLINE_S = 30  # every TRY example takes a second or two; 30 s means it hangs


@dataclass
class TryOutcome:
    """What one try came to. status: returned, raised, not_written, error, timeout, finished or exited."""

    status: str
    value: str = ""  # the repr of what came back
    message: str = ""  # what was raised, or what went wrong
    output: str = ""  # what the code printed, capped
    seconds: float = 0.0
    returncode: int | None = None


def try_file(exercise: Exercise, path: Path, deadline: float | None = None) -> TryOutcome:
    """Run exercise.try_call against the learner's file at path, in its own process tree."""
    deadline = TRY_DEADLINE_S * runner.deadline_scale() if deadline is None else deadline
    with tempfile.TemporaryDirectory(prefix="mpbook-try-") as scratch:
        scratch_dir = Path(scratch)
        report_path = scratch_dir / "report.json"
        if exercise.is_script:
            argv = [sys.executable, str(Path(path).resolve()), *shlex.split(exercise.try_call)]
        else:
            spec = {
                "directory": str(Path(path).parent.resolve()),
                "exercise": exercise.name,
                "expression": exercise.try_call,
                "report": str(report_path),
                "file_label": Path(path).name,
            }
            argv = runner.child_command(spec, scratch_dir)
        run = runner.run_isolated(argv, scratch_dir, deadline)
        outcome = TryOutcome("error", output=run.output, seconds=run.seconds, returncode=run.returncode)
        if run.timed_out:
            outcome.status = "timeout"
            outcome.message = (
                f"did not finish within {deadline:g} s, so it was stopped (every process it started was killed). "
                + runner.TIMEOUT_CAUSES
            )
        elif exercise.is_script:
            outcome.status = "finished" if run.returncode == 0 else "exited"
        elif report_path.exists():
            try:
                report = childreport.read_try_report(report_path)
            except childreport.MalformedReport as exc:
                outcome.message = f"the process's report could not be read: {exc}"
            else:
                outcome.status, outcome.value, outcome.message = report.status, report.value, report.message
                outcome.seconds = report.seconds
        else:
            outcome.message = (
                f"the process ended (exit code {run.returncode}) without a result. Does your code call sys.exit() "
                "or os._exit(), or crash the interpreter? Return results instead of exiting."
            )
        if run.escaped:
            note = f"{run.escaped} process(es) had left the process group (os.setsid()) and were killed."
            outcome.message = f"{outcome.message}\n{note}".strip()
    return outcome
