"""The grader's records: what it reads from a check module, what a test's process reports back, what `mpbook grade` writes."""

from __future__ import annotations

import csv
import importlib
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from mpbook.grading import catalogue, childreport, reports, runner
from mpbook.grading.checking import DEFAULT_DEADLINE_S, DEFAULT_POINTS
from mpbook.grading.childreport import MalformedReport, Status, TestReport
from mpbook.grading.runner import ExerciseResult

IMPORT_TIMEOUT_S = 60  # importing the 24 check modules takes about a tenth of a second
GRADE_DEADLINE_S = 20  # one test that returns at once, in a fresh interpreter

FAKE_CHECKS = '''
import functools

from mpbook.grading import checking
from mpbook.grading.checking import deadline, exercise, points

POINTS = 3
ex = exercise("LEARNER")


def logged(func):
    """A decorator that is not the grader's: it wraps the test and keeps its marks (functools.wraps)."""

    @functools.wraps(func)
    def wrapper():
        return func()

    return wrapper


@points(POINTS)
def test_points_from_a_constant():
    """Worth POINTS, a module constant."""
    assert ex.answer() == 42


@checking.points(2)
@checking.deadline(7)
def test_points_through_the_module():
    """Worth 2, through checking.points."""
    assert ex.answer() == 42


@points(4)
@logged
def test_wrapped_inside():
    """Worth 4, around a decorator of its own."""


@logged
@points(5)
def test_wrapped_outside():
    """Worth 5, inside a decorator of its own."""


def test_without_marks():
    """Worth the default."""


def helper_not_a_test():
    return 0
'''


@pytest.fixture
def fake_exercise(tmp_path, monkeypatch):
    """A learner's module in tmp_path and a check module in a folder of its own, importable here and in
    the grader's test process (PYTHONPATH), never by the learner's: return (checks, learner name)."""
    suffix = uuid.uuid4().hex[:8]
    learner, checks = f"fake_learner_{suffix}", f"fake_checks_{suffix}"
    (tmp_path / f"{learner}.py").write_text("def answer():\n    return 42\n")
    checks_dir = tmp_path / "checks"
    checks_dir.mkdir()
    (checks_dir / f"{checks}.py").write_text(FAKE_CHECKS.replace("LEARNER", learner))
    monkeypatch.syspath_prepend(str(checks_dir))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(checks_dir), os.environ.get("PYTHONPATH")]))
    )
    yield importlib.import_module(checks), learner
    sys.modules.pop(checks, None)


def test_points_and_deadlines_are_read_from_the_decorated_functions(fake_exercise):
    """@points(POINTS), @checking.points(2) and a test under a decorator of its own count as written."""
    checks, _learner = fake_exercise
    tests = {test.name: test for test in catalogue.read_tests(checks)}
    assert {name: test.points for name, test in tests.items()} == {
        "test_points_from_a_constant": 3,
        "test_points_through_the_module": 2,
        "test_wrapped_inside": 4,
        "test_wrapped_outside": 5,
        "test_without_marks": DEFAULT_POINTS,
    }
    assert tests["test_points_through_the_module"].deadline == 7
    assert tests["test_without_marks"].deadline == DEFAULT_DEADLINE_S
    assert tests["test_points_from_a_constant"].doc == "Worth POINTS, a module constant."
    assert {test.module for test in tests.values()} == {checks.__name__}
    assert catalogue.imports_exercise(checks)


def test_a_passing_test_scores_its_decorated_points(fake_exercise, tmp_path):
    """Graded in its own process, the test marked @points(POINTS) scores POINTS, and @checking.points(2) scores 2."""
    checks, learner = fake_exercise
    tests = {test.name: test for test in catalogue.read_tests(checks)}
    for name, points in (("test_points_from_a_constant", 3), ("test_points_through_the_module", 2)):
        result = runner.run_test(tests[name], learner, tmp_path, f"{learner}.py", GRADE_DEADLINE_S)
        assert (result.status, result.score, result.max_score) == (Status.PASSED, points, points), (
            result.message
        )


