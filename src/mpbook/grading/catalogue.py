"""The exercise catalogue: the book's exercises, in the order of the chapters.

One ordered tuple, ORDER, names them. Everything else about an exercise lives in its own folder,
so that what belongs together sits together:

    mpbook/grading/exercises/exNN_slug/__init__.py   TITLE, CHAPTER, SECTION, CONCEPT, HINTS, TRY
    mpbook/grading/exercises/exNN_slug/stub.py       what the learner gets, copied to exercises/exNN_slug.py
    mpbook/grading/exercises/exNN_slug/checks.py     the tests: test_* functions, @points, @deadline
    solutions/exNN_slug.py                           the reference answer, at the top of the book

The points of an exercise are the sum of its tests' @points, read from checks.py without importing
it. Hints go from a gentle nudge to nearly the answer; `mpbook hint exNN` gives the next one.
"""

from __future__ import annotations

import ast
import functools
import importlib
from dataclasses import dataclass
from pathlib import Path

from mpbook.grading.checking import DEFAULT_DEADLINE_S, DEFAULT_POINTS

EXERCISES_DIR = Path(__file__).resolve().parent / "exercises"
PACKAGE = "mpbook.grading.exercises"

# The book's order: chapter by chapter, section by section (tests/test_catalogue.py holds it to the notebooks).
ORDER: tuple[str, ...] = (
    "ex01_start_and_join",
    "ex02_main_guard",
    "ex03_fix_pickling",
    "ex04_queue_results",
    "ex05_pipeline",
    "ex06_pipe_ping_pong",
    "ex07_safe_counter",
    "ex08_stop_on_first_hit",
    "ex09_shared_array_sum",
    "ex10_manager_word_count",
    "ex11_pool_primes",
    "ex12_stream_with_progress",
    "ex13_chunksize",
    "ex14_initializer",
    "ex15_collect_errors",
    "ex16_first_results",
    "ex17_survive_dead_worker",
    "ex18_run_with_timeout",
    "ex19_find_the_hang",
    "ex20_worker_logging",
    "ex21_how_many_workers",
    "ex22_threads_or_processes",
    "ex23_any_executor",
    "ex24_capstone_hash_folder",
)

FOLDER_FILES = ("__init__.py", "stub.py", "checks.py")


@dataclass(frozen=True)
class CheckTest:
    """One test function of a check module, as read from its source."""

    name: str
    doc: str
    points: int
    deadline: float


@dataclass(frozen=True)
class Exercise:
    """One exercise of the book, as its folder describes it."""

    name: str  # module name, an identifier: a spawned child imports it by this name
    title: str
    chapter: str  # the notebook's name without .ipynb: "03-shared-state"
    section: str  # the section's title as the chapter's heading has it
    concept: str
    hints: tuple[str, ...]
    try_call: str  # what `mpbook try` runs: an expression, or a script's arguments (see is_script)

    @property
    def number(self) -> str:
        """Return the short name, such as "ex06"."""
        return self.name.split("_", 1)[0]

    @property
    def filename(self) -> str:
        return f"{self.name}.py"

    @property
    def folder(self) -> Path:
        return EXERCISES_DIR / self.name

    @property
    def stub_path(self) -> Path:
        return self.folder / "stub.py"

    @property
    def checks_path(self) -> Path:
        return self.folder / "checks.py"

    @property
    def check_module(self) -> str:
        return f"{PACKAGE}.{self.name}.checks"

    @property
    def where(self) -> str:
        """Return the chapter and section, for a person: "03-shared-state · `Event`: stop everyone ..."."""
        return f"{self.chapter} · {self.section}"

    @property
    def tests(self) -> tuple[CheckTest, ...]:
        return read_tests(self.checks_path)

    @property
    def points(self) -> int:
        """Return the exercise's points: the sum of its tests' @points."""
        return sum(test.points for test in self.tests)

    @property
    def is_script(self) -> bool:
        """True when the checks run the learner's file as a script instead of importing it (ex02)."""
        return not imports_exercise(self.checks_path)


def _decorator_marks(node: ast.FunctionDef) -> dict:
    marks = {"points": DEFAULT_POINTS, "deadline": DEFAULT_DEADLINE_S}
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Name)
            and decorator.func.id in marks
            and decorator.args
        ):
            marks[decorator.func.id] = ast.literal_eval(decorator.args[0])
    return marks


@functools.cache
def _parsed(path: Path, mtime_ns: int) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _tree(path: Path) -> ast.Module:
    return _parsed(path, path.stat().st_mtime_ns)


def read_tests(checks_path: Path) -> tuple[CheckTest, ...]:
    """Return the test functions of a check module, read from its source without importing it."""
    tests = []
    for node in _tree(checks_path).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            marks = _decorator_marks(node)
            doc = (ast.get_docstring(node) or node.name).strip().splitlines()[0]
            tests.append(CheckTest(node.name, doc, int(marks["points"]), float(marks["deadline"])))
    return tuple(tests)


def imports_exercise(checks_path: Path) -> bool:
    """Return False when the check module says `IMPORTS_EXERCISE = False` (a script the checks run, not import)."""
    for node in _tree(checks_path).body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "IMPORTS_EXERCISE" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            return bool(node.value.value)
    return True


class ExerciseDefinitionError(ValueError):
    """An exercise folder's __init__.py lacks a field or has one of the wrong kind."""


def load(name: str) -> Exercise:
    """Return the Exercise described by the folder exercises/<name>/ (its __init__.py)."""
    module = importlib.import_module(f"{PACKAGE}.{name}")
    fields = {}
    for key, kind in (
        ("TITLE", str),
        ("CHAPTER", str),
        ("SECTION", str),
        ("CONCEPT", str),
        ("HINTS", (tuple, list)),
        ("TRY", str),
    ):
        value = getattr(module, key, None)
        if not isinstance(value, kind):
            raise ExerciseDefinitionError(
                f"{EXERCISES_DIR / name / '__init__.py'}: {key} is missing or not a {kind}"
            )
        fields[key] = value
    return Exercise(
        name,
        fields["TITLE"],
        fields["CHAPTER"],
        fields["SECTION"],
        fields["CONCEPT"],
        tuple(fields["HINTS"]),
        fields["TRY"],
    )


def _complete(name: str) -> bool:
    return all((EXERCISES_DIR / name / part).is_file() for part in FOLDER_FILES)


# An exercise whose folder is not complete yet (being written) is left out, and `mpbook verify`
# reports it: a released book has every one.
MISSING: tuple[str, ...] = tuple(name for name in ORDER if not _complete(name))
EXERCISES: tuple[Exercise, ...] = tuple(load(name) for name in ORDER if name not in MISSING)


class UnknownExercise(LookupError):
    """The name given matches no exercise."""


def find(name: str) -> Exercise:
    """Return the exercise matching name: "ex06", "6", "ex06_pipe_ping_pong" or "pipe_ping_pong"."""
    wanted = name.strip().lower().removesuffix(".py")
    if wanted.isdigit():
        wanted = f"ex{int(wanted):02d}"
    for exercise in EXERCISES:
        if wanted in (exercise.name, exercise.number) or exercise.name.split("_", 1)[1] == wanted:
            return exercise
    known = ", ".join(e.number for e in EXERCISES)
    raise UnknownExercise(f"there is no exercise {name!r}. Exercises: {known} (see `mpbook list`).")
