"""The `mpbook` command.

Learners:     mpbook doctor | list | check EX | hint EX | reset EX
Instructors:  mpbook verify | grade SUBMISSIONS --csv grades.csv --json-dir results/
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from mpbook import config

# The packages a chapter or the test suite imports; a missing one is a broken install.
KEY_PACKAGES = (
    "jupyterlab",
    "ipykernel",
    "ipywidgets",
    "matplotlib",
    "numpy",
    "psutil",
    "tqdm",
    # chapters 05 and 08 and the exercise on executors: joblib (with loky and cloudpickle) and Dask
    "joblib",
    "cloudpickle",
    "dask",
    "distributed",
)
SUPPORTED_PYTHONS = ((3, 10), (3, 14))  # oldest and newest minor version the book is tested on
POOL_CHECK_TIMEOUT_S = 60  # a spawn worker starts in ~0.1-0.3 s; 60 s allows a very slow laptop
FIX_INSTALL = "run `make lab` (or `pip install -r requirements.txt` inside the book's venv)"


class _Report:
    """Collects doctor lines; any `bad` line makes the exit code 1."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def ok(self, label: str, value: str) -> None:
        print(f"  ok    {label:<22} {value}")

    def info(self, label: str, value: str) -> None:
        print(f"        {label:<22} {value}")

    def bad(self, label: str, value: str, fix: str) -> None:
        print(f"  FAIL  {label:<22} {value}")
        print(f"        {'':<22} fix: {fix}")
        self.problems.append(f"{label}: {fix}")


def _check_pool(report: _Report, method: str, task=None) -> None:
    """Run one task in a fresh worker started with `method`, proving it can import mpbook.

    `task` replaces the real check (a worker that answers "doctor") in the tests.
    """
    from mpbook.workers import whoami  # a real pool target, found by the child by import

    task = task or functools.partial(whoami, "doctor")
    label = f"{method} worker"
    started = time.perf_counter()
    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method))
    try:
        # ProcessPoolExecutor, not Pool: if the child cannot import mpbook, Pool would
        # respawn workers forever, while the executor raises BrokenProcessPool at once.
        answer = executor.submit(task).result(timeout=POOL_CHECK_TIMEOUT_S)
    except BrokenProcessPool:
        report.bad(
            label,
            "the worker died before it could run a task",
            "a child must import mpbook: install it in this environment with "
            "`pip install -e .` from the book's folder",
        )
    except FutureTimeout:
        report.bad(
            label,
            f"no answer within {POOL_CHECK_TIMEOUT_S} s",
            "the machine may be overloaded, or a security tool blocks new processes",
        )
    except Exception as exc:  # noqa: BLE001 - doctor reports any failure instead of crashing
        report.bad(label, f"{type(exc).__name__}: {exc}", FIX_INSTALL)
    else:
        elapsed = time.perf_counter() - started
        if not (isinstance(answer, tuple) and answer[0] == "doctor"):
            report.bad(label, f"unexpected answer {answer!r}", FIX_INSTALL)
        else:
            report.ok(label, f"ran a task in pid {answer[1]} ({elapsed:.2f} s including start)")
    finally:
        _shutdown_now(executor)


def _short_path(path: str) -> str:
    """Return path relative to the current folder when it is near it (the book's folder), else as is.

    Keeps doctor's output free of one machine's home folder when shown in a chapter.
    """
    try:
        relative = os.path.relpath(path)
    except ValueError:  # Windows: another drive has no relative path
        return path
    if not relative.startswith(os.pardir + os.sep + os.pardir):
        return relative
    home = os.path.expanduser("~")
    return "~" + path[len(home) :] if path.startswith(home + os.sep) else path


def _shutdown_now(executor: ProcessPoolExecutor) -> None:
    """Stop an executor without waiting on a stuck worker."""
    workers = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    # Python 3.14 has executor.kill_workers(); before it the worker list is private.
    for process in workers:
        process.join(timeout=5)  # an idle worker exits on its own once shut down
        if process.is_alive():
            process.kill()
            process.join(timeout=5)


