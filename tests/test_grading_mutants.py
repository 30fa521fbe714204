"""The checks catch the usual wrong answers, not only the untouched stubs.

Two kinds of case. MUTANTS take a reference solution, break it the way learners do (one small
edit), and grade it: the test written for that mistake must fail, with a message, and every other
test must still run. The edit is made on the solution's current text, so a solution that changes
shape makes the case fail loudly here instead of silently testing nothing. And every file in
solutions/wrong/<exercise>/<what_it_breaks>.py is a whole wrong answer: its first line says which
test catches it ("# breaks: ... — caught by test_name"), and that test must fail on it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from concurrent_grading import grade_concurrently, result_of, selected

from mpbook.grading import runner, wrong

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
WRONG = sorted((SOLUTIONS / "wrong").glob("ex*/*.py"))  # see mpbook.grading.wrong

# (exercise, what the learner did, [(text in the solution, what it becomes)], test that must fail)
MUTANTS = [
    (
        "ex05_pipeline",
        "always one transformer, whatever `transformers` says",
        [
            ("target=produce, args=(items, tasks, transformers)", "target=produce, args=(items, tasks, 1)"),
            ("for _ in range(transformers)]", "for _ in range(1)]"),
            ("while done < transformers:", "while done < 1:"),
        ],
        "test_transformers_work_at_the_same_time",
    ),
    (
        "ex11_pool_primes",
        "counts the ranges in the parent, next to an idle pool",
        [
            (
                "pool.starmap_async(count_primes, ranges, chunksize=1).get(timeout=RESULT_TIMEOUT_S)",
                "[count_primes(a, b) for a, b in ranges]",
            )
        ],
        "test_work_runs_in_the_workers",
    ),
    (
        "ex18_run_with_timeout",
        "terminate() only, never kill()",
        [("            child.kill()  # SIGKILL", "            pass  # SIGKILL")],
        "test_child_that_ignores_sigterm_is_killed",
    ),
    (
        "ex23_any_executor",
        "the timeout applied to each result instead of the whole map",
        [("future.result(timeout=max(0, deadline - time.monotonic()))", "future.result(timeout=timeout)")],
        "test_timeout_is_for_the_whole_map",
    ),
    (
        "ex23_any_executor",
        "nothing cancelled after a timeout",
        [("future.cancel()", "pass")],
        "test_timeout_cancels_what_is_left",
    ),
]


def grade_mutant(exercise: str, edits: list[tuple[str, str]], folder) -> runner.ExerciseResult:
    """Grade the solution of exercise with edits made, from a copy in folder."""
    source = (SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in source, f"solutions/{exercise}.py no longer contains {old!r}: update this mutant"
        source = source.replace(old, new)
    learner = folder / f"{exercise}.py"
    learner.write_text(source, encoding="utf-8")
    return runner.grade_file(exercise, learner)


@pytest.fixture(scope="module")
def mutants_graded(request, tmp_path_factory) -> dict:
    """The mutants this session tests, graded two at a time: load only makes a mistake's test fail more surely."""
    edits = {
        (p["exercise"], p["mistake"]): p["edits"] for p in selected(request, test_a_usual_mistake_is_caught)
    }
    # made here, not in the threads: mktemp is not thread-safe
    folders = {mutant: tmp_path_factory.mktemp(mutant[0]) for mutant in edits}
    return grade_concurrently(edits, lambda mutant: grade_mutant(mutant[0], edits[mutant], folders[mutant]))


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("exercise", "mistake", "edits", "must_fail"), MUTANTS, ids=[f"{m[0][:4]}-{m[3]}" for m in MUTANTS]
)
def test_a_usual_mistake_is_caught(exercise, mistake, edits, must_fail, mutants_graded):
    result = result_of(mutants_graded, (exercise, mistake))

    by_name = {t.name: t for t in result.tests}
    caught = by_name[must_fail]
    assert caught.status in ("failed", "error"), f"{mistake}: {must_fail} {caught.status}: {caught.message}"
    assert caught.message, f"{mistake}: {must_fail} failed without telling the learner why"
    assert result.score < result.max_score
    assert all(t.status != "timeout" for t in result.tests), [(t.name, t.message) for t in result.tests]


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
