"""The `mpbook` command.

Learners:     mpbook doctor | list | try EX | check EX | watch EX | hint EX | solution EX | reset EX
Instructors:  mpbook verify | grade SUBMISSIONS --csv grades.csv --json-dir results/
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.metadata
import importlib.util
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from mpbook import _processes, config

# The packages a chapter or the test suite imports; a missing one is a broken install. Each with what
# needs it, so a learner knows what a FAIL would break.
KEY_PACKAGES = {
    "jupyterlab": "JupyterLab, where you run the chapters",
    "ipykernel": "the kernel that runs the chapters' cells",
    "ipywidgets": "chapter 06's pool explorer",
    "matplotlib": "the plots of chapters 01, 03, 04, 06 and 08",
    "numpy": "chapters 03, 06, 07 and 08",
    "psutil": "chapters 05 and 08, and the exercise checks",
    "tqdm": "chapter 04's progress bar",
    # chapters 05 and 08 and the exercise on executors: joblib (with loky and cloudpickle) and Dask
    "joblib": "chapters 05 and 08",
    "cloudpickle": "chapters 05 and 08",
    "dask": "chapter 08 and its exercise",
    "distributed": "chapter 08's Dask cluster and its exercise",
}
# Imported by doctor to prove they load, not only that pip recorded them; JupyterLab's server (about
# 1 s to import) is only looked up: `make lab` starting it is its own proof.
NOT_IMPORTED = ("jupyterlab",)
SUPPORTED_PYTHONS = ((3, 10), (3, 14))  # oldest and newest minor version the book is tested on
POOL_CHECK_TIMEOUT_S = 60  # a spawn worker starts in ~0.1-0.3 s; 60 s allows a very slow laptop
POOL_STOP_TIMEOUT_S = 5  # an idle worker exits in milliseconds once shut down; a stuck one is then killed
FIX_INSTALL = "install the book's packages into this Python: `python -m pip install -r requirements.txt`"
# Free memory. The largest chapter is 03: its kernel and child processes need about 800 MB at the
# peak (stated at the chapter's top; tools/measure_memory.py measured 713-728 MB, 770 MB counting shared
# pages twice; INSTRUCTORS.md lists every chapter), and JupyterLab's server about 100 MB, counted as 200.
# MPBOOK_SMALL=1 shrinks the big arrays of chapters 03 and 06; the largest peak is then chapter 07's or
# 08's, about 320 MB (430 MB counting shared pages twice).
MEMORY_PEAK_MB = 800
MEMORY_PEAK_SMALL_MB = 400
MEMORY_JUPYTERLAB_MB = 200
SMALL_ENV_VAR = "MPBOOK_SMALL"
# Linux keeps shared memory blocks in /dev/shm, which a container gets only 64 MB of unless told
# otherwise; a block larger than what is left there kills the kernel (SIGBUS) when it is filled.
# Chapter 03 holds 128 MB there at once (measured), 8 MB with MPBOOK_SMALL=1; 16 MB more for the rest.
SHM_DIR = "/dev/shm"
SHM_NEEDED_MB = 144
SHM_NEEDED_SMALL_MB = 24


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
        _processes.stop_pool(executor, POOL_STOP_TIMEOUT_S)  # kills a stuck worker


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


def _book_python() -> str:
    """Return the Python running doctor as a learner types it in the book's folder: `.venv/bin/python`."""
    import mpbook

    book = Path(mpbook.__file__).resolve().parents[2]  # the book's folder when installed from it (-e .)
    try:
        # .venv/bin/python, as typed in the book's folder
        python = str(Path(sys.executable).relative_to(book))
    except ValueError:
        python = _short_path(sys.executable)
    return f'"{python}"' if " " in python else python


def _install_command() -> str:
    """Return the command that installs the book's packages into the Python running doctor."""
    return (
        f"`{_book_python()} -m pip install -r requirements.txt` in the book's folder "
        "(from an instructor's wheelhouse: add `--no-index --find-links wheelhouse`)"
    )


def _check_package(report: _Report, name: str, needed_by: str) -> None:
    """Report a package the book needs: installed (pip's record) and importable, or how to fix it."""
    try:
        version = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        report.bad(name, f"not installed; needed for {needed_by}", _install_command())
        return
    try:
        if name in NOT_IMPORTED:
            if importlib.util.find_spec(name) is None:
                raise ModuleNotFoundError(f"No module named {name!r}")
        else:
            importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any failure to import is a broken install
        message = str(exc).splitlines()[0] if str(exc) else ""
        report.bad(
            name,
            f"{version} is installed but `import {name}` fails ({type(exc).__name__}: {message})",
            f"`{_book_python()} -m pip install --force-reinstall --no-deps {name}=={version}` "
            "in the book's folder; if a line above says a package is missing, install that first",
        )
    else:
        report.ok(name, version)


