"""The checks catch the usual wrong answers, not only the untouched stubs.

Two kinds of case. MUTANTS take a reference solution, break it the way learners do (one small
edit), and grade it: the test written for that mistake must fail, with a message, and every other
test must still run. The edit is made on the solution's current text, so a solution that changes
shape makes the case fail loudly here instead of silently testing nothing. And every file in
solutions/wrong/<exercise>/<what_it_breaks>.py is a whole wrong answer: its first line says which
test catches it ("# breaks: ... — caught by test_name"), and that test must fail on it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from mpbook.grading import runner

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
WRONG = sorted((SOLUTIONS / "wrong").glob("ex*/*.py"))

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


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("exercise", "mistake", "edits", "must_fail"), MUTANTS, ids=[f"{m[0][:4]}-{m[3]}" for m in MUTANTS]
)
def test_a_usual_mistake_is_caught(tmp_path, exercise, mistake, edits, must_fail):
    source = (SOLUTIONS / f"{exercise}.py").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in source, f"solutions/{exercise}.py no longer contains {old!r}: update this mutant"
        source = source.replace(old, new)
    learner = tmp_path / f"{exercise}.py"
    learner.write_text(source, encoding="utf-8")

    result = runner.grade_file(exercise, learner)

    by_name = {t.name: t for t in result.tests}
    caught = by_name[must_fail]
    assert caught.status in ("failed", "error"), f"{mistake}: {must_fail} {caught.status}: {caught.message}"
    assert caught.message, f"{mistake}: {must_fail} failed without telling the learner why"
    assert result.score < result.max_score
    assert all(t.status != "timeout" for t in result.tests), [(t.name, t.message) for t in result.tests]


def caught_by(path: Path) -> list[str]:
    """Return the tests a wrong answer's first lines name after "caught by"; [] when none is named."""
    head = "\n".join(path.read_text(encoding="utf-8").splitlines()[:3])
    match = re.search(r"caught by ([^\n]*)", head)
    return re.findall(r"test_\w+", match.group(1)) if match else []


@pytest.mark.timeout(600)
@pytest.mark.parametrize("wrong", WRONG, ids=[f"{p.parent.name[:4]}-{p.stem}" for p in WRONG])
def test_a_usual_wrong_answer_is_caught(tmp_path, wrong):
    """The test a wrong answer names fails on it with a message (or, when it names none, the answer loses points)."""
    exercise = wrong.parent.name
    learner = tmp_path / f"{exercise}.py"
    shutil.copyfile(wrong, learner)
    tests = {test.name: test for test in runner.collect_tests(exercise)}
    named = caught_by(wrong)
    unknown = [name for name in named if name not in tests]
    assert not unknown, f"{wrong.name} names {unknown}, which {exercise}'s checks do not have"
    if not named:
        result = runner.grade_file(exercise, learner)
        assert result.score < result.max_score, f"{wrong.name} scored full marks"
        return
    for name in named:  # only the test that should catch it: the others would pass, and cost time
        result = runner.run_test(tests[name], exercise, tmp_path, learner.name)
        assert result.status != "passed", f"{wrong.name}: {name} passed, but it should catch this answer"
        assert result.message, f"{wrong.name}: {name} failed without telling the learner why"
