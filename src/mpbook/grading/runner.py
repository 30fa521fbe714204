"""Grade one exercise file: each check test in its own process tree, under a deadline.

    runner --spawns--> python -m mpbook.grading._child SPEC  (new session, MPBOOK_TREE_TOKEN=...)
                         \\-- learner code, its pools and processes (same session, same token)
    runner <--REPORT.json-- (only when the test really returned)

Why this shape: a multiprocessing bug usually shows as a hang. Running the learner's code in
a separate session lets us kill the whole tree at the deadline (the process group), then sweep
anything that escaped the group (a grandchild that called os.setsid()) by the token every
descendant inherits in its environment. The grader never imports learner code itself.

The grader is a teaching tool, not a sandbox: learner code runs with the grader's rights.
To grade untrusted submissions, run `mpbook grade` inside a container or a throwaway VM.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from mpbook import _processes
from mpbook.grading import childreport
from mpbook.grading.catalogue import PACKAGE, CheckTest, read_tests
from mpbook.grading.childreport import Status

# Every test's deadline is multiplied by this: 2 on a slow workshop laptop, 0.1 to see a hang reported fast.
DEADLINE_SCALE_VAR = "MPBOOK_DEADLINE_SCALE"
OUTPUT_CAP_BYTES = 8_000  # what a learner can read in a terminal; the head and the tail are kept
TIMEOUT_CAUSES = (
    "Usual causes: join() on a process before draining its queue; a consumer waiting for a sentinel "
    "that was never sent; a lock acquired and never released; get()/recv() with no timeout after the "
    "other side died; a pool or process never closed."
)


@dataclass
class TestResult:
    """What happened to one test."""

    name: str
    doc: str
    status: Status
    score: int
    max_score: int
    message: str = ""
    seconds: float = 0.0
    output: str = ""


@dataclass
class ExerciseResult:
    """Every test result of one exercise file."""

    exercise: str
    path: str
    tests: list[TestResult] = field(default_factory=list)
    seconds: float = 0.0
    problem: str = ""  # set when the file could not be graded at all (missing, syntax error)

    @property
    def score(self) -> int:
        return sum(t.score for t in self.tests)

    @property
    def max_score(self) -> int:
        return sum(t.max_score for t in self.tests)

    @property
    def passed(self) -> bool:
        return bool(self.tests) and all(t.status == Status.PASSED for t in self.tests)


def collect_tests(exercise: str) -> list[CheckTest]:
    """Return the tests of an exercise's check module (imported here: it imports the learner's file only in a test)."""
    return list(read_tests(importlib.import_module(f"{PACKAGE}.{exercise}.checks")))


class DeadlineScaleError(ValueError):
    """MPBOOK_DEADLINE_SCALE is not a positive number."""


def deadline_scale() -> float:
    """Return the factor from MPBOOK_DEADLINE_SCALE (default 1); a bad value is a clear error."""
    raw = os.environ.get(DEADLINE_SCALE_VAR, "").strip()
    if not raw:
        return 1.0
    try:
        scale = float(raw)
    except ValueError:
        scale = -1.0
    if not 0 < scale < 1000:
        raise DeadlineScaleError(f"{DEADLINE_SCALE_VAR}={raw!r} must be a positive number such as 2 or 0.5")
    return scale


def syntax_problem(path: Path) -> str:
    """Return a learner-readable description of a syntax error in path, or '' if it parses."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return f"{path.name} is not UTF-8 text ({exc.reason}); save it as UTF-8."
    try:
        compile(source, str(path), "exec")
    except SyntaxError as exc:
        line = (exc.text or "").rstrip()
        pointer = f"\n    {line}" if line else ""
        return f"{path.name} line {exc.lineno}: {exc.msg}.{pointer}\nFix the syntax, then check again."
    return ""


