"""The catalogue is the one source of truth: the book's order, the README's table, the stubs' mirror and first lines."""

from __future__ import annotations

import ast
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mpbook.grading import booktable, commands, mirror, trying, workspace
from mpbook.grading.catalogue import EXERCISES, MISSING, ORDER, find

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SOLUTIONS = REPO / "solutions"
TOOL_TIMEOUT_S = 60  # the table tool reads the notebooks' JSON and a few dozen small files
RUFF_TIMEOUT_S = 60
TRY_DEADLINE_S = 20  # an untouched stub raises NotImplementedError within a second of starting


def test_the_book_has_every_exercise():
    """All the exercises of ORDER are complete folders (24 of them, the capstone included), numbered 01, 02, ..."""
    assert not MISSING, f"exercise folders not complete: {MISSING}"
    assert len(EXERCISES) >= 24
    assert [e.number for e in EXERCISES] == [f"ex{n:02d}" for n in range(1, len(EXERCISES) + 1)]


def test_the_order_follows_the_chapters():
    """Each exercise names a real section of its chapter, and the numbers go chapter by chapter, section by section."""
    places = []
    for exercise in EXERCISES:
        number = booktable.section_number(exercise, NOTEBOOKS)
        assert number is not None, (
            f"{exercise.name}: notebooks/{exercise.chapter}.ipynb has no `## N · ...` heading matching its "
            f"SECTION {exercise.section!r} (exercises/{exercise.name}/__init__.py)"
        )
        places.append((exercise.chapter, number, exercise.name))
    out_of_order = [
        f"{later[2]} ({later[0]} section {later[1]}) comes after {earlier[2]} ({earlier[0]} section {earlier[1]})"
        for earlier, later in itertools.pairwise(places)
        if later[:2] < earlier[:2]
    ]
    assert not out_of_order, "the catalogue's order is not the chapters': " + "; ".join(out_of_order)


def test_readme_table_and_first_lines_match_the_catalogue():
    """exercises/README.md's table and each stub's and solution's first line are what tools/exercise_table.py writes."""
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "exercise_table.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stub_mirrors_its_solution():
    """Stub and solution share the docstring, the imports, the constants, the public names and their signatures."""
    broken = {
        exercise.name: mirror.problems(exercise.stub_path, SOLUTIONS / exercise.filename)
        for exercise in EXERCISES
    }
    assert not {name: found for name, found in broken.items() if found}


def test_a_broken_mirror_is_reported_by_name(tmp_path, monkeypatch):
    """A solution whose function, constant, import and docstring drifted from the stub is reported, each by name."""
    exercise = find("ex01")
    solution = (SOLUTIONS / exercise.filename).read_text(encoding="utf-8")
    drifted = (
        solution.replace(
            "def start_and_join(durations: list[float])", "def start_and_join(durations, extra=1)"
        )
        .replace("JOIN_TIMEOUT_S = 30", "JOIN_TIMEOUT_S = 31")
        .replace("import multiprocessing as mp\n", "import multiprocessing as mp\nimport os\n")
        .replace("Start one process per duration", "Start a process per duration")
    )
    assert drifted != solution
    folder = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, folder, ignore=shutil.ignore_patterns("wrong", "__pycache__"))
    (folder / exercise.filename).write_text(drifted, encoding="utf-8")

    found = mirror.problems(exercise.stub_path, folder / exercise.filename)
    text = "\n".join(found)
    assert "`start_and_join` differs" in text
    assert "(durations, extra=1)" in text
    assert "constant JOIN_TIMEOUT_S is 30 in the stub but 31 in the solution" in text
    assert "only in the solution: import os" in text
    assert "module docstrings differ" in text

    monkeypatch.setattr(workspace, "solutions_dir", lambda: folder)
    problems = commands.static_problems()
    assert any(
        p.startswith("ex01: stub and solution do not mirror: `start_and_join` differs") for p in problems
    )
    assert not [p for p in problems if "mirror" in p and not p.startswith("ex01:")]


def test_stubs_use_no_undefined_name():
    """ruff's F821 finds no undefined name in any stub: an unsolved exercise never starts with a NameError."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed here")
    stubs = [str(exercise.stub_path) for exercise in EXERCISES]
    result = subprocess.run(
        [ruff, "check", "--isolated", "--select", "F821", *stubs],
        capture_output=True,
        text=True,
        timeout=RUFF_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _raises_not_implemented(exercise) -> bool:
    """True when the stub is a function to write (it raises NotImplementedError), not a program to fix."""
    tree = ast.parse(exercise.stub_path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and getattr(node.exc.func, "id", "") == "NotImplementedError"
        for node in ast.walk(tree)
    )


def test_every_try_example_parses():
    """Each TRY is an expression (or, for a script exercise, its arguments) that `mpbook try` can run."""
    for exercise in EXERCISES:
        if not exercise.is_script:
            ast.parse(exercise.try_call, mode="eval")


def test_an_untouched_stub_says_not_written_yet(tmp_path):
    """`mpbook try` on each untouched stub meets NotImplementedError, never a NameError or an ImportError."""
    outcomes = {}
    for exercise in EXERCISES:
        if exercise.is_script or not _raises_not_implemented(exercise):
            continue  # a program to fix (ex02, ex03, a hang to find) is graded 0 by test_exercise_book.py
        learner = tmp_path / exercise.filename
        shutil.copyfile(exercise.stub_path, learner)
        outcome = trying.try_file(exercise, learner, deadline=TRY_DEADLINE_S)
        outcomes[exercise.name] = (outcome.status, outcome.message[-300:])
    wrong = {name: outcome for name, outcome in outcomes.items() if outcome[0] != "not_written"}
    assert not wrong, wrong
    assert len(outcomes) >= len(EXERCISES) - 4


def test_order_names_the_folders():
    """Every folder under mpbook/grading/exercises is in ORDER, and ORDER has no duplicate."""
    folders = {p.name for p in (REPO / "src" / "mpbook" / "grading" / "exercises").glob("ex*") if p.is_dir()}
    assert folders <= set(ORDER), folders - set(ORDER)
    assert len(set(ORDER)) == len(ORDER)


def test_every_exercise_ships_in_the_package():
    """Package discovery (pyproject's, src/) finds every exercise folder, so `pip install .` ships its stub and checks."""
    setuptools = pytest.importorskip("setuptools")
    found = set(setuptools.find_packages(str(REPO / "src")))
    missing = [e.name for e in EXERCISES if f"mpbook.grading.exercises.{e.name}" not in found]
    assert not missing, f"not packages (no __init__.py?): {missing}"
    for exercise in EXERCISES:
        assert {"stub.py", "checks.py"} <= {p.name for p in exercise.folder.glob("*.py")}
