"""The grader is honest: stubs fail, solutions pass, and no learner code can hang it, fool it or outlive it."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from concurrent_grading import grade_concurrently, result_of, selected

from mpbook.grading import runner, workspace
from mpbook.grading.catalogue import EXERCISES, UnknownExercise, find
from mpbook.grading.childreport import Status

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
SHORT_DEADLINE_S = 4  # a passing ex01 test takes ~0.5 s (1.3 s for the 4 x 1 s one); hangs are cut at 4 s
KILL_MARGIN_S = 2  # the promise: a deadlocked test is killed within deadline + 2 s
CLI_TIMEOUT_S = 300  # a CLI call grades at most one class of three small submissions

EX01 = "ex01_start_and_join"


def grade(path: Path, name: str = EX01) -> runner.ExerciseResult:
    return runner.grade_file(name, path, deadline=SHORT_DEADLINE_S)


def processes_with(marker: str) -> list[psutil.Process]:
    """Return live processes whose command line contains marker."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if marker in " ".join(process.info["cmdline"] or []) and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def test_stub_scores_below_the_maximum():
    """The untouched stub fails, with a message saying it is not done yet."""
    result = grade(workspace.stub_path(find("ex01")))
    assert result.score == 0
    assert "not done yet" in result.tests[0].message
    assert "NotImplementedError" in result.tests[0].message


CASES = Path(__file__).resolve().parent / "grading_cases"
CASE_KEYS = {"exercise", "run", "deadline", "says", "output", "problem", "only", "platform"}


@dataclass
class Case:
    """A learner's file in tests/grading_cases/<status>/, and what grading it must show.

    Its first comment line says what the learner did; the next ones are `# key: value`:
    exercise  the exercise it answers (ex01)
    run       first: the exercise's first test alone (runner.run_test); all: the whole file (runner.grade_file)
    deadline  seconds each test gets (SHORT_DEADLINE_S when absent)
    says      a text the message of the first test with the folder's status contains (one line per text)
    output    a text the test's captured output contains
    problem   how the file-level problem begins (a file that cannot be graded at all)
    only      the one test that ends with the folder's status; every other test passes
    platform  posix: the case needs process groups and setsid
    """

    path: Path
    status: str  # the folder's name: passed, failed, error or timeout
    fields: dict[str, list[str]]

    def first(self, key: str, default: str = "") -> str:
        return self.fields.get(key, [default])[0]


def read_case(path: Path) -> Case:
    """Return the case in path, its header read; an unknown key is an error (a typo would check nothing)."""
    fields: dict[str, list[str]] = {}
    lines = path.read_text(encoding="utf-8").splitlines()
    header = list(itertools.takewhile(lambda line: line.startswith("#"), lines))
    for line in header[1:]:
        key, _, value = line.removeprefix("#").partition(":")
        assert key.strip() in CASE_KEYS, f"{path}: unknown key {key.strip()!r} (known: {sorted(CASE_KEYS)})"
        fields.setdefault(key.strip(), []).append(value.strip())
    assert path.parent.name in {s.value for s in Status}, f"{path}: its folder must be named by a status"
    assert fields.get("run") in (["first"], ["all"]), f"{path}: say `# run: first` or `# run: all`"
    assert "exercise" in fields, f"{path}: say which exercise it answers, `# exercise: ex01`"
    return Case(path, path.parent.name, fields)


def test_a_case_for_every_status():
    """tests/grading_cases/ has a case for each status a test can end with."""
    assert {p.parent.name for p in CASES.glob("*/*.py")} == {s.value for s in Status}


@dataclass
class GradedCase:
    """A case graded, and the processes still running its marker or its folder 0.2 s after."""

    case: Case
    deadline: float
    graded: runner.ExerciseResult
    outlived: list[psutil.Process]
    outlived_in_folder: list[psutil.Process]


def grade_case(case_path: Path, folder: Path) -> GradedCase:
    """Grade the learner's file of case_path from a copy in folder; then look for what it left running."""
    case = read_case(case_path)
    if case.first("platform") == "posix" and os.name != "posix":
        pytest.skip("process groups and setsid are POSIX")
    exercise = find(case.first("exercise")).name
    deadline = float(case.first("deadline", str(SHORT_DEADLINE_S)))
    marker = f"mpbook-test-{uuid.uuid4().hex}"
    learner = folder / f"{exercise}.py"
    learner.write_text(case_path.read_text(encoding="utf-8").replace("MARKER", marker), encoding="utf-8")

    if case.first("run") == "first":
        first = runner.collect_tests(exercise)[0]
        graded = runner.ExerciseResult(exercise, str(learner))
        graded.tests = [runner.run_test(first, exercise, folder, learner.name, deadline)]
    else:
        graded = runner.grade_file(exercise, learner, deadline=deadline)
    time.sleep(0.2)
    return GradedCase(case, deadline, graded, processes_with(marker), processes_with(str(folder)))


