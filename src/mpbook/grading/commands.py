"""The exercise commands of `mpbook`: list, check, hint, reset, verify, grade.

Each returns an exit code and prints for a person; cli.py wires them to arguments.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

import mpbook
from mpbook.grading import runner, workspace
from mpbook.grading.catalogue import EXERCISES, UnknownExercise, find

SYMBOL = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT"}
HINT_AFTER_FAILURES = 2  # offer a hint from the second failing check in a row: once may be a typo


def _say(message: str) -> None:
    print(message, flush=True)


def _workspace() -> tuple[Path, workspace.Progress]:
    directory = workspace.exercises_dir()
    copied = workspace.ensure_exercises(directory)
    if copied:
        _say(
            f"Copied {len(copied)} new exercise file(s) into {workspace.shown(directory)} "
            "(existing files are never overwritten)."
        )
    return directory, workspace.Progress(directory)


class _ResultPrinter:
    """Prints each test as it ends; a message repeated from the test before is not printed again."""

    def __init__(self) -> None:
        self.last_message = None

    def __call__(self, result: runner.TestResult) -> None:
        _say(f"  {SYMBOL[result.status]:<7} {result.doc} [{result.score}/{result.max_score}]")
        if result.status == "passed":
            return
        if result.message == self.last_message:
            _say("          (same as above)")
        else:
            for line in result.message.splitlines():
                _say(f"          {line}")
        self.last_message = result.message


def _flush_warnings(progress: workspace.Progress) -> None:
    for warning in progress.warnings:
        _say(f"warning: {warning}")
    progress.warnings.clear()


def list_exercises() -> int:
    """Print every exercise with its status and points, then the next one to do."""
    directory, progress = _workspace()
    _say(f"Exercises in {workspace.shown(directory)}\n")
    _say(f"  {'':<5} {'title':<28} {'chapter':<28} {'status':<12} points")
    next_up = None
    for exercise in EXERCISES:
        state = workspace.status(exercise, directory, progress)
        entry = progress.data["exercises"].get(exercise.name, {})
        score = f"{entry['score']}/{entry['max_score']}" if "score" in entry else "-"
        _say(f"  {exercise.number:<5} {exercise.title:<28} {exercise.chapter:<28} {state:<12} {score}")
        if next_up is None and state != "done":
            next_up = exercise
    done = sum(workspace.status(e, directory, progress) == "done" for e in EXERCISES)
    _say(f"\n{done} of {len(EXERCISES)} done.")
    if next_up:
        _say(
            f"Next: {next_up.number} {next_up.title}: open {workspace.shown(directory / next_up.filename)}, then `mpbook check {next_up.number}`."
        )
    _flush_warnings(progress)
    return 0


def check(names: list[str], check_all: bool = False) -> int:
    """Grade the learner's exercise files; exit code 0 only when every test passed."""
    directory, progress = _workspace()
    chosen = list(EXERCISES) if check_all else [find(name) for name in names]
    scale = runner.deadline_scale()
    _say(
        f"Python {sys.version.split()[0]}, start method {mpbook.start_method()}, "
        f"deadlines per test{f' x{scale:g}' if scale != 1 else ''}\n"
    )
    all_passed = True
    for exercise in chosen:
        path = directory / exercise.filename
        _say(f"{exercise.number} {exercise.title} ({workspace.shown(path)})")
        graded = runner.grade_file(exercise.name, path, on_result=_ResultPrinter())
        if graded.problem:
            _say(f"  ERROR   {graded.problem}")
        _say(f"  score {graded.score}/{graded.max_score} in {graded.seconds:.1f} s\n")
        entry = progress.entry(exercise)
        entry.update(
            score=graded.score,
            max_score=graded.max_score,
            passed=graded.passed,
            checked_digest=workspace.file_digest(path) if path.exists() else None,
            checked_at=time.strftime("%Y-%m-%d %H:%M:%S"),
        )
        entry["failures_in_a_row"] = 0 if graded.passed else entry.get("failures_in_a_row", 0) + 1
        if graded.passed:
            _say(f"  {exercise.number} is done.")
        elif entry["failures_in_a_row"] >= HINT_AFTER_FAILURES and entry.get("hint_level", 0) < len(
            exercise.hints
        ):
            level = entry.get("hint_level", 0) + 1
            _say(f"  Stuck? `mpbook hint {exercise.number}` shows hint {level} of {len(exercise.hints)}.")
        all_passed = all_passed and graded.passed
    progress.save()
    _flush_warnings(progress)
    return 0 if all_passed else 1


def hint(name: str) -> int:
    """Print the next hint for an exercise, gentlest first."""
    exercise = find(name)
    _directory, progress = _workspace()
    entry = progress.entry(exercise)
    level = min(entry.get("hint_level", 0) + 1, len(exercise.hints))
    entry["hint_level"] = level
    _say(f"{exercise.number} {exercise.title}: hint {level} of {len(exercise.hints)}\n")
    _say(f"  {exercise.hints[level - 1]}")
    if level < len(exercise.hints):
        _say(f"\nStill stuck? `mpbook hint {exercise.number}` again gives the next one.")
    progress.save()
    _flush_warnings(progress)
    return 0