def _available_memory_mb() -> int | None:
    """Return the memory available to new programs without swapping, in MB; None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.virtual_memory().available // 2**20


def _check_memory(report: _Report) -> None:
    """Compare the free memory with what the book's largest chapter needs, JupyterLab included."""
    available = _available_memory_mb()
    small = os.environ.get(SMALL_ENV_VAR) == "1"
    peak = MEMORY_PEAK_SMALL_MB if small else MEMORY_PEAK_MB
    needed = peak + MEMORY_JUPYTERLAB_MB
    mode = f" ({SMALL_ENV_VAR}=1)" if small else ""
    if available is None:
        report.info("free memory", "unknown: psutil is missing (see above)")
        return
    shown = f"{available / 1024:.1f} GB" if available >= 1024 else f"{available} MB"
    if available >= needed:
        report.ok("free memory", f"{shown} available; the largest chapter needs about {needed} MB{mode}")
        return
    if small:
        fix = (
            "close other programs (a browser with many tabs takes gigabytes), or use a hosted option "
            "from INSTRUCTORS.md (Codespaces, Binder, your course's JupyterHub)"
        )
    else:
        fix = (
            f"close other programs (a browser with many tabs takes gigabytes), or start JupyterLab with "
            f"{SMALL_ENV_VAR}=1 set (`{SMALL_ENV_VAR}=1 make lab`; PowerShell: `$env:{SMALL_ENV_VAR}=1` "
            f"first): chapters 03 and 06 then use smaller arrays and about {MEMORY_PEAK_SMALL_MB + MEMORY_JUPYTERLAB_MB} MB"
        )
    report.bad(
        "free memory",
        f"{shown} available; the largest chapter needs about {needed} MB{mode} "
        f"({peak} MB at its peak, JupyterLab {MEMORY_JUPYTERLAB_MB} MB)",
        fix,
    )


def _shm_available_mb(folder: str = SHM_DIR) -> int | None:
    """Return the MB free in /dev/shm, or None where there is none (macOS, Windows)."""
    try:
        stat = os.statvfs(folder)
    except (OSError, AttributeError):
        return None
    return stat.f_bavail * stat.f_frsize // 2**20


def _check_shared_memory(report: _Report) -> None:
    """On Linux, check /dev/shm can hold the largest shared memory block a chapter makes."""
    available = _shm_available_mb()
    if available is None:
        return
    small = os.environ.get(SMALL_ENV_VAR) == "1"
    needed = SHM_NEEDED_SMALL_MB if small else SHM_NEEDED_MB
    mode = f" ({SMALL_ENV_VAR}=1)" if small else ""
    if available >= needed:
        report.ok("shared memory", f"{available} MB free in {SHM_DIR}; chapter 03 needs {needed} MB{mode}")
        return
    fix = (
        f"give the container more shared memory (`docker run --shm-size=1g`; a devcontainer: "
        f'"runArgs": ["--shm-size=1g"]; Kubernetes: an emptyDir with medium Memory on {SHM_DIR})'
    )
    if not small:
        fix += f", or set {SMALL_ENV_VAR}=1 before starting JupyterLab: chapter 03 then needs {SHM_NEEDED_SMALL_MB} MB"
    report.bad(
        "shared memory",
        f"{available} MB free in {SHM_DIR}; chapter 03 needs {needed} MB{mode} (a block too large kills the kernel)",
        fix,
    )


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

    for name, needed_by in KEY_PACKAGES.items():
        _check_package(report, name, needed_by)
    _check_memory(report)
    _check_shared_memory(report)

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
    check = commands.add_parser("check", help="check your answer to an exercise (e.g. mpbook check ex04)")
    check.add_argument("exercises", nargs="*", metavar="EXERCISE", help="ex04, 4 or ex04_queue_results")
    check.add_argument("--all", action="store_true", help="check every exercise")
    try_ = commands.add_parser(
        "try",
        help="run your function on the exercise's example and show what it returns (e.g. mpbook try ex04)",
    )
    try_.add_argument("exercise", metavar="EXERCISE")
    watch = commands.add_parser(
        "watch", help="check an exercise again each time you save its file (Ctrl-C stops)"
    )
    watch.add_argument("exercise", metavar="EXERCISE")
    hint = commands.add_parser("hint", help="the next hint for an exercise, gentlest first")
    hint.add_argument("exercise", metavar="EXERCISE")
    solution = commands.add_parser(
        "solution", help="the reference solution, once your file passes (or with --show-anyway)"
    )
    solution.add_argument("exercise", metavar="EXERCISE")
    solution.add_argument(
        "--show-anyway", action="store_true", help="show it even though your file does not pass yet"
    )
    reset = commands.add_parser(
        "reset", help="restore an exercise's original file (yours is kept as a backup)"
    )
    reset.add_argument("exercise", metavar="EXERCISE")
    verify = commands.add_parser("verify", help="instructors: every stub fails and every solution passes")
    verify.add_argument("--runs", type=int, default=3, help="times each solution must pass (default 3)")
    verify.add_argument(
        "--no-grading",
        action="store_true",
        help="only the checks that run nothing: folders, hints, mirror, README",
    )
    verify.add_argument(
        "--wrong-answers",
        action="store_true",
        help="also grade every wrong answer in solutions/wrong/: the test each names must fail on it",
    )
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
            parser.error("name the exercise to check (e.g. `mpbook check ex04`) or use --all")
        try:
            if args.command == "list":
                return commands.list_exercises()
            if args.command == "check":
                return commands.check(args.exercises, check_all=args.all)
            if args.command == "try":
                return commands.try_exercise(args.exercise)
            if args.command == "watch":
                return commands.watch(args.exercise)
            if args.command == "hint":
                return commands.hint(args.exercise)
            if args.command == "solution":
                return commands.solution(args.exercise, show_anyway=args.show_anyway)
            if args.command == "reset":
                return commands.reset(args.exercise)
            if args.command == "verify":
                return commands.verify(
                    runs=args.runs, grading=not args.no_grading, wrong_answers=args.wrong_answers
                )
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
