"""The exercise catalogue: the book's exercises, in the order of the chapters.

One ordered tuple, ORDER, names them. Everything else about an exercise lives in its own folder,
so that what belongs together sits together:

    mpbook/grading/exercises/exNN_slug/__init__.py   TITLE, CHAPTER, SECTION, CONCEPT, HINTS, TRY
    mpbook/grading/exercises/exNN_slug/stub.py       what the learner gets, copied to exercises/exNN_slug.py
    mpbook/grading/exercises/exNN_slug/checks.py     the tests: test_* functions, @points, @deadline
    solutions/exNN_slug.py                           the reference answer, at the top of the book

The points of an exercise are the sum of its tests' @points, read from the decorated functions of
checks.py, imported here in the grader's process: that is safe, as a check module imports the learner's
file only when a test touches it (checking.exercise() is lazy), and each test runs in its own process.
Hints go from a gentle nudge to nearly the answer; `mpbook hint exNN` gives the next one.
"""

from __future__ import annotations

import importlib
import inspect
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    """One test function of a check module: its docstring's first line, and what its decorators set."""

    name: str
    doc: str
    points: int
    deadline: float
    module: str  # the check module's import name: the test's own process imports it to run the test


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
    def check_module(self) -> str:
        return f"{PACKAGE}.{self.name}.checks"

    @property
    def where(self) -> str:
        """Return the chapter and section, for a person: "03-shared-state · `Event`: stop everyone ..."."""
        return f"{self.chapter} · {self.section}"

    def checks(self) -> types.ModuleType:
        """Return the check module, imported in this process (see the module's docstring: it is safe)."""
        return importlib.import_module(self.check_module)

    @property
    def tests(self) -> tuple[CheckTest, ...]:
        return read_tests(self.checks())

    @property
    def points(self) -> int:
        """Return the exercise's points: the sum of its tests' @points."""
        return sum(test.points for test in self.tests)

    @property
    def is_script(self) -> bool:
        """True when the checks run the learner's file as a script instead of importing it (ex02)."""
        return not imports_exercise(self.checks())


def _mark(func, name: str, default):
    """Return what @points or @deadline set on func, looking through decorators that wrap it (functools.wraps)."""
    while func is not None:
        if hasattr(func, name):
            return getattr(func, name)
        func = getattr(func, "__wrapped__", None)
    return default


def read_tests(checks: types.ModuleType) -> tuple[CheckTest, ...]:
    """Return the test_* functions of an imported check module, in the order they are defined.

    Points and deadline are what checking.points and checking.deadline set on each function
    (DEFAULT_POINTS and DEFAULT_DEADLINE_S without them), so `@points(POINTS)` and `@checking.points(2)`
    count as written.
    """
    tests = []
    for name, func in vars(checks).items():
        if name.startswith("test_") and callable(func):
            doc = (inspect.getdoc(func) or name).strip().splitlines()[0]
            points = _mark(func, "points", DEFAULT_POINTS)
            deadline = _mark(func, "deadline", DEFAULT_DEADLINE_S)
            tests.append(CheckTest(name, doc, int(points), float(deadline), checks.__name__))
    return tuple(tests)


def imports_exercise(checks: types.ModuleType) -> bool:
    """Return False when the check module says `IMPORTS_EXERCISE = False` (a script the checks run, not import)."""
    return bool(getattr(checks, "IMPORTS_EXERCISE", True))


class ExerciseDefinitionError(ValueError):
    """An exercise folder's __init__.py lacks a field or has one of the wrong kind."""


def load(name: str) -> Exercise:
    """Return the Exercise described by the folder exercises/<name>/ (its __init__.py)."""
    module = importlib.import_module(f"{PACKAGE}.{name}")
    fields: dict[str, Any] = {}
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
