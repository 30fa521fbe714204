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

The grader imports the check module and reads what the decorators set on each function (see
catalogue.read_tests), so `@points(POINTS)` counts as written; it runs each test in its own process
with the learner's folder first on sys.path. Importing a check module must not run learner code:
`exercise()` is lazy, and anything that patches or starts processes belongs inside a test.
"""

from __future__ import annotations

import contextlib
import os
import types
from multiprocessing.process import BaseProcess
from pathlib import Path

TYPE_CHECKING = False  # for annotations only: type checkers read this block
if TYPE_CHECKING:
    from mpbook.grading.boundary import LearnerProcess

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


def exercise(name: str) -> types.ModuleType:
    """Return what stands for the learner's module `name` in the checks: `ex.func(...)` runs func there.

    The grader never imports the learner's module in the checks' process: each function is called
    in the learner's own process (see boundary.py), started on first use, and what it returns comes
    back as plain data. A broken learner file fails each test with a clear message.
    """
    return _LearnerModule(name)


# --- the learner's module behind the trust boundary ------------------------------------------------------
# The test's LearnerProcess, set by the grader's test process (trusted.py) before it imports the check module.
_learner_process: LearnerProcess | None = None


class _LearnerFunction:
    """A function of the learner's module: calling it runs it in the learner's process."""

    def __init__(self, module: str, name: str) -> None:
        self.__module__, self.__name__, self.__qualname__ = module, name, name

    def __call__(self, *args, **kwargs):
        return learner_process().call(self.__name__, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<function {self.__module__}.{self.__name__} in the learner's process>"


class _LearnerModule(types.ModuleType):
    """Stands for the learner's module in the trusted process: every attribute is a _LearnerFunction."""

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _LearnerFunction(self.__name__, attribute)


def learner_file() -> Path:
    """Return the learner's file (a check module that runs it as a script reads it)."""
    if _learner_process is None:
        raise RuntimeError("learner_file() works only in a grader's test process (mpbook.grading.trusted)")
    return _learner_process.learner_file


def learner_process():
    """Return the test's LearnerProcess, started on first use (in a grader's test process only)."""
    if _learner_process is None:
        raise RuntimeError("learner_process() works only in a grader's test process (mpbook.grading.trusted)")
    if _learner_process.process is None:
        _learner_process.start()
    return _learner_process


def learner_value(name: str):
    """Return a constant of the learner's module (`ex.NAME` is a function call across the boundary), as plain data."""
    return learner_process().value(name)


def in_learner_process(probe, *args, **kwargs):
    """Return probe(learner_module, *args, **kwargs), run inside the learner's process, as plain data.

    For what can only be seen from inside (a join's timeout, a pool's chunksize). The probe is a
    function of the exercise's probes.py; it observes, and the check judges what it returns here.
    """
    return learner_process().probe(probe.__module__, probe.__name__, *args, **kwargs)


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

    BaseProcess.start = start  # type: ignore[method-assign]  # the spy is the point
    try:
        yield started
    finally:
        BaseProcess.start = original  # type: ignore[method-assign]


@contextlib.contextmanager
def folder_for_learner():
    """Yield a new temporary folder the learner's processes may write to (records, marker files); remove it after.

    When the learner's code runs as another user (a root grader), the folder is that user's.
    """
    import shutil
    import tempfile

    from mpbook.grading import boundary

    folder = tempfile.mkdtemp(prefix="mpbook-learner-files-")
    user = boundary.learner_user() if _learner_process is not None else None
    if user is not None:
        os.chown(folder, *user)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
