"""The checks catch the usual wrong answers, not only the untouched stubs.

Every file in solutions/wrong/<exercise>/<what_it_breaks>.py is a whole wrong answer: its first
line says which test catches it ("# breaks: ... — caught by test_name"), and that test must fail
on it. `mpbook verify --wrong-answers` grades them all in .ci/run; MPBOOK_WRONG_ANSWERS=1 grades
them here too (.ci/run does, under the other start methods).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from concurrent_grading import grade_concurrently, result_of, selected

from mpbook.grading import wrong

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
WRONG = sorted((SOLUTIONS / "wrong").glob("ex*/*.py"))  # see mpbook.grading.wrong


@pytest.fixture(scope="module")
def wrong_answers_graded(request) -> dict:
    """The wrong answers this session tests, graded two at a time: load only makes their named test fail more surely."""
    paths = [params["path"] for params in selected(request, test_a_usual_wrong_answer_is_caught)]
    return grade_concurrently(paths, lambda path: wrong.grade_wrong_answer(path.parent.name, path))


@pytest.mark.timeout(600)
@pytest.mark.skipif(
    os.environ.get("MPBOOK_WRONG_ANSWERS") != "1",
    reason=f"the {len(WRONG)} wrong answers take ~4 min: `mpbook verify --wrong-answers` grades them in .ci/run "
    "(MPBOOK_WRONG_ANSWERS=1 grades them here)",
)
@pytest.mark.parametrize("path", WRONG, ids=[f"{p.parent.name[:4]}-{p.stem}" for p in WRONG])
def test_a_usual_wrong_answer_is_caught(path, wrong_answers_graded):
    """The test a wrong answer names fails on it with a message (or, when it names none, the answer loses points)."""
    verdict = result_of(wrong_answers_graded, path)
    assert verdict.caught, verdict.problem


def test_caught_by_reads_the_first_line(tmp_path):
    """caught_by finds every test named on a wrong answer's first line, and none when the line names none."""
    named = tmp_path / "named.py"
    named.write_text("# breaks: x — caught by test_one and test_two\nprint()\n", encoding="utf-8")
    unnamed = tmp_path / "unnamed.py"
    unnamed.write_text("# breaks: x\nprint()\n", encoding="utf-8")
    assert wrong.caught_by(named) == ["test_one", "test_two"]
    assert wrong.caught_by(unnamed) == []
