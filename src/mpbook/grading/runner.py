"""Grade one exercise file: each check test in its own process tree, under a deadline.

    runner --spawns--> python -m mpbook.grading._child SPEC  (new session, MPBOOK_GRADER_TOKEN=...)
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

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from mpbook import _leaks
from mpbook.grading.checking import DEFAULT_DEADLINE_S, DEFAULT_POINTS

TOKEN_VAR = "MPBOOK_GRADER_TOKEN"
# Every test's deadline is multiplied by this: 2 on a slow workshop laptop, 0.1 to see a hang reported fast.
DEADLINE_SCALE_VAR = "MPBOOK_DEADLINE_SCALE"
TRACKER_GRACE_S = 3  # the resource tracker unlinks leftovers within milliseconds of its last client's exit
OUTPUT_CAP_BYTES = 8_000  # what a learner can read in a terminal; the head and the tail are kept
CHECKS_DIR = Path(__file__).resolve().parent / "checks"
TIMEOUT_CAUSES = (
    "Usual causes: join() on a process before draining its queue; a consumer waiting for a sentinel "
    "that was never sent; a lock acquired and never released; get()/recv() with no timeout after the "
    "other side died; a pool or process never closed."
)


@dataclass(frozen=True)
class CheckTest:
    """One test function of a check module, as read from its source."""

    name: str
    doc: str
    points: int
    deadline: float


@dataclass
class TestResult:
    """What happened to one test: status is passed, failed, error or timeout."""

    name: str
    doc: str
    status: str
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
        return bool(self.tests) and all(t.status == "passed" for t in self.tests)


def check_module_path(exercise: str) -> Path:
    return CHECKS_DIR / f"check_{exercise}.py"


def collect_tests(exercise: str) -> list[CheckTest]:
    """Return the tests of an exercise's check module, read from its source without importing it."""
    tree = ast.parse(check_module_path(exercise).read_text(encoding="utf-8"))
    tests: list[CheckTest] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            marks = {"points": DEFAULT_POINTS, "deadline": DEFAULT_DEADLINE_S}
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Name)
                    and decorator.func.id in marks
                    and decorator.args
                ):
                    marks[decorator.func.id] = ast.literal_eval(decorator.args[0])
            doc = (ast.get_docstring(node) or node.name).strip().splitlines()[0]
            tests.append(CheckTest(node.name, doc, int(marks["points"]), float(marks["deadline"])))
    return tests


