"""Runs ONE check test in a fresh process; the grader starts this, never the learner's code directly.

    grader (runner.py) --python -m mpbook.grading._child SPEC.json--> this process (own session)
        imports the learner's module, runs one test function
        writes REPORT.json only when the test has really finished
    grader <--REPORT.json (or none: the process died, hung or exited early)--

The report is written last, so a test passes only if the test function returned. A learner
calling sys.exit(0) or os._exit(0) leaves no report and is not a pass.
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

from mpbook import _leaks


def _learner_frames(exc: BaseException, directory: Path) -> str:
    """Return the traceback lines that point into the learner's folder (the useful ones)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).parent == directory]
    return "".join(traceback.format_list(frames[-3:]))


def _describe_failure(
    exc: BaseException, exercise_module, directory: Path, file_label: str
) -> tuple[str, str]:
    """Return (status, message) for an exception that escaped a test."""
    if isinstance(exc, AssertionError):
        return "failed", str(exc) or "a check failed (no message)"
    if isinstance(exc, NotImplementedError) and _learner_frames(exc, directory):
        return "failed", (
            f"not done yet: {file_label} still raises NotImplementedError({str(exc)!r}). "
            "Replace the `raise NotImplementedError` lines with your code (look for # TODO:)."
        )
    if (
        isinstance(exc, AttributeError)
        and exercise_module is not None
        and getattr(exc, "obj", None) is exercise_module
    ):
        return "failed", (
            f"{file_label} has no `{exc.name}`. The checks call it by that name: did you rename or delete it? "
            f"`mpbook reset` restores the original file and keeps yours as a backup."
        )
    if isinstance(exc, SystemExit):
        return "error", (
            f"your code called sys.exit({exc.code!r}) inside the test. Exiting the process is not a pass: "
            "return the result instead."
        )
    where = _learner_frames(exc, directory)
    return "failed", f"your code raised {type(exc).__name__}: {exc}" + (f"\n{where}" if where else "")


def _kill(processes) -> None:
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(processes, timeout=5)


def run(spec: dict) -> dict:
    """Run the test named in spec and return the report."""
    import mpbook

    directory = Path(spec["directory"]).resolve()
    module_name = spec["exercise"]
    file_label = spec.get("file_label", f"{module_name}.py")
    sys.path.insert(0, str(directory))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
    multiprocessing.set_start_method(mpbook.start_method(), force=True)

    started = time.perf_counter()
    report = {"status": "passed", "message": ""}
    exercise_module = None
    import importlib

    try:
        if spec.get("import_exercise", True):
            exercise_module = importlib.import_module(module_name)
    except SyntaxError as exc:
        return {
            "status": "error",
            "message": f"{file_label} line {exc.lineno}: {exc.msg}. Fix the syntax, then check again.",
        }
    except BaseException as exc:  # noqa: BLE001 - any import failure becomes a message for the learner
        _status, message = _describe_failure(exc, None, directory, file_label)
        return {"status": "error", "message": f"importing {file_label} failed: {message}"}

    try:
        checks = importlib.import_module(spec["check_module"])
        getattr(checks, spec["test"])()
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, never raised
        report["status"], report["message"] = _describe_failure(exc, exercise_module, directory, file_label)
    report["seconds"] = time.perf_counter() - started

    # The resource tracker and a fork server are not the learner's; a process in its last exit steps is not running.
    leftovers = _leaks.leftover_children(settle_s=0.5)
    if leftovers:
        _kill(leftovers)
        note = (
            f"{len(leftovers)} process(es) your code started were still running after it returned, and were killed. "
            "join() every Process you start and use pools in a `with` block."
        )
        report["message"] = f"{report['message']}\n{note}".strip()
        if report["status"] == "passed":
            report["status"] = "failed"
    return report


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    report = run(spec)
    target = Path(spec["report"])
    temporary = target.with_suffix(".tmp")
    temporary.write_text(json.dumps(report))
    os.replace(temporary, target)  # the report appears whole or not at all
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter shutdown: atexit handlers would join whatever the learner left behind.
    os._exit(0)


if __name__ == "__main__":
    main()
