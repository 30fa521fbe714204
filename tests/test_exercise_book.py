"""The exercise book, graded once: every stub scores 0, every solution full marks; verify and grade on a small book.

Each stub and each solution is graded once per `make test`, by test_stub_scores_nothing_and_solution_full_marks
(the stubs two at a time beforehand, by stubs_graded; the solutions one by one).
The tests of `mpbook verify` and `mpbook grade` run them on a fake book of one or two exercises
(commands.EXERCISES and the solutions folder swapped), and reuse those gradings through `graded`, so
their own logic is tested without grading the book again. The real `mpbook verify --wrong-answers`,
which grades every solution three times, runs once in .ci/run; the wrong answers are graded in
tests/test_wrong_answers.py.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from concurrent_grading import grade_concurrently, selected

from mpbook import cli
from mpbook.grading import boundary, commands, runner, workspace, wrong
from mpbook.grading.catalogue import EXERCISES, find

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
_grade_file = runner.grade_file
_graded: dict[tuple[str, bytes], runner.ExerciseResult] = {}


def graded(exercise: str, path: Path, on_result=None, deadline: float | None = None) -> runner.ExerciseResult:
    """runner.grade_file, but a text already graded as this exercise in this session is not graded again."""
    path = Path(path)
    if on_result or deadline or not path.is_file():
        return _grade_file(exercise, path, on_result, deadline)
    key = (exercise, path.read_bytes())
    if key not in _graded:
        _graded[key] = _grade_file(exercise, path)
    return copy.deepcopy(_graded[key])  # its path is the first file graded with this text


@pytest.fixture(scope="module")
def stubs_graded(request) -> None:
    """Grade the stubs of the exercises this session tests, two at a time, into `graded`'s cache.

    A stub scores 0 (it raises NotImplementedError), under load or not; the solutions are graded one by one.
    A stub whose grading raised is left out: graded() grades it again in its own test, which shows the error.
    """
    exercises = [
        params["exercise"] for params in selected(request, test_stub_scores_nothing_and_solution_full_marks)
    ]
    results = grade_concurrently(exercises, lambda exercise: _grade_file(exercise.name, exercise.stub_path))
    for exercise, result in results.items():
        if not isinstance(result, BaseException):
            _graded[(exercise.name, exercise.stub_path.read_bytes())] = result


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.number for e in EXERCISES])
def test_stub_scores_nothing_and_solution_full_marks(exercise, stubs_graded):
    """The untouched stub scores 0 on every test (a test must require the work), and the solution passes every one."""
    stub = graded(exercise.name, exercise.stub_path)
    assert len(stub.tests) == len(runner.collect_tests(exercise.name)), stub.problem
    scoring = [(t.name, t.message[:300]) for t in stub.tests if t.score > 0]
    assert not scoring, f"the untouched stub scores on {scoring}"

    solution = graded(exercise.name, SOLUTIONS / exercise.filename)
    failing = [(t.name, t.status, t.message[:400]) for t in solution.tests if t.score < t.max_score]
    assert solution.passed, solution.problem or failing
    assert solution.score == solution.max_score > 0


def test_every_exercise_keeps_its_usual_wrong_answers():
    """solutions/wrong/<exercise>/ holds at least MIN_WRONG_ANSWERS per exercise, each naming tests the checks have."""
    for exercise in EXERCISES:
        paths = wrong.wrong_answers(SOLUTIONS, exercise.name)
        assert len(paths) >= commands.MIN_WRONG_ANSWERS, f"{exercise.name}: {len(paths)} wrong answers"
        tests = {test.name for test in runner.collect_tests(exercise.name)}
        for path in paths:
            assert set(wrong.caught_by(path)) <= tests, f"{path} names a test {exercise.name} does not have"


class WithStub:
    """An exercise of the book whose stub is another file: an exercise of a fake book."""

    def __init__(self, exercise, stub: Path):
        self._exercise, self.stub_path = exercise, stub

    def __getattr__(self, name):
        return getattr(self._exercise, name)


@pytest.fixture
def fake_book(tmp_path, monkeypatch):
    """Return use(exercises): verify and grade then see only those exercises, and tmp_path/solutions as solutions/."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    monkeypatch.setattr(runner, "grade_file", graded)
    monkeypatch.setattr(workspace, "solutions_dir", lambda: solutions)

    def use(*exercises) -> Path:
        monkeypatch.setattr(commands, "EXERCISES", exercises)
        return solutions

    return use


def wrong_answer(solutions: Path, exercise, name: str, caught_by: str, source: Path) -> None:
    """Write solutions/wrong/<exercise>/<name>.py: source, under a first line naming the test that must catch it."""
    folder = solutions / "wrong" / exercise.name
    folder.mkdir(parents=True, exist_ok=True)
    text = f"# breaks: {name} — caught by {caught_by}\n" + source.read_text(encoding="utf-8")
    (folder / f"{name}.py").write_text(text, encoding="utf-8")


