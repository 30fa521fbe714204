"""The exercise commands of `mpbook`: list, check, try, watch, hint, solution, reset, verify, grade.

Each returns an exit code and prints for a person; cli.py wires them to arguments.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import mpbook
from mpbook.grading import booktable, boundary, migration, mirror, reports, runner, trying, workspace, wrong
from mpbook.grading.catalogue import EXERCISES, EXERCISES_DIR, MISSING, ORDER, UnknownExercise, find
from mpbook.grading.childreport import Status

SYMBOL = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.ERROR: "ERROR", Status.TIMEOUT: "TIMEOUT"}
HINT_AFTER_FAILURES = 2  # offer a hint from the second failing check in a row: once may be a typo
WATCH_POLL_S = 0.5  # how often `mpbook watch` looks at the file: a save is picked up within half a second
MIN_WRONG_ANSWERS = 3  # issue 18: at least three usual mistakes kept per exercise, each caught
SHOWN_OUTPUT_CHARS = 3_000  # what `mpbook try` shows of what the code printed
_OLD_NAMES = {new: old for old, new in migration.RENAMED.items()}


def _say(message: str) -> None:
    print(message, flush=True)


def _workspace() -> tuple[Path, workspace.Progress]:
    """Return the learner's folder and progress: files of an earlier edition renamed, missing stubs copied."""
    directory = workspace.exercises_dir()
    progress = workspace.Progress(directory)
    for message in workspace.bring_up_to_date(directory, progress):
        _say(message)
    copied = workspace.ensure_exercises(directory)
    if copied:
        _say(
            f"Copied {len(copied)} new exercise file(s) into {workspace.shown(directory)} "
            "(existing files are never overwritten)."
        )
    return directory, progress


class _ResultPrinter:
    """Prints each test as it ends; a message repeated from the test before is not printed again."""

    def __init__(self) -> None:
        self.last_message: str | None = None

    def __call__(self, result: runner.TestResult) -> None:
        _say(f"  {SYMBOL[result.status]:<7} {result.doc} [{result.score}/{result.max_score}]")
        if result.status == Status.PASSED:
            return
        if result.message == self.last_message:
            _say("          (same as above)")
        else:
            for line in result.message.splitlines():
                _say(f"          {line}")
        self.last_message = result.message


def _flush_warnings(progress: workspace.Progress) -> None:
    for warning in progress.warnings:
        _say(f"warning: {warning}")
    progress.warnings.clear()


def list_exercises() -> int:
    """Print every exercise with its status and points, then the next one to do."""
    directory, progress = _workspace()
    _say(f"Exercises in {workspace.shown(directory)}\n")
    _say(f"  {'':<5} {'title':<32} {'chapter':<24} {'status':<12} points")
    next_up = None
    for exercise in EXERCISES:
        state = workspace.status(exercise, directory, progress)
        entry = progress.data["exercises"].get(exercise.name, {})
        score = f"{entry['score']}/{entry['max_score']}" if "score" in entry else f"-/{exercise.points}"
        _say(f"  {exercise.number:<5} {exercise.title:<32} {exercise.chapter:<24} {state:<12} {score}")
        if next_up is None and state != "done":
            next_up = exercise
    done = sum(workspace.status(e, directory, progress) == "done" for e in EXERCISES)
    _say(f"\n{done} of {len(EXERCISES)} done.")
    if next_up:
        _say(
            f"Next: {next_up.number} {next_up.title}: open {workspace.shown(directory / next_up.filename)}, "
            f"then `mpbook try {next_up.number}` and `mpbook check {next_up.number}`."
        )
    _flush_warnings(progress)
    return 0


def _header() -> None:
    scale = runner.deadline_scale()
    _say(
        f"Python {sys.version.split()[0]}, start method {mpbook.start_method()}, "
        f"deadlines per test{f' x{scale:g}' if scale != 1 else ''}\n"
    )