def test_importing_every_check_module_runs_no_learner_code(tmp_path):
    """In a fresh interpreter, reading every exercise's tests imports no learner's module, patches nothing, starts nothing."""
    probe = textwrap.dedent(
        """
        import multiprocessing, sys
        from multiprocessing.process import BaseProcess
        original = BaseProcess.start
        from mpbook.grading.catalogue import EXERCISES, ORDER
        points = {e.name: (e.points, e.is_script) for e in EXERCISES}
        print(sorted(n for n in ORDER if n in sys.modules), BaseProcess.start is original,
              len(multiprocessing.active_children()), len(points))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=IMPORT_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True", "0", str(len(catalogue.EXERCISES))], (
        done.stdout + done.stderr
    )


def test_a_status_is_its_string():
    """A Status equals its value, prints as it, and is written to JSON as it."""
    assert Status.PASSED == "passed"
    assert f"{Status.TIMEOUT}" == str(Status.TIMEOUT) == "timeout"
    assert json.dumps({"status": Status.FAILED}) == '{"status": "failed"}'


def test_a_report_round_trips(tmp_path):
    """What the child writes, the grader reads back the same."""
    report = TestReport(Status.FAILED, "got 3, expected 4", 0.25)
    childreport.write(report, tmp_path / "report.json")
    assert childreport.read_test_report(tmp_path / "report.json") == report


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not readable JSON"),
        ("[1, 2]", "holds a list"),
        ('{"message": ""}', "no 'status'"),
        ('{"status": "won", "message": ""}', "status 'won' is not one of passed, failed, error"),
        ('{"status": "timeout", "message": ""}', "status 'timeout'"),
        ('{"status": "passed"}', "no 'message'"),
        ('{"status": "passed", "message": 3}', "'message' is 3, not a str"),
        ('{"status": "passed", "message": "", "seconds": true}', "'seconds' is True"),
    ],
)
def test_a_malformed_report_is_named(tmp_path, content, says):
    """A report with a key missing or of the wrong type raises MalformedReport saying which, never a KeyError."""
    path = tmp_path / "report.json"
    path.write_text(content)
    with pytest.raises(MalformedReport) as raised:
        childreport.read_test_report(path)
    assert says in str(raised.value)


def test_a_malformed_try_report_is_named(tmp_path):
    """`mpbook try`'s report is checked the same way."""
    path = tmp_path / "report.json"
    path.write_text('{"status": "returned", "value": 42}')
    with pytest.raises(MalformedReport, match="'value' is 42, not a str"):
        childreport.read_try_report(path)


def _graded() -> list[tuple[catalogue.Exercise, ExerciseResult]]:
    first, second = catalogue.EXERCISES[:2]
    one = ExerciseResult(first.name, "a.py", seconds=1.234)
    one.tests = [
        runner.TestResult("test_a", "A works.", Status.PASSED, 2, 2),
        runner.TestResult("test_b", "B works.", Status.TIMEOUT, 0, 1, "did not finish"),
        runner.TestResult("test_c", "C works.", Status.ERROR, 0, 1, "sys.exit"),
    ]
    two = ExerciseResult(second.name, "b.py", problem="there is no file b.py")
    two.tests = [runner.TestResult("test_d", "D works.", Status.FAILED, 0, 3, "there is no file b.py")]
    return [(first, one), (second, two)]


def test_the_csv_counts_passed_failed_and_timeouts(tmp_path):
    """One row per student and exercise; an error counts as failed, a timeout on its own."""
    graded = _graded()
    rows = [reports.csv_row("ann", exercise, result) for exercise, result in graded]
    reports.write_csv(tmp_path / "grades.csv", rows)
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as handle:
        read = list(csv.reader(handle))
    first, second = (exercise.number for exercise, _result in graded)
    assert read == [
        list(reports.CSV_COLUMNS),
        ["ann", first, "2", "4", "1", "1", "1", "1.23"],
        ["ann", second, "0", "3", "0", "1", "0", "0.0"],
    ]


def test_the_gradescope_results_say_passed_or_failed(tmp_path):
    """results.json has Gradescope's keys; a test is passed or failed, with the message of a failure as its output."""
    graded = _graded()
    path = reports.write_gradescope(tmp_path, "ann", reports.gradescope_results(graded, 3.456))
    assert path == tmp_path / "ann" / "results.json"
    results = json.loads(path.read_text(encoding="utf-8"))
    (first, _one), (second, _two) = graded
    assert results["score"] == 2
    assert results["execution_time"] == 3.46
    assert results["output"] == f"{first.number} {first.title}: 2/4\n{second.number} {second.title}: 0/3"
    assert [(t["name"], t["status"], t["output"]) for t in results["tests"]] == [
        (f"{first.number} · A works.", "passed", ""),
        (f"{first.number} · B works.", "failed", "did not finish"),
        (f"{first.number} · C works.", "failed", "sys.exit"),
        (f"{second.number} · D works.", "failed", "there is no file b.py"),
    ]
    assert path.read_text(encoding="utf-8").startswith('{\n "score": 2,\n "execution_time": 3.46,')


def test_an_unreadable_report_grades_as_an_error(fake_exercise, tmp_path, monkeypatch):
    """When the report cannot be read, the test is an error that says why, not a crash of the grader."""

    def unreadable(_path: Path, _key: str | None = None) -> TestReport:
        raise MalformedReport("the report has no 'status'")

    monkeypatch.setattr(childreport, "read_test_report", unreadable)
    checks, learner = fake_exercise
    test = catalogue.read_tests(checks)[0]
    result = runner.run_test(test, learner, tmp_path, f"{learner}.py", GRADE_DEADLINE_S)
    assert result.status == Status.ERROR
    assert result.score == 0
    assert "report could not be read: the report has no 'status'" in result.message


def test_wait_for_returns_the_exit_code_or_times_out():
    """_processes.wait_for, the grader's wait on each test's processes: the exit code, or TimeoutExpired."""
    from mpbook import _processes

    quick = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    assert _processes.wait_for(quick, GRADE_DEADLINE_S) == 3
    assert _processes.wait_for(quick, GRADE_DEADLINE_S) == 3  # reaped already: asked again, the same
    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            _processes.wait_for(stuck, 0.2)
    finally:
        stuck.kill()
        assert _processes.wait_for(stuck, GRADE_DEADLINE_S) != 0  # killed