def test_verify_passes_a_sound_book(fake_book, capsys):
    """A book whose stub scores 0, whose solution passes each run and whose wrong answers are caught: exit 0."""
    ex01 = find("ex01")
    solutions = fake_book(ex01)
    shutil.copyfile(SOLUTIONS / ex01.filename, solutions / ex01.filename)
    for number in range(commands.MIN_WRONG_ANSWERS):  # the untouched stub: the cheapest answer to catch
        wrong_answer(solutions, ex01, f"untouched_{number}", "test_empty_input", ex01.stub_path)

    code = commands.verify(runs=2, wrong_answers=True)

    out = capsys.readouterr().out
    assert code == 0, out
    assert f"ok       ex01 stub 0/{ex01.points}, solution x2" in out
    assert "ex01: 3 wrong answers, all caught" in out
    assert "every solution passes 2 times in a row, every wrong answer is caught." in out


def test_verify_reports_every_problem_and_exits_1(fake_book, capsys):
    """A stub that scores, a solution that fails, a wrong answer that passes, too few of them: each reported, exit 1.

    The book's ex01 with stub and solution swapped, and the solution kept as its one "wrong" answer.
    """
    ex01 = find("ex01")
    solutions = fake_book(WithStub(ex01, SOLUTIONS / ex01.filename))
    shutil.copyfile(ex01.stub_path, solutions / ex01.filename)
    wrong_answer(solutions, ex01, "not_wrong_at_all", "test_empty_input", SOLUTIONS / ex01.filename)

    code = commands.verify(runs=3, wrong_answers=True)

    out = capsys.readouterr().out
    assert code == 1, out
    assert "4 problem(s):" in out
    assert f"ex01: the untouched stub scores {ex01.points}/{ex01.points}" in out
    assert "ex01: solution run 1: test_" in out
    assert "solution run 2:" not in out, "a failing solution is not graded again"
    assert "ex01: 1 wrong answer, 1 NOT caught (not_wrong_at_all)" in out
    assert "ex01: not_wrong_at_all.py: test_empty_input passed, but it should catch this answer" in out
    assert "ex01: 1 wrong answer(s) in solutions/wrong/ex01_start_and_join/, expected at least 3" in out


def test_verify_reports_an_exercise_without_wrong_answers(tmp_path, capsys):
    """An exercise with no folder in solutions/wrong/ is a problem: nothing is graded, the report says so."""
    ex02 = find("ex02")

    problems = commands.verify_wrong_answers(tmp_path, [ex02])

    assert "ex02: no wrong answers" in capsys.readouterr().out
    assert problems == [
        f"ex02: 0 wrong answer(s) in solutions/wrong/{ex02.name}/, expected at least {commands.MIN_WRONG_ANSWERS}: "
        "keep the usual mistakes there, each naming the test that catches it"
    ]


def test_grade_a_class(tmp_path, fake_book, capsys):
    """mpbook grade on a class: the solution scores full marks, the untouched stub 0 on every test, in CSV and results.json."""
    ex01 = find("ex01")
    fake_book(ex01)
    submissions = tmp_path / "submissions"
    for student in ("solutions", "stubs", "bob"):
        (submissions / student).mkdir(parents=True)
    shutil.copyfile(SOLUTIONS / ex01.filename, submissions / "solutions" / ex01.filename)
    shutil.copyfile(ex01.stub_path, submissions / "stubs" / ex01.filename)
    (submissions / "bob" / ex01.filename).write_text("def start_and_join(durations)\n")  # syntax error
    (submissions / "notes.txt").write_text("not a student")

    code = cli.main(
        [
            "grade",
            str(submissions),
            "--csv",
            str(tmp_path / "grades.csv"),
            "--json-dir",
            str(tmp_path / "results"),
        ]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "Skipping 1 file(s)" in out
    assert boundary.privilege_note() in out  # said when the grader is root and cannot drop to another user
    rows = (tmp_path / "grades.csv").read_text().splitlines()
    assert rows[0] == "student,exercise,score,max_score,passed,failed,timeouts,seconds"
    tests = len(runner.collect_tests(ex01.name))
    assert rows[1:] == [
        f"bob,ex01,0,{ex01.points},0,{tests},0,0.0",
        f"solutions,ex01,{ex01.points},{ex01.points},{tests},0,0,{rows[2].rsplit(',', 1)[1]}",
        f"stubs,ex01,0,{ex01.points},0,{tests},0,{rows[3].rsplit(',', 1)[1]}",
    ]
    reports = {}
    for student in ("solutions", "stubs", "bob"):
        report = json.loads((tmp_path / "results" / student / "results.json").read_text())
        assert set(report) >= {"score", "execution_time", "output", "tests"}
        assert len(report["tests"]) == tests
        for test in report["tests"]:
            assert set(test) >= {"name", "score", "max_score", "status", "output"}
            assert test["name"].startswith("ex01 · ")
        reports[student] = report
    assert reports["solutions"]["score"] == ex01.points
    assert {t["status"] for t in reports["solutions"]["tests"]} == {"passed"}
    assert reports["stubs"]["score"] == reports["bob"]["score"] == 0
    assert {t["status"] for t in reports["stubs"]["tests"]} == {"failed"}
    assert all(t["output"] for t in reports["stubs"]["tests"]), "a failed test says why"