def doctor() -> int:
    """Print what the book depends on; return 0 when all is well, 1 when something needs fixing."""
    import mpbook

    report = _Report()
    print("mpbook doctor: can this machine run the book?\n")

    version = platform.python_version()
    low, high = SUPPORTED_PYTHONS
    if low <= sys.version_info[:2] <= high:
        report.ok("python", f"{version} ({platform.python_implementation()}) {_short_path(sys.executable)}")
    else:
        report.bad(
            "python",
            version,
            f"use Python {low[0]}.{low[1]} to {high[0]}.{high[1]}, then create the venv again",
        )
    report.info("platform", f"{platform.system()} {platform.release()} ({platform.machine()})")

    try:
        method = config.start_method()
    except config.StartMethodError as exc:
        report.bad("start method", str(exc), f"unset {config.ENV_VAR} or set it to spawn")
        method = None
    else:
        source = f"from {config.ENV_VAR}" if config.ENV_VAR in os.environ else "default"
        report.ok("start method", f"{method} ({source})")
    report.info("platform default", config.platform_default_start_method())
    report.ok("usable CPUs", f"{config.usable_cpus()} (machine has {os.cpu_count()})")
    report.info("mpbook", f"{mpbook.__version__} from {_short_path(os.path.dirname(mpbook.__file__))}")

    for name in KEY_PACKAGES:
        try:
            report.ok(name, importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            report.bad(name, "not installed", FIX_INSTALL)

    # spawn always, because it is the method every learner must be able to use; the
    # book's chosen method too when it differs.
    for pool_method in dict.fromkeys(["spawn", method or "spawn"]):
        _check_pool(report, pool_method)

    print()
    if report.problems:
        print(f"{len(report.problems)} problem(s) to fix:")
        for problem in report.problems:
            print(f"  - {problem}")
        return 1
    print("All good: open notebooks/00-start-here.ipynb (make lab).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for the mpbook command."""
    parser = argparse.ArgumentParser(
        prog="mpbook",
        description="Multiprocessing in Python, an interactive book: tools for learners and instructors.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("doctor", help="check this machine can run the book and say what to fix")
    commands.add_parser("list", help="every exercise, its status and points, and the next one to do")
    check = commands.add_parser("check", help="check your answer to an exercise (e.g. mpbook check ex03)")
    check.add_argument("exercises", nargs="*", metavar="EXERCISE", help="ex03, 3 or ex03_queue_results")
    check.add_argument("--all", action="store_true", help="check every exercise")
    hint = commands.add_parser("hint", help="the next hint for an exercise, gentlest first")
    hint.add_argument("exercise", metavar="EXERCISE")
    reset = commands.add_parser(
        "reset", help="restore an exercise's original file (yours is kept as a backup)"
    )
    reset.add_argument("exercise", metavar="EXERCISE")
    verify = commands.add_parser("verify", help="instructors: every stub fails and every solution passes")
    verify.add_argument("--runs", type=int, default=3, help="times each solution must pass (default 3)")
    grade = commands.add_parser(
        "grade", help="instructors: grade a folder of submissions, one folder per student"
    )
    grade.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR")
    grade.add_argument("--csv", type=Path, help="write one row per student and exercise to this CSV file")
    grade.add_argument("--json-dir", type=Path, help="write DIR/<student>/results.json (Gradescope format)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the mpbook command with argv (default: sys.argv[1:]); return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return doctor()
    if args.command is None:
        parser.print_help()
        return 2
    try:
        config.start_method()  # fail early and clearly on a bad MPBOOK_START_METHOD
        from mpbook.grading import commands, runner, workspace
        from mpbook.grading.catalogue import UnknownExercise

        if args.command == "check" and not (args.exercises or args.all):
            parser.error("name the exercise to check (e.g. `mpbook check ex03`) or use --all")
        try:
            if args.command == "list":
                return commands.list_exercises()
            if args.command == "check":
                return commands.check(args.exercises, check_all=args.all)
            if args.command == "hint":
                return commands.hint(args.exercise)
            if args.command == "reset":
                return commands.reset(args.exercise)
            if args.command == "verify":
                return commands.verify(runs=args.runs)
            if args.command == "grade":
                return commands.grade(args.submissions, args.csv, args.json_dir)
        except (UnknownExercise, workspace.WorkspaceError, runner.DeadlineScaleError) as exc:
            print(f"mpbook {args.command}: {exc}", file=sys.stderr)
            return 2
    except config.StartMethodError as exc:
        print(f"mpbook: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nmpbook: interrupted; every process it started has been stopped.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` or similar, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    parser.error(f"unknown command {args.command}")
    return 2
