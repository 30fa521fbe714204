"""One check test in the trusted process, the learner's module behind the boundary.

    _child.py (trusted: imports the checks, never the learner's module)
        checks: ex.func(args) --> checking._LearnerFunction --> boundary.LearnerProcess --pipes--> learner.py
        judges what comes back (plain data), watches the learner's processes through the process tree
        stops the learner's process and everything it started, then writes the report

The learner's code can rewrite anything in its own process: the checks' module there, builtins,
multiprocessing. None of it reaches this process, which holds the assertions and writes the report.
"""

from __future__ import annotations

import importlib
import multiprocessing
import time
from pathlib import Path

from mpbook.grading import boundary, checking
from mpbook.grading.childreport import Status, TestReport

SETTLE_S = 0.5  # a process in its last exit steps after the call returned is not a leftover
LEFTOVERS = (
    "{count} process(es) your code started were still running after it returned, and were killed. "
    "join() every Process you start and use pools in a `with` block."
)


def describe(exc: BaseException, file_label: str) -> tuple[Status, str]:
    """Return (status, message) for an exception that escaped a test run across the boundary."""
    if isinstance(exc, AssertionError):
        return Status.FAILED, str(exc) or "a check failed (no message)"
    if isinstance(exc, boundary.ImportFailed):
        if exc.kind == "syntax_error":
            line, what = exc.detail
            return Status.ERROR, f"{file_label} line {line}: {what}. Fix the syntax, then check again."
        raised = exc.detail
        where = f"\n{raised.frames}" if getattr(raised, "from_learner", False) else ""
        return Status.ERROR, f"importing {file_label} failed: your code raised {raised!r}{where}"
    if isinstance(exc, boundary.LearnerMissing):
        return Status.FAILED, (
            f"{file_label} has no `{exc}`. The checks call it by that name: did you rename or delete it? "
            "`mpbook reset` restores the original file and keeps yours as a backup."
        )
    if isinstance(exc, boundary.LearnerRaised):
        raised = exc.raised
        if raised.type_name == "NotImplementedError" and raised.from_learner:
            return Status.FAILED, (
                f"not done yet: {file_label} still raises NotImplementedError({raised.message!r}). "
                "Replace the `raise NotImplementedError` lines with your code (look for # TODO:)."
            )
        if raised.type_name == "SystemExit":
            return Status.ERROR, (
                f"your code called sys.exit({raised.message or None}) inside the test. Exiting the process is not "
                "a pass: return the result instead."
            )
        where = f"\n{raised.frames}" if raised.frames and raised.from_learner else ""
        return Status.FAILED, f"your code raised {raised!r}{where}"
    if isinstance(exc, boundary.LearnerEnded):
        code = "" if exc.exit_code is None else f" (exit code {exc.exit_code})"
        return Status.ERROR, (
            f"your code's process ended during a call, without returning{code}: os._exit(), a crash, or a kill. "
            "Return the result instead of exiting."
        )
    return Status.ERROR, f"the check itself raised {type(exc).__name__}: {exc}"


def run(spec: dict) -> TestReport:
    """Run spec's test with the learner's module in its own process; return the report."""
    import mpbook

    module_name = spec["exercise"]
    file_label = spec.get("file_label", f"{module_name}.py")
    learner_file = Path(spec["directory"]).resolve() / f"{module_name}.py"
    multiprocessing.set_start_method(mpbook.start_method(), force=True)  # what the learner's process uses
    started = time.perf_counter()
    learner = boundary.LearnerProcess(learner_file, module_name, multiprocessing.get_start_method())
    checking._learner_process = learner  # what `exercise()` hands the check module as `ex`
    status, message = Status.PASSED, ""
    try:
        checks = importlib.import_module(spec["check_module"])
        getattr(checks, spec["test"])()
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, never raised
        status, message = describe(exc, file_label)
    seconds = time.perf_counter() - started
    try:
        # Leftovers only after a call that returned: a call still running is a failure of its own.
        leftovers = 0 if learner.process is None or learner.busy else len(learner.descendants(SETTLE_S))
    finally:
        learner.stop()
    if leftovers:
        message = f"{message}\n{LEFTOVERS.format(count=leftovers)}".strip()
        if status == Status.PASSED:
            status = Status.FAILED
    return TestReport(status, message, seconds)
