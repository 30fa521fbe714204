"""The grader is honest: stubs fail, solutions pass, and no learner code can hang it, fool it or outlive it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from mpbook.grading import runner, workspace
from mpbook.grading.catalogue import EXERCISES, UnknownExercise, find

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
SHORT_DEADLINE_S = 4  # a passing ex01 test takes ~0.5 s (1.3 s for the 4 x 1 s one); hangs are cut at 4 s
KILL_MARGIN_S = 2  # the promise: a deadlocked test is killed within deadline + 2 s
CLI_TIMEOUT_S = 300  # a CLI call grades at most one class of three small submissions
CLASS_TIMEOUT_S = 1200  # every solution and every stub graded once: ~2 min on 2 cores; a wide margin

EX01 = "ex01_start_and_join"


def learner_file(tmp_path: Path, body: str, name: str = EX01) -> Path:
    """Write a learner's version of an exercise into tmp_path and return its path."""
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return path


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


CORRECT_EX01 = """
    import multiprocessing as mp
    from mpbook.workers import sleep_and_return

    def start_and_join(durations):
        processes = [mp.Process(target=sleep_and_return, args=(d,)) for d in durations]
        for p in processes:
            p.start()
        for p in processes:
            p.join(timeout=30)
        return [p.exitcode for p in processes]
"""


def test_stub_scores_below_the_maximum():
    """The untouched stub fails, with a message saying it is not done yet."""
    result = grade(workspace.stub_path(find("ex01")))
    assert result.score == 0
    assert "not done yet" in result.tests[0].message
    assert "NotImplementedError" in result.tests[0].message


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        (
            "join on a blocked child",
            """
            import multiprocessing as mp
            from mpbook.workers import sleep_and_return

            def start_and_join(durations):
                child = mp.Process(target=sleep_and_return, args=(3600,))
                child.start()
                child.join()
                return [0]
            """,
        ),
        (
            "a looping pool worker",
            """
            import multiprocessing as mp

            def spin(x):
                while True:
                    pass

            def start_and_join(durations):
                with mp.Pool(2) as pool:
                    return pool.map(spin, range(4))
            """,
        ),
        (
            "a grandchild that sleeps forever",
            """
            import subprocess, sys

            def start_and_join(durations):
                subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)  # MARKER"]).wait()
                return [0]
            """,
        ),
        (
            "a grandchild that left the process group with setsid",
            """
            import subprocess, sys

            def start_and_join(durations):
                child = subprocess.Popen(
                    [sys.executable, "-c", "import time; time.sleep(3600)  # MARKER"], start_new_session=True
                )
                child.wait()
                return [0]
            """,
        ),
    ],
)
@pytest.mark.skipif(os.name != "posix", reason="process groups and setsid are POSIX")
def test_deadlocks_are_killed_in_time_and_leave_nothing(tmp_path, kind, body):
    """A deadlocked submission is reported as a timeout within deadline + 2 s, and no process survives."""
    marker = f"mpbook-test-{uuid.uuid4().hex}"
    path = learner_file(tmp_path, body.replace("MARKER", marker))
    test = runner.run_test(runner.collect_tests(EX01)[0], EX01, path.parent, path.name, SHORT_DEADLINE_S)
    assert test.status == "timeout", (kind, test.status, test.message)
    assert test.seconds < SHORT_DEADLINE_S + KILL_MARGIN_S, (kind, test.seconds)
    assert "Usual causes" in test.message
    time.sleep(0.2)
    assert processes_with(marker) == [], f"{kind}: a process outlived the grader"
    assert processes_with(str(tmp_path)) == [], (
        f"{kind}: a process running the learner's file outlived the grader"
    )


def test_one_hanging_test_does_not_stop_the_others(tmp_path):
    """When one test hangs, it alone times out; the other tests of the file are still graded and pass."""
    body = CORRECT_EX01.replace(
        "def start_and_join(durations):\n",
        "def start_and_join(durations):\n        if not durations:\n            import time; time.sleep(3600)\n",
    )
    result = runner.grade_file(EX01, learner_file(tmp_path, body), deadline=8)
    statuses = {t.name: t.status for t in result.tests}
    assert statuses.pop("test_empty_input") == "timeout"
    assert set(statuses.values()) == {"passed"}, [(t.name, t.status, t.message) for t in result.tests]


@pytest.mark.parametrize(
    ("exit_call", "expected"),
    [("sys.exit(0)", "called sys.exit(0)"), ("os._exit(0)", "without reporting a result")],
)
def test_exiting_is_not_a_pass(tmp_path, exit_call, expected):
    """sys.exit(0) or os._exit(0) inside the learner's function is an error, never a pass."""
    body = f"""
    import os, sys

    def start_and_join(durations):
        {exit_call}
    """
    result = grade(learner_file(tmp_path, body))
    assert result.score == 0
    assert {t.status for t in result.tests} == {"error"}
    assert expected in result.tests[0].message