def imports_exercise(exercise: str) -> bool:
    """Return False when the check module says `IMPORTS_EXERCISE = False` (a script the checks run, not import)."""
    tree = ast.parse(check_module_path(exercise).read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "IMPORTS_EXERCISE" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return bool(node.value.value)
    return True


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


def _processes_with_token(token: str, since: float) -> list[psutil.Process]:
    """Return live processes started since `since` whose environment carries the token."""
    found = []
    for process in psutil.process_iter(["create_time"]):
        try:
            if process.info["create_time"] < since - 1 or process.pid == os.getpid():
                continue
            if process.environ().get(TOKEN_VAR) == token and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def _kill_tree(process: subprocess.Popen, token: str, since: float) -> int:
    """Stop everything the test started; return how many processes had escaped its process group.

    Order matters. multiprocessing's resource tracker unlinks the named semaphores and shared
    memory of the processes it serves once they are all gone; killed with them, it leaves those
    segments in /dev/shm for good. So: kill the test's processes, let the tracker finish its
    clean-up, then kill the whole group and anything still carrying the token.
    """
    members = _processes_with_token(token, since)
    trackers = [p for p in members if _is_resource_tracker(p)]
    workers = [p for p in members if p not in trackers]
    escaped = sum(
        1 for p in workers if os.name == "posix" and p.pid != process.pid and _group_of(p.pid) != process.pid
    )
    for member in workers:
        with contextlib.suppress(psutil.Error):
            member.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    _leaks.wait_gone(trackers, timeout=TRACKER_GRACE_S)
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    stragglers = _processes_with_token(token, since)
    for straggler in stragglers:
        with contextlib.suppress(psutil.Error):
            straggler.kill()
    _leaks.wait_gone(stragglers, timeout=5)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    return escaped


def _is_resource_tracker(process: psutil.Process) -> bool:
    with contextlib.suppress(psutil.Error):
        return "multiprocessing.resource_tracker" in " ".join(process.cmdline())
    return False


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def run_test(
    test: CheckTest, exercise: str, directory: Path, file_label: str, deadline: float | None = None
) -> TestResult:
    """Run one test of an exercise in its own process tree and return what happened.

    `deadline` replaces the test's own (the grader's tests use short ones).
    """
    if deadline is not None:
        test = CheckTest(test.name, test.doc, test.points, deadline)
    else:
        test = CheckTest(test.name, test.doc, test.points, test.deadline * deadline_scale())
    result = TestResult(test.name, test.doc, "error", 0, test.points)
    token = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="mpbook-check-") as scratch:
        scratch_dir = Path(scratch)
        report_path = scratch_dir / "report.json"
        spec = {
            "directory": str(directory),
            "exercise": exercise,
            "check_module": f"mpbook.grading.checks.check_{exercise}",
            "test": test.name,
            "report": str(report_path),
            "file_label": file_label,
            "import_exercise": imports_exercise(exercise),
        }
        (scratch_dir / "spec.json").write_text(json.dumps(spec))
        # PYTHON_COLORS=0: plain tracebacks (3.13+ may colour them), which checks parse and reports quote
        env = {**os.environ, TOKEN_VAR: token, "PYTHONUNBUFFERED": "1", "PYTHON_COLORS": "0"}
        group = (
            {"start_new_session": True}
            if os.name == "posix"
            else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        )
        since = time.time()
        started = time.perf_counter()
        with open(scratch_dir / "output.txt", "w+b") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "mpbook.grading._child", str(scratch_dir / "spec.json")],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=scratch_dir,  # files the learner's code writes land in a folder we delete
                env=env,
                **group,
            )
            timed_out = False
            returncode = None
            try:
                returncode = process.wait(timeout=test.deadline)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                # Always, even on Ctrl-C: the test runs in its own session, out of reach of the
                # terminal's interrupt, so nobody else would stop it.
                escaped = _kill_tree(process, token, since)
            result.seconds = time.perf_counter() - started
            output.seek(0)
            result.output = _cap(output.read().decode("utf-8", "replace"))

        if timed_out:
            result.status = "timeout"
            result.message = (
                f"did not finish within {test.deadline:g} s, so it was stopped (every process it started was killed). "
                + TIMEOUT_CAUSES
            )
        elif report_path.exists():
            report = json.loads(report_path.read_text())
            result.status, result.message = report["status"], report["message"]
        else:
            result.status = "error"
            result.message = (
                f"the test process ended (exit code {returncode}) without reporting a result. "
                "Does your code call sys.exit() or os._exit(), or crash the interpreter? "
                "Return results instead of exiting."
            )
        if escaped and result.status != "timeout":
            note = (
                f"{escaped} process(es) were still running after the test and were killed "
                "(they had left the process group, e.g. with os.setsid())."
            )
            result.message = f"{result.message}\n{note}".strip()
            if result.status == "passed":
                result.status = "failed"
    result.score = test.points if result.status == "passed" else 0
    return result


def grade_file(exercise: str, path: Path, on_result=None, deadline: float | None = None) -> ExerciseResult:
    """Grade the exercise file at path (named like the exercise); on_result(TestResult) is called as each test ends.

    `deadline`, when given, replaces every test's own deadline.
    """
    path = Path(path)
    graded = ExerciseResult(exercise, str(path))
    tests = collect_tests(exercise)
    started = time.perf_counter()
    if not path.is_file():
        graded.problem = f"there is no file {path}"
    else:
        graded.problem = syntax_problem(path)
    if graded.problem:
        graded.tests = [TestResult(t.name, t.doc, "error", 0, t.points, graded.problem) for t in tests]
        return graded
    for test in tests:
        result = run_test(test, exercise, path.parent.resolve(), path.name, deadline)
        graded.tests.append(result)
        if on_result:
            on_result(result)
    graded.seconds = time.perf_counter() - started
    return graded
