"""The package's dependencies are declared once, in pyproject.toml, and declared honestly.

Every third-party module that src/mpbook imports belongs to a distribution pyproject declares: in
``dependencies`` when a module imports it at the top (outside the notebooks' own modules, which need
the ``book`` extra), else in ``dependencies`` or an extra. requirements*.txt only name extras. The
version is written once too, and read from the package metadata.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import mpbook
from mpbook import cli

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "mpbook"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Modules only a notebook imports, whose top-level imports come with the `book` extra.
NOTEBOOK_MODULES = {"plots.py", "widgets.py", "_explorer_controls.py"}  # the last: the widget's controls
# Import name -> the requirement that brings it, where the two differ.
PROVIDED_BY = {"distributed": "dask"}  # dask[distributed]


def _names(requirements: list[str]) -> set[str]:
    return {Requirement(text).name.lower() for text in requirements}


def _run_at_import(tree: ast.Module):
    """Yield the nodes that run when the module is imported: not function bodies, not `if TYPE_CHECKING:`."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        stack.extend(ast.iter_child_nodes(node))


def _third_party_imports(top_level_only: bool) -> dict[str, set[str]]:
    """Return {top-level module name: files importing it} for src/mpbook, at module level or anywhere."""
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _run_at_import(tree) if top_level_only else ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                if root not in sys.stdlib_module_names and root != "mpbook":
                    found.setdefault(root, set()).add(str(path.relative_to(SRC)))
    return found


def _distribution(module: str) -> str:
    """Return the name of the requirement that provides an importable module, lower case."""
    from importlib import metadata

    if module in PROVIDED_BY:
        return PROVIDED_BY[module]
    distributions = metadata.packages_distributions().get(module)
    assert distributions, f"{module} is imported by src/mpbook but not installed here"
    return distributions[0].lower()


def test_modules_imported_at_the_top_are_dependencies():
    """A module-level import outside the notebooks' modules needs its distribution in [project] dependencies."""
    declared = _names(PYPROJECT["project"]["dependencies"])
    for module, files in _third_party_imports(top_level_only=True).items():
        files = {f for f in files if Path(f).name not in NOTEBOOK_MODULES}
        if files:
            assert _distribution(module) in declared, f"{module} (imported at the top of {sorted(files)})"


def test_every_import_of_the_package_is_declared_somewhere():
    """Every third-party import in src/mpbook, even inside a function, is in dependencies or an extra."""
    declared = _names(PYPROJECT["project"]["dependencies"])
    for requirements in PYPROJECT["project"]["optional-dependencies"].values():
        declared |= _names(requirements)
    for module, files in _third_party_imports(top_level_only=False).items():
        assert _distribution(module) in declared, f"{module} (imported in {sorted(files)})"


def test_the_notebook_modules_need_only_the_book_extra():
    """mpbook.plots and mpbook.widgets import nothing at the top beyond the dependencies and the book extra."""
    declared = _names(PYPROJECT["project"]["dependencies"]) | _names(
        PYPROJECT["project"]["optional-dependencies"]["book"]
    )
    for module, files in _third_party_imports(top_level_only=True).items():
        if {Path(f).name for f in files} & NOTEBOOK_MODULES:
            assert _distribution(module) in declared, module


def test_doctor_checks_only_declared_packages():
    """Every package `mpbook doctor` reports on is one pyproject.toml declares."""
    declared = _names(PYPROJECT["project"]["dependencies"])
    for requirements in PYPROJECT["project"]["optional-dependencies"].values():
        declared |= _names(requirements)
    for name in cli.KEY_PACKAGES:
        assert PROVIDED_BY.get(name, name).lower() in declared, name


@pytest.mark.parametrize(
    ("file", "extras"), [("requirements.txt", {"book", "test"}), ("requirements-e2e.txt", {"e2e"})]
)
def test_requirements_files_name_only_extras_of_the_package(file, extras):
    """requirements*.txt install the package with extras, so every package and bound is written only in pyproject."""
    lines = [
        line.strip()
        for line in (ROOT / file).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines == [f"-e .[{','.join(sorted(extras))}]"]
    assert extras <= set(PYPROJECT["project"]["optional-dependencies"])


def test_the_version_comes_from_the_metadata_and_pyproject():
    """mpbook.__version__ is pyproject's version, read from the installed package's metadata."""
    from importlib import metadata

    assert mpbook.__version__ == PYPROJECT["project"]["version"] == metadata.version("mpbook")


def test_the_version_falls_back_to_pyproject_in_a_source_checkout(tmp_path):
    """Without metadata (a checkout on PYTHONPATH), the version is the one in pyproject.toml's [project] table."""
    from mpbook._version import _version_in_pyproject

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.other]\nversion = "9"\n\n[project]\nname = "mpbook"\nversion = "1.2.3"\n')
    assert _version_in_pyproject(pyproject) == "1.2.3"
    assert _version_in_pyproject(tmp_path / "missing.toml") is None
    assert _version_in_pyproject(ROOT / "pyproject.toml") == PYPROJECT["project"]["version"]


def test_importing_mpbook_reads_no_metadata():
    """`import mpbook` (every spawned child does) leaves importlib.metadata unimported until __version__ is asked."""
    code = "import sys, mpbook; print('importlib.metadata' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
