"""What a check module uses: points per test, a deadline per test, and the exercise under test.

A check module (``mpbook/grading/exercises/exNN_slug/checks.py``) is a set of plain test
functions, named ``test_*``, each with a one-sentence docstring, decorated with ``@points(n)``
and optionally ``@deadline(seconds)``. Failure messages are written for a learner: what was
called, what came back, what was expected, and a nudge.

    from mpbook.grading.checking import exercise, points

    ex = exercise("ex07_safe_counter")

    @points(2)
    def test_no_lost_updates():
        \"\"\"Four workers incrementing 10 000 times each end at exactly 40 000.\"\"\"
        got = ex.count_safely(workers=4, increments=10_000)
        assert got == 40_000, f"Called count_safely(workers=4, increments=10_000); got {got}, ..."

The grader reads the decorators from the source without importing it (see runner.py), and
runs each test in its own process with the learner's folder first on sys.path.
"""

from __future__ import annotations

import contextlib
import importlib
import types
from multiprocessing.process import BaseProcess

DEFAULT_POINTS = 1
DEFAULT_DEADLINE_S = 20.0  # a check starts one or two spawn pools (~0.3 s each); 20 s is a slow laptop


def points(n: int):
    """Decorator: the test is worth n points."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"points must be a positive int, got {n!r}")

    def mark(func):
        func.points = n
        return func

    return mark


def deadline(seconds: float):
    """Decorator: the test is killed, and reported as a timeout, after this many seconds."""
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ValueError(f"deadline must be a positive number of seconds, got {seconds!r}")

    def mark(func):
        func.deadline = float(seconds)
        return func

    return mark


class _LazyExercise(types.ModuleType):
    """Stands for the learner's module; imports it on first use, inside the test that uses it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._mpbook_module = None

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        if self._mpbook_module is None:
            self._mpbook_module = importlib.import_module(self.__name__)
        return getattr(self._mpbook_module, attribute)


def exercise(name: str) -> types.ModuleType:
    """Return the exercise module `name`, imported when a test first touches it.

    Lazily, so that a broken learner file fails each test with a clear message instead of
    failing the import of the whole check module.
    """
    return _LazyExercise(name)


@contextlib.contextmanager
def counting_process_starts():
    """Record every Process started while the block runs (bare, or a Pool's or executor's worker).

    Yields a list that holds the started Process objects: `len(started)` after the block says
    whether the learner's code really ran in other processes.
    """
    started: list[BaseProcess] = []
    original = BaseProcess.start

    def start(self):
        started.append(self)
        return original(self)

    BaseProcess.start = start
    try:
        yield started
    finally:
        BaseProcess.start = original
