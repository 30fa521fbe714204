"""Runs ONE check test in a fresh process; the grader starts this, never the learner's code directly.

    grader (runner.py) --python -m mpbook.grading._child SPEC.json--> this process (own session)
        runs one test function of the checks (trusted.py); the learner's module runs in a
        process of its own behind the boundary (boundary.py)
        writes REPORT.json, signed, only when the test has really finished
    grader <--REPORT.json (or none: the process died, hung or exited early)--

The report is written last, so a test passes only if the test function returned.

`mpbook try` uses the same process for an expression instead of a test (spec "expression"):
it evaluates it in the learner's module and reports what came back, or what was raised.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path

from mpbook import _processes
from mpbook.grading.childreport import TestReport, TryReport
from mpbook.grading.childreport import write as write_report


def _learner_frames(exc: BaseException, directory: Path) -> str:
    """Return the traceback lines that point into the learner's folder (the useful ones)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).parent == directory]
    return "".join(traceback.format_list(frames[-3:]))


def _learners_folder_first(spec: dict) -> tuple[Path, str, str]:
    """Put the learner's folder first on this process's and its children's path; set the start method.

    Return the folder, the exercise's module name and the file name to show in messages.
    """
    import mpbook

    directory = Path(spec["directory"]).resolve()
    module_name = spec["exercise"]
    sys.path.insert(0, str(directory))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
    multiprocessing.set_start_method(mpbook.start_method(), force=True)
    return directory, module_name, spec.get("file_label", f"{module_name}.py")


def run(spec: dict) -> TestReport:
    """Run the test named in spec, with the learner's module in a process of its own (see trusted.py)."""
    from mpbook.grading import trusted

    return trusted.run(spec)


REPR_CAP = 2_000  # characters of a returned value's repr that `mpbook try` shows


def _names_to_import(expression: str, namespace: dict) -> list[str]:
    """Return the dotted module names an expression uses but the namespace lacks: `mpbook.practice`, `functools`."""
    import ast

    wanted: list[str] = []
    for node in ast.walk(ast.parse(expression, mode="eval")):
        if isinstance(node, ast.Attribute):
            parts = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id not in namespace:
                dotted = [inner.id, *reversed(parts)]
                wanted += [".".join(dotted[:end]) for end in range(1, len(dotted))]
    return list(dict.fromkeys(wanted))


def _shown_traceback(exc: BaseException, directory: Path) -> str:
    """Return the last lines of a traceback: the learner's frames when there are any, then the exception."""
    learner = _learner_frames(exc, directory)
    if not learner:
        frames = traceback.extract_tb(exc.__traceback__)[-2:]
        learner = "".join(traceback.format_list(frames))
    last = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return f"{learner}{last}"


def try_expression(spec: dict) -> TryReport:
    """Evaluate spec["expression"] in the learner's module; return what came back, or what was raised."""
    import importlib

    directory, module_name, file_label = _learners_folder_first(spec)
    started = time.perf_counter()
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        return TryReport("error", f"{file_label} line {exc.lineno}: {exc.msg}. Fix the syntax first.")
    except BaseException as exc:  # noqa: BLE001 - any import failure becomes a message for the learner
        return TryReport("error", f"importing {file_label} failed:\n{_shown_traceback(exc, directory)}")
    namespace = dict(vars(module))
    for dotted in _names_to_import(spec["expression"], namespace):
        with contextlib.suppress(ImportError):  # not a module: eval's NameError or AttributeError says so
            importlib.import_module(dotted)
            top = dotted.split(".")[0]
            namespace.setdefault(top, sys.modules[top])
    try:
        value = eval(spec["expression"], namespace)  # the exercise's own example call (TRY)
    except NotImplementedError as exc:
        if _learner_frames(exc, directory):
            return TryReport("not_written", str(exc), seconds=time.perf_counter() - started)
        return TryReport("raised", _shown_traceback(exc, directory), seconds=time.perf_counter() - started)
    except BaseException as exc:  # noqa: BLE001 - shown to the learner, never raised
        return TryReport("raised", _shown_traceback(exc, directory), seconds=time.perf_counter() - started)
    shown = repr(value)
    if len(shown) > REPR_CAP:
        shown = f"{shown[:REPR_CAP]} ... [{len(shown) - REPR_CAP} more characters]"
    seconds = time.perf_counter() - started
    message = ""
    leftovers = _processes.leftover_children(settle_s=0.5)
    if leftovers:
        _processes.kill(leftovers)
        message = (
            f"{len(leftovers)} process(es) your code started were still running after it returned, and were killed. "
            "join() every Process you start and use pools in a `with` block."
        )
    return TryReport("returned", message, shown, seconds)


def main() -> None:
    spec_path = Path(sys.argv[1])
    spec = json.loads(spec_path.read_text())
    if "expression" not in spec:
        spec_path.unlink()  # its key signs the report: gone before the learner's process could read it
    report = try_expression(spec) if "expression" in spec else run(spec)
    write_report(report, Path(spec["report"]), spec.get("key"))  # whole or not at all
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: atexit handlers would join whatever the learner left behind.
    os._exit(0)


if __name__ == "__main__":
    main()
