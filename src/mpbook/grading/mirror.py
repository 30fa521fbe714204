"""The mirror rule: a stub and its solution are the same file, but for the code inside the functions.

They share the module docstring (the task), the imports (the stub imports what the solution
uses, so an unsolved function raises NotImplementedError and never NameError), the constants
and their values (the timeouts, with their why), and the public functions and classes with
their signatures. Compared on the syntax tree (ast): nothing is imported or run.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TypedDict


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"({ast.unparse(node.args)}){returns}"


class Outline(TypedDict):
    """What the mirror rule compares in a module."""

    docstring: str
    imports: list[str]  # each import statement, as written
    constants: dict[str, str]  # NAME -> its value's source
    public: dict[str, str]  # name -> its signature (a class: its bases and methods' signatures)


def outline(source: str) -> Outline:
    """Return what the mirror rule compares in a module's source: docstring, imports, constants, signatures."""
    tree = ast.parse(source)
    imports: list[str] = []
    constants: dict[str, str] = {}
    public: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.unparse(node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper() and not target.id.startswith("_"):
                    constants[target.id] = ast.unparse(node.value) if node.value is not None else ""
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            public[node.name] = f"def {node.name}{_signature(node)}"
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            bases = ", ".join(ast.unparse(base) for base in node.bases)
            methods = [
                f"{item.name}{_signature(item)}"
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            ]
            public[node.name] = f"class {node.name}({bases}): " + "; ".join(methods)
    return {
        "docstring": ast.get_docstring(tree, clean=False) or "",
        "imports": imports,
        "constants": constants,
        "public": public,
    }


def _first_difference(a: str, b: str) -> str:
    """Return the first line where two texts differ, as 'line N: stub ... / solution ...'."""
    lines_a, lines_b = a.splitlines(), b.splitlines()
    for number, (line_a, line_b) in enumerate(zip(lines_a, lines_b, strict=False), start=1):
        if line_a != line_b:
            return f"line {number}: stub {line_a.strip()!r}, solution {line_b.strip()!r}"
    shorter = min(len(lines_a), len(lines_b))
    return f"line {shorter + 1}: one of them ends there"


def problems(stub: Path, solution: Path) -> list[str]:
    """Return how the solution breaks the mirror of the stub, one sentence each; [] when they mirror."""
    try:
        mine, theirs = (
            outline(stub.read_text(encoding="utf-8")),
            outline(solution.read_text(encoding="utf-8")),
        )
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        return [f"cannot compare {stub.name} with {solution.name}: {exc}"]
    found = []
    if mine["docstring"] != theirs["docstring"]:
        found.append(
            "the module docstrings differ ("
            + _first_difference(mine["docstring"], theirs["docstring"])
            + "): the solution's docstring is the stub's, word for word"
        )
    if mine["imports"] != theirs["imports"]:
        only_stub = [i for i in mine["imports"] if i not in theirs["imports"]]
        only_solution = [i for i in theirs["imports"] if i not in mine["imports"]]
        detail = "; ".join(
            part
            for part in (
                f"only in the stub: {', '.join(only_stub)}" if only_stub else "",
                f"only in the solution: {', '.join(only_solution)}" if only_solution else "",
                "the same imports in another order" if not (only_stub or only_solution) else "",
            )
            if part
        )
        found.append(f"the imports differ ({detail}): a stub imports what the solution uses, at the top")
    for name in sorted(set(mine["constants"]) | set(theirs["constants"])):
        stub_value, solution_value = mine["constants"].get(name), theirs["constants"].get(name)
        if stub_value is None or solution_value is None:
            where = "the stub" if solution_value is None else "the solution"
            found.append(f"constant {name} is only in {where}")
        elif stub_value != solution_value:
            found.append(f"constant {name} is {stub_value} in the stub but {solution_value} in the solution")
    for name in sorted(set(mine["public"]) | set(theirs["public"])):
        stub_def, solution_def = mine["public"].get(name), theirs["public"].get(name)
        if stub_def is None or solution_def is None:
            where = "the stub" if solution_def is None else "the solution"
            found.append(f"`{name}` is only in {where}")
        elif stub_def != solution_def:
            found.append(f"`{name}` differs: stub `{stub_def}`, solution `{solution_def}`")
    return found