def waits(case_path: Path) -> bool:
    """A timeout case: it waits to be killed, whatever else runs (empty_input_sleeps's other tests pass well inside its deadline)."""
    return case_path.parent.name == Status.TIMEOUT


@pytest.fixture(scope="module")
def hangs_graded(request, tmp_path_factory) -> dict:
    """The hang cases this session tests, graded 4 at a time: they wait for their deadline, not for a CPU.

    The other cases expect their tests to pass or fail on their merits: they run alone.
    """
    paths = [params["case_path"] for params in selected(request, test_grading_case)]
    # made here, not in the threads: mktemp is not thread-safe
    folders = {path: tmp_path_factory.mktemp(path.stem) for path in paths if waits(path)}
    return grade_concurrently(folders, lambda path: grade_case(path, folders[path]), workers=4)


@pytest.mark.parametrize("case_path", sorted(CASES.glob("*/*.py")), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_grading_case(tmp_path, case_path, hangs_graded):
    """Each learner's file in tests/grading_cases/ gets its folder's status and says what its header says.

    A timeout ends within its deadline + KILL_MARGIN_S; whatever the file started is gone afterwards.
    """
    got = result_of(hangs_graded, case_path) if case_path in hangs_graded else grade_case(case_path, tmp_path)
    case, deadline, graded = got.case, got.deadline, got.graded
    exercise = graded.exercise
    shown = [(t.name, t.status, t.message) for t in graded.tests]

    only = case.first("only")
    expected = {t.name: case.status if not only or t.name == only else Status.PASSED for t in graded.tests}
    assert {t.name: t.status for t in graded.tests} == expected, shown
    assert not only or only in expected, f"{case_path}: {exercise} has no test {only}"
    if case.status != Status.PASSED:
        assert graded.score < graded.max_score if only else graded.score == 0, shown
    for test in graded.tests:
        if test.status == Status.TIMEOUT:
            assert test.seconds < deadline + KILL_MARGIN_S, (test.name, test.seconds)
        assert len(test.output) < runner.OUTPUT_CAP_BYTES + 200, (test.name, len(test.output))
    telling = next(t for t in graded.tests if t.status == case.status)
    for text in case.fields.get("says", []):
        assert text in telling.message, (telling.name, text, telling.message)
    for text in case.fields.get("output", []):
        assert all(text in t.output for t in graded.tests), (text, [t.output[-200:] for t in graded.tests])
    if case.first("problem"):
        assert graded.problem.startswith(case.first("problem")), graded.problem

    assert got.outlived == [], "a process outlived the grader"
    assert got.outlived_in_folder == [], "a process running the learner's file outlived the grader"


def test_missing_file_is_reported(tmp_path):
    """Grading a file that does not exist reports it, and every test scores 0."""
    result = grade(tmp_path / f"{EX01}.py")
    assert "there is no file" in result.problem
    assert result.score == 0


def test_exercise_names_are_found_by_number_or_slug():
    """find accepts ex01, 1, 01, the full module name or the slug; anything else lists the exercises."""
    for name in ("ex01", "1", "01", EX01, "start_and_join", "EX01.py"):
        assert find(name).name == EX01
    with pytest.raises(UnknownExercise, match=r"there is no exercise 'ex99'\. Exercises: ex01"):
        find("ex99")


def test_catalogue_matches_the_files():
    """Every catalogue entry has a stub, a solution, a check module with tests, two or three hints and an example."""
    for exercise in EXERCISES:
        assert workspace.stub_path(exercise).is_file(), exercise.name
        assert (SOLUTIONS / exercise.filename).is_file(), exercise.name
        assert runner.collect_tests(exercise.name), exercise.name
        assert 2 <= len(exercise.hints) <= 3, exercise.name
        assert exercise.try_call.strip(), exercise.name
        assert exercise.name.isidentifier(), "a child process imports the exercise by this name"
        assert exercise.points == sum(t.points for t in runner.collect_tests(exercise.name)) > 0


def run_mpbook(
    *args: str, exercises_dir: Path | None = None, timeout: float = CLI_TIMEOUT_S
) -> subprocess.CompletedProcess:
    env = {**os.environ}
    if exercises_dir is not None:
        env[workspace.ENV_DIR] = str(exercises_dir)
    return subprocess.run(
        [sys.executable, "-m", "mpbook", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_verify_without_grading_passes():
    """mpbook verify --no-grading: every exercise is complete, mirrored, hinted and in the README's table.

    The grading half of verify (stubs score 0, solutions pass) is tests/test_exercise_book.py, which grades
    each stub and each solution once and tests verify on a fake book; .ci/run runs the real one.
    """
    result = run_mpbook("verify", "--no-grading")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "complete and mirrored" in result.stdout


def test_list_check_hint_reset_round_trip(tmp_path):
    """A learner's session: list copies the stubs, check reports, hint escalates, reset keeps a backup."""
    listing = run_mpbook("list", exercises_dir=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "not started" in listing.stdout
    assert "Next: ex01" in listing.stdout
    assert (tmp_path / f"{EX01}.py").read_text() == workspace.stub_path(find("ex01")).read_text()

    shutil.copyfile(SOLUTIONS / f"{EX01}.py", tmp_path / f"{EX01}.py")
    checked = run_mpbook("check", "ex01", exercises_dir=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ex01 is done" in checked.stdout
    assert "done" in run_mpbook("list", exercises_dir=tmp_path).stdout.split("ex02")[0]

    first = run_mpbook("hint", "ex01", exercises_dir=tmp_path)
    second = run_mpbook("hint", "ex01", exercises_dir=tmp_path)
    assert "hint 1 of" in first.stdout
    assert "hint 2 of" in second.stdout

    mine = (tmp_path / f"{EX01}.py").read_text()
    reset = run_mpbook("reset", "ex01", exercises_dir=tmp_path)
    assert reset.returncode == 0, reset.stderr
    backups = list((tmp_path / ".backups").glob("ex01_start_and_join-*.py"))
    assert [b.read_text() for b in backups] == [mine], "the learner's version must be kept"
    assert (tmp_path / f"{EX01}.py").read_text() == workspace.stub_path(find("ex01")).read_text()


def test_existing_work_is_never_overwritten(tmp_path):
    """mpbook list copies only missing stubs: a learner's edited file stays as it is."""
    mine = tmp_path / f"{EX01}.py"
    mine.write_text("# my work\n")
    assert run_mpbook("list", exercises_dir=tmp_path).returncode == 0
    assert mine.read_text() == "# my work\n"


def test_check_failure_exit_code_and_hint_offer(tmp_path):
    """Checking an unfinished stub exits 1, and the second failure in a row offers a hint."""
    first = run_mpbook("check", "ex01", exercises_dir=tmp_path)
    second = run_mpbook("check", "ex01", exercises_dir=tmp_path)
    assert first.returncode == second.returncode == 1
    assert "mpbook hint ex01" not in first.stdout
    assert "Stuck? `mpbook hint ex01` shows hint 1 of" in second.stdout


def test_unknown_exercise_is_a_clear_error(tmp_path):
    """An unknown exercise name exits 2 and lists the real ones, with no traceback."""
    result = run_mpbook("check", "ex99", exercises_dir=tmp_path)
    assert result.returncode == 2
    assert "there is no exercise 'ex99'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_corrupt_progress_file_is_set_aside(tmp_path):
    """A corrupt progress file is kept under another name and replaced; nothing is lost, no traceback."""
    (tmp_path / workspace.PROGRESS_FILE).write_text("{not json")
    result = run_mpbook("list", exercises_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "unreadable" in result.stdout
    assert list(tmp_path.glob(f"{workspace.PROGRESS_FILE}.corrupt-*"))


def test_unwritable_exercises_folder_is_a_clear_error(tmp_path):
    """An exercise folder that cannot be created gives a message saying what to do, and exit code 2."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")  # a folder cannot be made inside a file, even by root
    result = run_mpbook("list", exercises_dir=blocker / "exercises")
    assert result.returncode == 2
    assert "Make the folder writable" in result.stderr
    assert "Traceback" not in result.stderr


def test_grade_rejects_a_missing_folder(tmp_path):
    """mpbook grade on a folder that does not exist says so and exits 2."""
    result = run_mpbook("grade", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "is not a folder" in result.stdout


def test_grade_survives_junk_in_the_submissions(tmp_path):
    """Binary files, a folder named like an exercise, an empty student and stray files: graded or skipped, never a crash."""
    submissions = tmp_path / "submissions"
    carol, dan = submissions / "carol", submissions / "dan"
    carol.mkdir(parents=True)
    dan.mkdir()  # handed in nothing
    (carol / f"{EX01}.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")  # an image saved under the wrong name
    (carol / "ex02_main_guard.py").mkdir()  # a folder where a file should be
    (carol / "notes.md").write_text("my notes")
    (submissions / "class.zip").write_bytes(b"PK\x03\x04")
    (submissions / ".DS_Store").write_bytes(b"\x00")
    result = run_mpbook("grade", str(submissions), "--csv", str(tmp_path / "grades.csv"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    rows = (tmp_path / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * len(EXERCISES)
    assert all(",0," in row for row in rows[1:]), "junk scored points"
    assert "not UTF-8" in result.stdout