def reset(name: str) -> int:
    """Restore an exercise's original file, keeping the learner's version as a backup."""
    exercise = find(name)
    directory, progress = _workspace()
    backup = workspace.reset(exercise, directory)
    if backup:
        _say(f"Your version is saved as {workspace.shown(backup)}.")
    _say(f"{workspace.shown(directory / exercise.filename)} is back to the original.")
    progress.data["exercises"].pop(exercise.name, None)
    progress.save()
    _flush_warnings(progress)
    return 0


def verify(runs: int = 3) -> int:
    """Instructor check: every stub fails, every solution passes `runs` times, every exercise has checks and hints."""
    solutions = (workspace.book_root() or Path.cwd()) / "solutions"
    problems = []
    for exercise in EXERCISES:
        started = time.perf_counter()
        notes = []
        if len(exercise.hints) < 2:
            notes.append("fewer than 2 hints")
        if not runner.check_module_path(exercise.name).exists():
            problems.append(f"{exercise.number}: no check module {runner.check_module_path(exercise.name)}")
            continue
        if not runner.collect_tests(exercise.name):
            notes.append("the check module has no test_ functions")
        stub = runner.grade_file(exercise.name, workspace.stub_path(exercise))
        if stub.score >= stub.max_score:
            notes.append(f"the stub scores {stub.score}/{stub.max_score}: it should fail")
        for run in range(1, runs + 1):
            solution = runner.grade_file(exercise.name, solutions / exercise.filename)
            if not solution.passed:
                failing = [
                    f"{t.name} ({t.status}: {t.message.splitlines()[0] if t.message else ''})"
                    for t in solution.tests
                    if t.status != "passed"
                ]
                notes.append(f"solution run {run}: {solution.problem or '; '.join(failing)}")
                break
        state = "ok" if not notes else "PROBLEM"
        _say(
            f"  {state:<8} {exercise.number} stub {stub.score}/{stub.max_score}, solution x{runs} ({time.perf_counter() - started:.1f} s)"
        )
        problems += [f"{exercise.number}: {note}" for note in notes]
    known = {e.filename for e in EXERCISES}
    for folder in (workspace.STUBS_DIR, solutions):
        for path in sorted(folder.glob("ex*.py")):
            if path.name not in known:
                problems.append(f"{path} is not in the catalogue (mpbook/grading/catalogue.py)")
    if problems:
        _say(f"\n{len(problems)} problem(s):")
        for problem in problems:
            _say(f"  - {problem}")
        return 1
    _say(f"\nAll {len(EXERCISES)} exercises verified: stubs fail, solutions pass {runs} times in a row.")
    return 0


def grade(submissions: Path, csv_path: Path | None, json_dir: Path | None) -> int:
    """Grade a folder of submissions, one sub-folder per student; write a CSV and Gradescope results.json files."""
    if not submissions.is_dir():
        _say(f"error: {submissions} is not a folder. Give a folder with one sub-folder per student.")
        return 2
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    skipped = sorted(p.name for p in submissions.iterdir() if not p.is_dir() and not p.name.startswith("."))
    if skipped:
        _say(f"Skipping {len(skipped)} file(s) that are not student folders: {', '.join(skipped)}")
    if not students:
        _say(
            f"error: {submissions} has no student folders (one sub-folder per student, holding their exNN_*.py)."
        )
        return 2
    rows = []
    for student in students:
        _say(f"{student.name}")
        started = time.perf_counter()
        tests, output = [], []
        for exercise in EXERCISES:
            graded = runner.grade_file(exercise.name, student / exercise.filename)
            timeouts = sum(t.status == "timeout" for t in graded.tests)
            failed = sum(t.status != "passed" for t in graded.tests)
            rows.append(
                {
                    "student": student.name,
                    "exercise": exercise.number,
                    "score": graded.score,
                    "max_score": graded.max_score,
                    "passed": len(graded.tests) - failed,
                    "failed": failed - timeouts,
                    "timeouts": timeouts,
                    "seconds": round(graded.seconds, 2),
                }
            )
            _say(
                f"  {exercise.number} {graded.score}/{graded.max_score}"
                + (f" ({graded.problem.splitlines()[0]})" if graded.problem else "")
            )
            output.append(f"{exercise.number} {exercise.title}: {graded.score}/{graded.max_score}")
            for test in graded.tests:
                tests.append(
                    {
                        "name": f"{exercise.number} · {test.doc}",
                        "score": test.score,
                        "max_score": test.max_score,
                        "status": "passed" if test.status == "passed" else "failed",
                        "output": test.message if test.status != "passed" else "",
                    }
                )
        if json_dir:
            json_dir.mkdir(parents=True, exist_ok=True)
            result = {
                "score": sum(t["score"] for t in tests),
                "execution_time": round(time.perf_counter() - started, 2),
                "output": "\n".join(output),
                "tests": tests,
            }
            target = json_dir / student.name / "results.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(result, indent=1), encoding="utf-8")
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        _say(f"\nWrote {csv_path} ({len(rows)} rows).")
    if json_dir:
        _say(f"Wrote {len(students)} results.json file(s) under {json_dir}.")
    return 0


__all__ = ["UnknownExercise", "check", "grade", "hint", "list_exercises", "reset", "verify"]
