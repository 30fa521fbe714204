"""What `mpbook grade` writes for a class: one CSV row per student and exercise, one Gradescope results.json per student.

The results.json files follow Gradescope's autograder output format (score, execution_time, output,
and one entry per test with its score, max_score, status and output):
https://gradescope-autograders.readthedocs.io/en/latest/specs/#output-format
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

from mpbook.grading.childreport import Status

if TYPE_CHECKING:
    from mpbook.grading.catalogue import Exercise
    from mpbook.grading.runner import ExerciseResult

CSV_COLUMNS = ("student", "exercise", "score", "max_score", "passed", "failed", "timeouts", "seconds")


def csv_row(student: str, exercise: Exercise, graded: ExerciseResult) -> dict:
    """Return one student's result on one exercise as a CSV row: failed counts the errors, not the timeouts."""
    timeouts = sum(t.status == Status.TIMEOUT for t in graded.tests)
    not_passed = sum(t.status != Status.PASSED for t in graded.tests)
    values = (
        student,
        exercise.number,
        graded.score,
        graded.max_score,
        len(graded.tests) - not_passed,
        not_passed - timeouts,
        timeouts,
        round(graded.seconds, 2),
    )
    return dict(zip(CSV_COLUMNS, values, strict=True))


def write_csv(path: Path, rows: list[dict]) -> None:
    """Write the rows of csv_row to path, with a header line."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)


def gradescope_results(graded: list[tuple[Exercise, ExerciseResult]], seconds: float) -> dict:
    """Return one student's results.json: every test of every exercise, passed or failed in Gradescope's terms."""
    tests = [
        {
            "name": f"{exercise.number} · {test.doc}",
            "score": test.score,
            "max_score": test.max_score,
            # Gradescope knows passed and failed only: an error or a timeout is a failure with its message.
            "status": "passed" if test.status == Status.PASSED else "failed",
            "output": test.message if test.status != Status.PASSED else "",
        }
        for exercise, result in graded
        for test in result.tests
    ]
    return {
        "score": sum(t["score"] for t in tests),
        "execution_time": round(seconds, 2),
        "output": "\n".join(
            f"{exercise.number} {exercise.title}: {result.score}/{result.max_score}"
            for exercise, result in graded
        ),
        "tests": tests,
    }


def write_gradescope(json_dir: Path, student: str, results: dict) -> Path:
    """Write a student's results to json_dir/<student>/results.json (as Gradescope reads it); return that path."""
    target = json_dir / student / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return target