def _cap(text: str, limit: int = OUTPUT_CAP_BYTES) -> str:
    """Return text cut to about limit characters, keeping its head and tail."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n... [{len(text) - limit} characters cut] ...\n{text[-half:]}"


@dataclass
class IsolatedRun:
    """How a command run in its own process tree under a deadline ended."""

    timed_out: bool
    returncode: int | None
    output: str  # what it and its children printed, capped
    escaped: int  # processes that had left its process group and were killed
    seconds: float


def run_isolated(argv: list[str], scratch_dir: Path, deadline: float) -> IsolatedRun:
    """Run argv in a new session with cwd=scratch_dir; kill its whole tree when it ends or at the deadline.

    The one place the grader starts learner code: `mpbook check`, `mpbook try` and `mpbook watch` all come here.
    """
    # PYTHON_COLORS=0: plain tracebacks (3.13+ may colour them), which checks parse and reports quote
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHON_COLORS": "0"}
    # cwd: files the learner's code writes land in a folder we delete
    with open(scratch_dir / "output.txt", "w+b") as output:
        run = _processes.run_isolated(argv, deadline, stdout=output, cwd=scratch_dir, env=env)
        output.seek(0)
        text = _cap(output.read().decode("utf-8", "replace"))
    return IsolatedRun(run.timed_out, run.returncode, text, run.escaped, run.seconds)


def child_command(spec: dict, scratch_dir: Path) -> list[str]:
    """Write spec to scratch_dir and return the command that runs it in mpbook.grading._child."""
    (scratch_dir / "spec.json").write_text(json.dumps(spec))
    return [sys.executable, "-m", "mpbook.grading._child", str(scratch_dir / "spec.json")]


def run_test(
    test: CheckTest, exercise: str, directory: Path, file_label: str, deadline: float | None = None
) -> TestResult:
    """Run one test of an exercise in its own process tree and return what happened.

    `deadline` replaces the test's own (the grader's tests use short ones).
    """
    scaled = test.deadline * deadline_scale() if deadline is None else deadline
    test = dataclasses.replace(test, deadline=scaled)
    result = TestResult(test.name, test.doc, Status.ERROR, 0, test.points)
    with tempfile.TemporaryDirectory(prefix="mpbook-check-", ignore_cleanup_errors=True) as scratch:
        scratch_dir = Path(scratch)
        report_path = scratch_dir / "report.json"
        spec = {
            "directory": str(directory),
            "exercise": exercise,
            "check_module": test.module,
            "test": test.name,
            "report": str(report_path),
            "file_label": file_label,
            "key": secrets.token_hex(16),  # signs the report (childreport.signature)
        }
        run = run_isolated(child_command(spec, scratch_dir), scratch_dir, test.deadline)
        result.seconds, result.output = run.seconds, run.output
        if run.timed_out:
            result.status = Status.TIMEOUT
            result.message = (
                f"did not finish within {test.deadline:g} s, so it was stopped (every process it started was killed). "
                + TIMEOUT_CAUSES
            )
        elif report_path.exists():
            try:
                report = childreport.read_test_report(report_path, str(spec["key"]))
            except childreport.MalformedReport as exc:
                result.message = f"the test process's report could not be read: {exc}"
            else:
                result.status, result.message = report.status, report.message
        else:
            result.message = (
                f"the test process ended (exit code {run.returncode}) without reporting a result. "
                "Does your code call sys.exit() or os._exit(), or crash the interpreter? "
                "Return results instead of exiting."
            )
        if run.escaped and result.status != Status.TIMEOUT:
            note = (
                f"{run.escaped} process(es) were still running after the test and were killed "
                "(they had left the process group, e.g. with os.setsid())."
            )
            result.message = f"{result.message}\n{note}".strip()
            if result.status == Status.PASSED:
                result.status = Status.FAILED
    result.score = test.points if result.status == Status.PASSED else 0
    return result


def grade_file(exercise: str, path: Path, on_result=None, deadline: float | None = None) -> ExerciseResult:
    """Grade the exercise file at path; on_result(TestResult) is called as each test ends.

    A file not named like the exercise (a stub.py) is graded from a copy that is: the checks import
    the learner's module by the exercise's name. `deadline`, when given, replaces every test's own.
    """
    path = Path(path)
    if path.is_file() and path.name != f"{exercise}.py":
        with tempfile.TemporaryDirectory(prefix="mpbook-grade-") as folder:
            copy = Path(folder) / f"{exercise}.py"
            shutil.copyfile(path, copy)
            graded = grade_file(exercise, copy, on_result, deadline)
        graded.path = str(path)
        return graded
    graded = ExerciseResult(exercise, str(path))
    tests = collect_tests(exercise)
    started = time.perf_counter()
    if not path.is_file():
        graded.problem = f"there is no file {path}"
    else:
        graded.problem = syntax_problem(path)
    if graded.problem:
        graded.tests = [TestResult(t.name, t.doc, Status.ERROR, 0, t.points, graded.problem) for t in tests]
        return graded
    for test in tests:
        result = run_test(test, exercise, path.parent.resolve(), path.name, deadline)
        graded.tests.append(result)
        if on_result:
            on_result(result)
    graded.seconds = time.perf_counter() - started
    return graded
