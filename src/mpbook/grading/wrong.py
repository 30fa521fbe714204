"""The usual wrong answers, kept in solutions/wrong/, and whether the checks still catch each one.

Every file solutions/wrong/<exercise>/<what_it_breaks>.py is a whole wrong answer, a small change
to the reference solution. Its first line says what it breaks and which test must fail on it:

    # breaks: one failure must not hide the others — caught by test_every_success_and_every_failure

Only the named tests are run (the others would pass, and cost time); a named test that fails
means the answer cannot get full marks. A file that names no test is graded in full and must lose
points. `mpbook verify` and tests/test_wrong_answers.py both ask this module, so a change that
weakens a check fails both.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mpbook.grading import runner
from mpbook.grading.childreport import Status

HEAD_LINES = 3  # "caught by" is on the first line; a long one may be wrapped onto the next two


def wrong_answers(solutions: Path, exercise: str) -> list[Path]:
    """Return the wrong answers kept for exercise under solutions/wrong/, sorted by name."""
    return sorted((Path(solutions) / "wrong" / exercise).glob("*.py"))


def caught_by(path: Path) -> list[str]:
    """Return the tests a wrong answer's first lines name after "caught by"; [] when none is named."""
    head = "\n".join(Path(path).read_text(encoding="utf-8").splitlines()[:HEAD_LINES])
    match = re.search(r"caught by ([^\n]*)", head)
    return re.findall(r"test_\w+", match.group(1)) if match else []


@dataclass
class Verdict:
    """What grading one wrong answer showed: problem is "" when the checks caught it as they should."""

    path: Path
    named: list[str] = field(default_factory=list)
    problem: str = ""
    messages: dict[str, str] = field(default_factory=dict)  # each named test's failure message

    @property
    def caught(self) -> bool:
        return not self.problem


def grade_wrong_answer(exercise: str, path: Path, deadline: float | None = None) -> Verdict:
    """Grade one wrong answer under the default deadlines; say what is wrong if the checks do not catch it."""
    path = Path(path)
    verdict = Verdict(path, caught_by(path))
    tests = {test.name: test for test in runner.collect_tests(exercise)}
    unknown = [name for name in verdict.named if name not in tests]
    if unknown:
        verdict.problem = f"{path.name} names {unknown}, which {exercise}'s checks do not have"
        return verdict
    with tempfile.TemporaryDirectory(prefix="mpbook-wrong-") as folder:
        learner = Path(folder) / f"{exercise}.py"
        shutil.copyfile(path, learner)
        if not verdict.named:
            graded = runner.grade_file(exercise, learner, deadline=deadline)
            if graded.score >= graded.max_score:
                verdict.problem = f"{path.name} scored full marks ({graded.score}/{graded.max_score})"
            return verdict
        for name in verdict.named:
            result = runner.run_test(tests[name], exercise, learner.parent, learner.name, deadline)
            verdict.messages[name] = result.message
            if result.status == Status.PASSED:
                verdict.problem = f"{path.name}: {name} passed, but it should catch this answer (full marks)"
                return verdict
            if not result.message:
                verdict.problem = f"{path.name}: {name} failed without telling the learner why"
                return verdict
    return verdict


def grade_wrong_answers(solutions: Path, exercise: str) -> list[Verdict]:
    """Grade every wrong answer kept for exercise; return one Verdict per file."""
    return [grade_wrong_answer(exercise, path) for path in wrong_answers(solutions, exercise)]


def summary(exercise: str, verdicts: list[Verdict]) -> str:
    """Return one report line: "ex05: 4 wrong answers, all caught", or how many were not."""
    number = exercise.split("_")[0]
    count = f"{len(verdicts)} wrong answer{'' if len(verdicts) == 1 else 's'}"
    missed = [v for v in verdicts if not v.caught]
    if not verdicts:
        return f"{number}: no wrong answers"
    if not missed:
        return f"{number}: {count}, all caught"
    return f"{number}: {count}, {len(missed)} NOT caught ({', '.join(v.path.stem for v in missed)})"