def test_huge_output_is_truncated(tmp_path):
    """A 10 MB print is cut to the output cap, and the test is still graded."""
    body = CORRECT_EX01.replace(
        "def start_and_join(durations):\n",
        "def start_and_join(durations):\n        print('x' * 10_000_000)\n",
    )
    result = runner.run_test(
        runner.collect_tests(EX01)[0],
        EX01,
        learner_file(tmp_path, body).parent,
        f"{EX01}.py",
        SHORT_DEADLINE_S,
    )
    assert result.status == "passed"
    assert len(result.output) < runner.OUTPUT_CAP_BYTES + 200
    assert "characters cut" in result.output


def test_leftover_processes_are_killed_and_reported(tmp_path):
    """Processes the learner started and never joined are killed, and the test fails saying so."""
    body = """
    import multiprocessing as mp
    from mpbook.workers import sleep_and_return

    def start_and_join(durations):
        for d in durations:
            mp.Process(target=sleep_and_return, args=(60,)).start()
        return [0] * len(durations)
    """
    test = runner.collect_tests(EX01)[0]
    result = runner.run_test(test, EX01, learner_file(tmp_path, body).parent, f"{EX01}.py", 10)
    assert result.status == "failed"
    assert "still running" in result.message
    assert "join()" in result.message


def test_syntax_error_names_file_and_line(tmp_path):
    """A syntax error is reported once per test with the file name and line, without running anything."""
    result = grade(learner_file(tmp_path, "def start_and_join(durations)\n    return []\n"))
    assert result.problem.startswith(f"{EX01}.py line 1:")
    assert all(t.status == "error" for t in result.tests)


def test_missing_function_is_named(tmp_path):
    """A file without the function the checks call says which name is missing and how to restore it."""
    result = grade(learner_file(tmp_path, "def start_and_joins(durations):\n    return []\n"))
    message = result.tests[0].message
    assert "has no `start_and_join`" in message
    assert "mpbook reset" in message


def test_import_error_is_explained(tmp_path):
    """An import that fails inside the learner's file is reported with the exception, not a traceback dump."""
    result = grade(learner_file(tmp_path, "import no_such_module_mpbook\n"))
    assert result.tests[0].status == "error"
    assert "importing ex01_start_and_join.py failed" in result.tests[0].message
    assert "ModuleNotFoundError" in result.tests[0].message


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

    The grading half of verify (stubs score 0, solutions pass) is test_grade_a_class below, which grades
    each stub and each solution once, with the same runner.
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


@pytest.mark.timeout(CLASS_TIMEOUT_S + 60)
def test_grade_a_class(tmp_path):
    """mpbook grade on a class: the solutions score full marks, the untouched stubs 0 on every test, in CSV and results.json."""
    submissions = tmp_path / "submissions"
    for student in ("solutions", "stubs", "bob"):
        (submissions / student).mkdir(parents=True)
    for exercise in EXERCISES:
        shutil.copyfile(SOLUTIONS / exercise.filename, submissions / "solutions" / exercise.filename)
        shutil.copyfile(workspace.stub_path(exercise), submissions / "stubs" / exercise.filename)
    (submissions / "bob" / f"{EX01}.py").write_text("def start_and_join(durations)\n")  # syntax error
    (submissions / "notes.txt").write_text("not a student")
    result = run_mpbook(
        "grade",
        str(submissions),
        "--csv",
        str(tmp_path / "grades.csv"),
        "--json-dir",
        str(tmp_path / "results"),
        timeout=CLASS_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Skipping 1 file(s)" in result.stdout
    rows = (tmp_path / "grades.csv").read_text().splitlines()
    assert rows[0] == "student,exercise,score,max_score,passed,failed,timeouts,seconds"
    assert len(rows) == 1 + 3 * len(EXERCISES)
    reports = {}
    for student in ("solutions", "stubs", "bob"):
        report = json.loads((tmp_path / "results" / student / "results.json").read_text())
        assert set(report) >= {"score", "execution_time", "output", "tests"}
        for test in report["tests"]:
            assert set(test) >= {"name", "score", "max_score", "status", "output"}
            assert test["status"] in ("passed", "failed")
        reports[student] = report
    failing = {t["name"]: t["output"][:400] for t in reports["solutions"]["tests"] if t["status"] != "passed"}
    scoring = [t["name"] for t in reports["stubs"]["tests"] if t["score"] > 0]
    problems = {"reference solutions failed": failing, "untouched stubs scored on": scoring}
    assert not any(problems.values()), problems
    assert len(reports["stubs"]["tests"]) == sum(len(runner.collect_tests(e.name)) for e in EXERCISES)
    assert reports["bob"]["score"] == 0


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