def _check_one(exercise, directory: Path, progress: workspace.Progress) -> bool:
    """Grade one exercise file, print the report, record it in progress; return True when it passed."""
    path = directory / exercise.filename
    _say(f"{exercise.number} {exercise.title} ({workspace.shown(path)})")
    graded = runner.grade_file(exercise.name, path, on_result=_ResultPrinter())
    if graded.problem:
        _say(f"  ERROR   {graded.problem}")
    _say(f"  score {graded.score}/{graded.max_score} in {graded.seconds:.1f} s\n")
    entry = progress.entry(exercise)
    entry.update(
        score=graded.score,
        max_score=graded.max_score,
        passed=graded.passed,
        checked_digest=workspace.file_digest(path) if path.is_file() else None,
        checked_at=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    entry["failures_in_a_row"] = 0 if graded.passed else entry.get("failures_in_a_row", 0) + 1
    if graded.passed:
        _say(f"  {exercise.number} is done. `mpbook solution {exercise.number}` shows the reference answer.")
    elif entry["failures_in_a_row"] >= HINT_AFTER_FAILURES and entry.get("hint_level", 0) < len(
        exercise.hints
    ):
        level = entry.get("hint_level", 0) + 1
        _say(f"  Stuck? `mpbook hint {exercise.number}` shows hint {level} of {len(exercise.hints)}.")
    progress.save()
    _flush_warnings(progress)
    return graded.passed


def check(names: list[str], check_all: bool = False) -> int:
    """Grade the learner's exercise files; exit code 0 only when every test passed."""
    chosen = list(EXERCISES) if check_all else [find(name) for name in names]
    directory, progress = _workspace()
    _header()
    results = [_check_one(exercise, directory, progress) for exercise in chosen]
    return 0 if all(results) else 1


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b:?")
_TRACKER_NOISE = "resource_tracker: There appear to be"  # printed when a child exits without its clean-up


def summarised_output(text: str) -> str:
    """Return what a program printed with each traceback cut to its exception, and repeats counted.

    A spawned child that fails prints a traceback of thirty lines through multiprocessing's own
    code; what the learner needs is the error at its end ("RuntimeError: An attempt has been made
    to start a new process ..."), and how many children printed it.
    """
    lines = text.splitlines()
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _TRACKER_NOISE in line:
            index += 2 if index + 1 < len(lines) and "warnings.warn(" in lines[index + 1] else 1
            continue
        if line.startswith("Traceback (most recent call last):"):
            index += 1
            while index < len(lines) and not _EXCEPTION_LINE.match(lines[index]):
                index += 1
            if index == len(lines):
                kept.append("(a traceback, cut short)")
                break
            message = [lines[index].strip()]
            index += 1
            # A message may go on over indented lines (RuntimeError's does, for 15 lines): keep two.
            while index < len(lines) and (not lines[index].strip() or lines[index].startswith((" ", "\t"))):
                if lines[index].strip() and len(message) < 3:
                    message.append(lines[index].strip())
                index += 1
            kept.append(" ".join(message) + "  (the traceback's last line)")
            continue
        kept.append(line)
        index += 1
    counted: list[str] = []
    for line in kept:
        if counted and counted[-1].split("  [x")[0] == line:
            times = int(counted[-1].rsplit("[x", 1)[1][:-1]) + 1 if "  [x" in counted[-1] else 2
            counted[-1] = f"{line}  [x{times}]"
        else:
            counted.append(line)
    return "\n".join(counted)


def _indented(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.rstrip().splitlines())


def try_exercise(name: str) -> int:
    """Run the learner's function on the exercise's example in a separate process; show what came back."""
    exercise = find(name)
    directory, _progress = _workspace()
    path = directory / exercise.filename
    shown_path = workspace.shown(path)
    what = f"python {exercise.filename} {exercise.try_call}" if exercise.is_script else exercise.try_call
    _say(f"{exercise.number} {exercise.title}: {what}")
    _say(
        f"  from {shown_path}, in a separate process under {mpbook.start_method()}, "
        f"stopped after {trying.TRY_DEADLINE_S * runner.deadline_scale():g} s\n"
    )
    problem = runner.syntax_problem(path) if path.is_file() else f"there is no file {shown_path}"
    if problem:
        _say(_indented(problem, "  "))
        return 1
    outcome = trying.try_file(exercise, path)
    printed = summarised_output(outcome.output).strip()
    if len(printed) > SHOWN_OUTPUT_CHARS:
        printed = f"{printed[:SHOWN_OUTPUT_CHARS]}\n... [{len(printed) - SHOWN_OUTPUT_CHARS} more characters]"
    if printed and outcome.status != "not_written":
        _say("  printed:")
        _say(_indented(printed))
    if outcome.status == "returned":
        _say(f"  returned {outcome.value}   ({outcome.seconds:.1f} s)")
    elif outcome.status == "not_written":
        _say(
            f"  not written yet: open {shown_path} and write the function (look for `# TODO:`).\n"
            f"  It still raises NotImplementedError({outcome.message!r})."
        )
    elif outcome.status == "raised":
        _say("  raised:")
        _say(_indented(outcome.message))
    elif outcome.status == "finished":
        _say(f"  the script exited with code 0   ({outcome.seconds:.1f} s)")
    elif outcome.status == "exited":
        _say(f"  the script exited with code {outcome.returncode}: read the first error it printed above.")
    else:
        _say(_indented(outcome.message, "  "))
    if outcome.message and outcome.status in ("returned", "finished"):
        _say(_indented(outcome.message, "  "))
    _say(f"\nThe tests: `mpbook check {exercise.number}`.")
    return 0 if outcome.status in ("returned", "finished") else 1


def _file_state(path: Path) -> tuple[int, str] | None:
    """Return (mtime_ns, digest) of path, or None when it cannot be read right now."""
    try:
        return path.stat().st_mtime_ns, workspace.file_digest(path)
    except OSError:
        return None


def watch(name: str, poll_s: float = WATCH_POLL_S) -> int:
    """Check an exercise now and again each time its file is saved with new content; Ctrl-C stops."""
    exercise = find(name)
    directory, progress = _workspace()
    path = directory / exercise.filename
    _say(
        f"Watching {workspace.shown(path)}: each time you save it, {exercise.number} is checked again. "
        "Ctrl-C stops.\n"
    )
    _header()
    checked_digest, seen_mtime, runs, missing_said = None, None, 0, False
    try:
        while True:
            mtime = path.stat().st_mtime_ns if path.exists() else None
            if mtime != seen_mtime:  # only a changed mtime costs a read: then the digest decides
                seen_mtime = mtime
                state = _file_state(path)
                if state is None and not missing_said:
                    _say(
                        f"{workspace.shown(path)} is not there; waiting for it (`mpbook reset {exercise.number}`)."
                    )
                    missing_said = True
                if state is not None and state[1] != checked_digest:
                    missing_said = False
                    checked_digest = state[1]
                    runs += 1
                    _say(f"--- {exercise.number} · check {runs} · {time.strftime('%H:%M:%S')} ---")
                    if _check_one(exercise, directory, progress):
                        _say("Passed. Keep editing, or Ctrl-C to stop; next: `mpbook list`.\n")
                    else:
                        _say("Save the file to check again.\n")
            time.sleep(poll_s)
    except KeyboardInterrupt:
        # The check in progress, if any, has already stopped every process it started (runner's finally).
        _say(f"\nStopped watching {exercise.number}. Nothing is left running.")
        return 0


def solution(name: str, show_anyway: bool = False) -> int:
    """Print the reference solution once the learner's file passes, or after an explicit confirmation.

    Reads only: nothing is written into the learner's folder.
    """
    exercise = find(name)
    folder = workspace.solutions_dir()
    reference = folder / exercise.filename if folder else None
    if reference is None or not reference.is_file():
        _say(
            f"The reference solution of {exercise.number} is not here: solutions are not installed with the mpbook "
            f"package. They are in the book's repository, solutions/{exercise.filename}; run mpbook from a "
            "clone of the book (or ask your instructor)."
        )
        return 2
    directory = workspace.exercises_dir()
    learner = directory / exercise.filename
    entry = workspace.read_progress(directory).get(exercise.name, {})
    passed = (
        learner.is_file()
        and entry.get("passed") is True
        and entry.get("checked_digest") == workspace.file_digest(learner)
    )
    if not passed and not show_anyway:
        why = (
            f"{workspace.shown(learner)} does not pass yet"
            if learner.is_file()
            else f"there is no {workspace.shown(learner)} yet"
        )
        _say(
            f"{exercise.number}: {why} (or has changed since `mpbook check {exercise.number}` last passed it). "
            "Try first: the exercise is where the learning happens, and a hint is gentler than the answer "
            f"(`mpbook hint {exercise.number}`)."
        )
        if not sys.stdin.isatty():
            _say(f"To see the solution anyway: `mpbook solution {exercise.number} --show-anyway`.")
            return 1
        try:
            answer = input("Show the solution anyway? Type yes to see it: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != "yes":
            _say("Not shown.")
            return 1
    _say(
        f"# {workspace.shown(reference)}: the reference answer to {exercise.number}. "
        "Yours may differ and be just as right.\n"
    )
    _say(reference.read_text(encoding="utf-8").rstrip())
    return 0


def hint(name: str) -> int:
    """Print the next hint for an exercise, gentlest first."""
    exercise = find(name)
    _directory, progress = _workspace()
    entry = progress.entry(exercise)
    level = min(entry.get("hint_level", 0) + 1, len(exercise.hints))
    entry["hint_level"] = level
    _say(f"{exercise.number} {exercise.title}: hint {level} of {len(exercise.hints)}\n")
    _say(f"  {exercise.hints[level - 1]}")
    if level < len(exercise.hints):
        _say(f"\nStill stuck? `mpbook hint {exercise.number}` again gives the next one.")
    progress.save()
    _flush_warnings(progress)
    return 0


def reset(name: str) -> int:
    """Restore an exercise's original file, keeping the learner's version as a backup."""
    exercise = find(name)
    directory, progress = _workspace()
    backup = workspace.reset(exercise, directory)
    if backup:
        _say(f"Your version is saved as {workspace.shown(backup)}.")
    _say(f"{workspace.shown(directory / exercise.filename)} is back to the original.")
    progress.data["exercises"].pop(exercise.name, None)
    progress.save()
    _flush_warnings(progress)
    return 0


def static_problems() -> list[str]:
    """Return what is wrong with the exercise book without running anything: folders, hints, mirror, README."""
    problems = []
    solutions = workspace.solutions_dir()
    for name in MISSING:
        absent = [
            part
            for part in ("__init__.py", "stub.py", "checks.py")
            if not (EXERCISES_DIR / name / part).is_file()
        ]
        problems.append(f"{name}: its folder {EXERCISES_DIR / name} lacks {', '.join(absent)}")
    for exercise in EXERCISES:
        where = exercise.number
        if not 2 <= len(exercise.hints) <= 3:
            problems.append(f"{where}: {len(exercise.hints)} hints; give two or three, gentlest first")
        if not exercise.try_call.strip():
            problems.append(f"{where}: TRY is empty; give an example call for `mpbook try`")
        if not exercise.tests:
            problems.append(f"{where}: the check module has no test_ functions")
        if solutions is None:
            continue
        reference = solutions / exercise.filename
        if not reference.is_file():
            problems.append(f"{where}: there is no solution {reference}")
            continue
        problems += [
            f"{where}: stub and solution do not mirror: {problem}"
            for problem in mirror.problems(exercise.stub_path, reference)
        ]
    if solutions is None:
        problems.append("no solutions/ folder here: run `mpbook verify` from the book's repository")
    else:
        for path in sorted(solutions.glob("ex*.py")):
            if path.stem not in ORDER:
                problems.append(f"{path} is not in the catalogue (mpbook/grading/catalogue.py, ORDER)")
    for folder in sorted(EXERCISES_DIR.glob("ex*")):
        if folder.is_dir() and folder.name not in ORDER:
            problems.append(f"{folder} is not in the catalogue (mpbook/grading/catalogue.py, ORDER)")
    readme = (workspace.book_root() or Path.cwd()) / "exercises" / "README.md"
    if readme.is_file():
        try:
            stale = readme.read_text(encoding="utf-8") != booktable.with_table(
                readme.read_text(encoding="utf-8")
            )
        except booktable.MarkersMissing as exc:
            problems.append(f"{readme}: {exc}")
        else:
            if stale:
                problems.append(
                    f"{readme}: the exercise table is stale; run `python tools/exercise_table.py`"
                )
    return problems


def verify_wrong_answers(solutions: Path, exercises=None) -> list[str]:
    """Grade every wrong answer in solutions/wrong/, one report line per exercise; return the problems found.

    A wrong answer is a problem when the test its first line names passes on it (so it would get
    full marks), and an exercise is when it has fewer than MIN_WRONG_ANSWERS of them.
    """
    problems = []
    for exercise in EXERCISES if exercises is None else exercises:
        started = time.perf_counter()
        verdicts = wrong.grade_wrong_answers(solutions, exercise.name)
        notes = [verdict.problem for verdict in verdicts if verdict.problem]
        if len(verdicts) < MIN_WRONG_ANSWERS:
            notes.append(
                f"{len(verdicts)} wrong answer(s) in solutions/wrong/{exercise.name}/, expected at least "
                f"{MIN_WRONG_ANSWERS}: keep the usual mistakes there, each naming the test that catches it"
            )
        state = "ok" if not notes else "PROBLEM"
        _say(f"  {state:<8} {wrong.summary(exercise.name, verdicts)} ({time.perf_counter() - started:.1f} s)")
        problems += [f"{exercise.number}: {note}" for note in notes]
    return problems


def verify(runs: int = 3, grading: bool = True, wrong_answers: bool = False) -> int:
    """Instructor check: the book is complete and mirrored, every stub scores 0, every solution passes `runs` times.

    With wrong_answers, every wrong answer in solutions/wrong/ must also be caught by the test it names.
    """
    problems = static_problems()
    solutions = workspace.solutions_dir()
    if grading and solutions is not None:
        for exercise in EXERCISES:
            started = time.perf_counter()
            notes = []
            stub = runner.grade_file(exercise.name, exercise.stub_path)
            scoring = [t.name for t in stub.tests if t.score > 0]
            if scoring:
                notes.append(
                    f"the untouched stub scores {stub.score}/{stub.max_score} ({', '.join(scoring)} passed): "
                    "a test must require the work to be done"
                )
            seconds = []
            for run in range(1, runs + 1):
                solution = runner.grade_file(exercise.name, solutions / exercise.filename)
                seconds.append(solution.seconds)
                if not solution.passed:
                    failing = [
                        f"{t.name} ({t.status}: {t.message.splitlines()[0] if t.message else ''})"
                        for t in solution.tests
                        if t.status != Status.PASSED
                    ]
                    notes.append(f"solution run {run}: {solution.problem or '; '.join(failing)}")
                    break
            state = "ok" if not notes else "PROBLEM"
            slowest = f", slowest solution run {max(seconds):.1f} s" if seconds else ""
            _say(
                f"  {state:<8} {exercise.number} stub {stub.score}/{stub.max_score}, solution x{runs}{slowest} "
                f"({time.perf_counter() - started:.1f} s)"
            )
            problems += [f"{exercise.number}: {note}" for note in notes]
    if grading and wrong_answers and solutions is not None:
        _say("\nWrong answers (solutions/wrong/), each graded by the test it names:")
        problems += verify_wrong_answers(solutions)
    if problems:
        _say(f"\n{len(problems)} problem(s):")
        for problem in problems:
            _say(f"  - {problem}")
        return 1
    if grading:
        _say(
            f"\nAll {len(EXERCISES)} exercises verified: complete and mirrored, every stub scores 0, "
            f"every solution passes {runs} times in a row"
            + (", every wrong answer is caught." if wrong_answers else ".")
        )
    else:
        _say(
            f"\nAll {len(EXERCISES)} exercises are complete and mirrored (nothing was graded: --no-grading)."
        )
    return 0


def grade(submissions: Path, csv_path: Path | None, json_dir: Path | None) -> int:
    """Grade a folder of submissions, one sub-folder per student; write a CSV and Gradescope results.json files."""
    if not submissions.is_dir():
        _say(f"error: {submissions} is not a folder. Give a folder with one sub-folder per student.")
        return 2
    students = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    skipped = sorted(p.name for p in submissions.iterdir() if not p.is_dir() and not p.name.startswith("."))
    if skipped:
        _say(f"Skipping {len(skipped)} file(s) that are not student folders: {', '.join(skipped)}")
    if not students:
        _say(
            f"error: {submissions} has no student folders (one sub-folder per student, holding their exNN_*.py)."
        )
        return 2
    note = boundary.privilege_note()  # a root grader whose learners' code cannot run as another user
    if note:
        _say(f"Note: {note}\n")
    rows = []
    for student in students:
        _say(f"{student.name}")
        started = time.perf_counter()
        graded_exercises = []
        for exercise in EXERCISES:
            path = student / exercise.filename
            old = _OLD_NAMES.get(exercise.name)
            if not path.exists() and old and (student / f"{old}.py").is_file():
                path = student / f"{old}.py"  # handed in under the earlier edition's name: graded as this one
                _say(f"  {exercise.number}: grading {old}.py, this exercise's name in the earlier edition")
            graded = runner.grade_file(exercise.name, path)
            rows.append(reports.csv_row(student.name, exercise, graded))
            _say(
                f"  {exercise.number} {graded.score}/{graded.max_score}"
                + (f" ({graded.problem.splitlines()[0]})" if graded.problem else "")
            )
            graded_exercises.append((exercise, graded))
        if json_dir:
            results = reports.gradescope_results(graded_exercises, time.perf_counter() - started)
            reports.write_gradescope(json_dir, student.name, results)
    if csv_path:
        reports.write_csv(csv_path, rows)
        _say(f"\nWrote {csv_path} ({len(rows)} rows).")
    if json_dir:
        _say(f"Wrote {len(students)} results.json file(s) under {json_dir}.")
    return 0


__all__ = [
    "UnknownExercise",
    "check",
    "grade",
    "hint",
    "list_exercises",
    "reset",
    "solution",
    "try_exercise",
    "verify",
    "watch",
]
