"""What a learner runs while working: `mpbook try`, `mpbook watch`, `mpbook solution`, and check() in a notebook."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from mpbook import _processes
from mpbook.grading import notebook, workspace
from mpbook.grading.catalogue import find

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
EX01 = find("ex01")
CLI_TIMEOUT_S = 120  # a try or a check of ex01 takes about 2 s; a loaded machine, much more
WATCH_STEP_S = 60  # the watcher re-checks within 0.5 s of a save, and a check of ex01 takes ~2 s
STOP_S = 15  # an interrupted watcher must be gone well within this; it normally takes ~1 s
WATCH_POLL_S = 0.5  # how often mpbook watch looks at the file (commands.WATCH_POLL_S)


def run_mpbook(*args: str, folder: Path, stdin=subprocess.DEVNULL, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mpbook", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        stdin=stdin,
        env={**os.environ, workspace.ENV_DIR: str(folder), **env},
        check=False,
    )


def write_learner_file(folder: Path, body: str, exercise=EX01) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / exercise.filename
    path.write_text(textwrap.dedent(body))
    return path


# --- mpbook try -----------------------------------------------------------------------------


def test_try_an_untouched_stub_says_where_to_start(tmp_path):
    """On the untouched stub, try says the function is not written yet and which file to open, with no traceback."""
    result = run_mpbook("try", "ex01", folder=tmp_path)
    assert result.returncode == 1
    assert "not written yet: open" in result.stdout
    assert EX01.filename in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_try_shows_what_came_back(tmp_path):
    """On a solved exercise, try shows the repr of what the function returned for the exercise's example."""
    shutil.copyfile(SOLUTIONS / EX01.filename, tmp_path / EX01.filename)
    result = run_mpbook("try", "ex01", folder=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert EX01.try_call in result.stdout
    assert "returned [0, 0, 1]" in result.stdout  # start_and_join([0.2, 0.2, -1]): the third task raises


def test_try_shows_the_last_lines_of_an_exception(tmp_path):
    """An exception in the learner's code shows as its last traceback lines: their file, their line, the error."""
    write_learner_file(
        tmp_path,
        """
        def start_and_join(durations):
            return durations[10]
        """,
    )
    result = run_mpbook("try", "ex01", folder=tmp_path)
    assert result.returncode == 1
    assert "raised:" in result.stdout
    assert "IndexError: list index out of range" in result.stdout
    assert "return durations[10]" in result.stdout
    assert result.stdout.count("File ") <= 3, "only the learner's last frames"


def test_try_stops_a_hang_and_leaves_nothing_running(tmp_path, monkeypatch):
    """A function that never returns is stopped at the deadline with every process it started, and reported."""
    from mpbook.grading import trying

    marker = f"mpbook-try-{uuid.uuid4().hex}"
    write_learner_file(
        tmp_path,
        f"""
        import multiprocessing as mp
        import time

        def start_and_join(durations):
            child = mp.Process(target=time.sleep, args=(3600,), name={marker!r})
            child.start()
            child.join()  # {marker}
        """,
    )
    started = time.monotonic()
    outcome = trying.try_file(EX01, tmp_path / EX01.filename, deadline=1.5)
    assert outcome.status == "timeout"
    assert time.monotonic() - started < 1.5 + 5
    assert "Usual causes" in outcome.message
    assert not [p for p in _processes.leftover_children() if str(tmp_path) in " ".join(p.cmdline())]


def test_try_runs_a_script_exercise_as_a_script(tmp_path):
    """For the __main__-guard exercise, try runs the file as a script under spawn and shows the error's last line."""
    stub = find("ex02").stub_path.read_text(encoding="utf-8")
    assert "RESULT_TIMEOUT_S = 5" in stub
    # the stub as a learner might leave it, waiting 1 s for the broken pool instead of 5
    (tmp_path / "ex02_main_guard.py").write_text(stub.replace("RESULT_TIMEOUT_S = 5", "RESULT_TIMEOUT_S = 1"))
    result = run_mpbook("try", "ex02", folder=tmp_path)
    assert result.returncode == 1
    assert "python ex02_main_guard.py spawn" in result.stdout
    assert "RuntimeError: An attempt has been made to start a new process" in result.stdout
    assert "Traceback" not in result.stdout
    shutil.copyfile(SOLUTIONS / "ex02_main_guard.py", tmp_path / "ex02_main_guard.py")
    result = run_mpbook("try", "ex02", folder=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]" in result.stdout


# --- mpbook watch ---------------------------------------------------------------------------


class Transcript(threading.Thread):
    """Reads a process's output as it comes, in a thread, so the test can wait for a line with a timeout."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[str] = []

    def run(self) -> None:
        for line in self.stream:
            self.lines.append(line)

    def wait_for(self, wanted: str, timeout: float, after: int = 0) -> int:
        """Return the index of the first line from `after` on containing wanted; fail the test after timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for index in range(after, len(self.lines)):
                if wanted in self.lines[index]:
                    return index
            time.sleep(0.05)
        pytest.fail(f"no line with {wanted!r} within {timeout} s:\n{self.text()}")

    def text(self) -> str:
        return "".join(self.lines)


@pytest.mark.timeout(300)
@pytest.mark.skipif(os.name != "posix", reason="Ctrl-C to a process group is POSIX")
def test_watch_rechecks_on_save_and_ctrl_c_leaves_nothing(tmp_path):
    """mpbook watch checks at once and again after each save; Ctrl-C during a check stops it all, leaving no process."""
    write_learner_file(tmp_path, "def start_and_join(durations):\n    raise NotImplementedError('mine')\n")
    token = uuid.uuid4().hex
    watcher = subprocess.Popen(
        [sys.executable, "-m", "mpbook", "watch", "ex01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **os.environ,
            workspace.ENV_DIR: str(tmp_path),
            _processes.LEAK_TOKEN_VAR: token,
            "PYTHONUNBUFFERED": "1",
        },
        start_new_session=True,  # its own process group: a terminal's Ctrl-C goes to all of it
    )
    transcript = Transcript(watcher.stdout)
    transcript.start()
    try:
        first = transcript.wait_for("check 1 ·", WATCH_STEP_S)
        transcript.wait_for("Save the file to check again", WATCH_STEP_S, first)
        # A save with the same content (a new mtime only) is not worth a check.
        os.utime(tmp_path / EX01.filename, (time.time() + 5, time.time() + 5))
        time.sleep(4 * WATCH_POLL_S)
        assert "check 2 ·" not in transcript.text(), "a save with the same content triggered a check"
        # A save with new content: the solution. It is checked again, and passes.
        shutil.copyfile(SOLUTIONS / EX01.filename, tmp_path / EX01.filename)
        second = transcript.wait_for("check 2 ·", WATCH_STEP_S, first)
        # Interrupt it in the middle of that check, while the learner's processes run.
        transcript.wait_for("PASS", WATCH_STEP_S, second)
        os.killpg(watcher.pid, signal.SIGINT)
        watcher.wait(timeout=STOP_S)
        transcript.join(timeout=STOP_S)
    finally:
        if watcher.poll() is None:
            os.killpg(watcher.pid, signal.SIGKILL)
            watcher.wait(timeout=10)
    output = transcript.text()
    assert watcher.returncode == 0, output
    assert "Stopped watching ex01" in output
    assert "Traceback" not in output
    deadline = time.monotonic() + 10
    while _processes.processes_with_token(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _processes.processes_with_token(token)
    assert not left, f"still running after Ctrl-C: {_processes.describe(left)}"


# --- mpbook solution ------------------------------------------------------------------------


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_solution_is_refused_before_the_exercise_passes(tmp_path):
    """Without a passing check, solution refuses, says how to see it anyway, and writes nothing."""
    write_learner_file(tmp_path, "def start_and_join(durations):\n    return []\n")
    before = tree(tmp_path)
    result = run_mpbook("solution", "ex01", folder=tmp_path)
    assert result.returncode == 1
    assert "does not pass yet" in result.stdout
    assert "--show-anyway" in result.stdout
    assert "def start_and_join" not in result.stdout
    assert tree(tmp_path) == before


def test_solution_is_shown_once_the_file_passes(tmp_path):
    """After `mpbook check` passes, solution prints the reference; a later edit hides it again until checked."""
    shutil.copyfile(SOLUTIONS / EX01.filename, tmp_path / EX01.filename)
    assert run_mpbook("check", "ex01", folder=tmp_path).returncode == 0
    before = tree(tmp_path)
    result = run_mpbook("solution", "ex01", folder=tmp_path)
    assert result.returncode == 0, result.stdout
    assert (SOLUTIONS / EX01.filename).read_text().strip() in result.stdout
    assert tree(tmp_path) == before, "solution must not write into the learner's folder"
    with open(tmp_path / EX01.filename, "a") as learner:
        learner.write("# an edit after the check\n")
    assert run_mpbook("solution", "ex01", folder=tmp_path).returncode == 1


def test_solution_anyway(tmp_path):
    """--show-anyway shows the reference before the exercise passes, and writes nothing."""
    result = run_mpbook("solution", "ex01", "--show-anyway", folder=tmp_path)
    assert result.returncode == 0
    assert "def start_and_join" in result.stdout
    assert not tmp_path.exists() or tree(tmp_path) == {}


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal for stdin is POSIX")
def test_solution_asks_at_a_terminal(tmp_path):
    """At a terminal, solution asks; typing yes shows it, anything else does not."""
    import pty  # POSIX only

    for answer, shown in (("yes\n", True), ("no\n", False)):
        controller, terminal = pty.openpty()
        try:
            os.write(controller, answer.encode())
            result = run_mpbook("solution", "ex01", folder=tmp_path, stdin=terminal)
        finally:
            os.close(controller)
            os.close(terminal)
        assert ("def start_and_join" in result.stdout) is shown, result.stdout
        assert result.returncode == (0 if shown else 1)


def test_solution_without_the_repository_says_so(tmp_path, monkeypatch, capsys):
    """Installed without the book's repository, solution says where the solutions are, and exits 2."""
    from mpbook.grading import commands

    monkeypatch.setattr(workspace, "solutions_dir", lambda: None)
    monkeypatch.setenv(workspace.ENV_DIR, str(tmp_path))
    assert commands.solution("ex01", show_anyway=True) == 2
    out = capsys.readouterr().out
    assert "not installed with the mpbook package" in out
    assert "solutions/ex01_start_and_join.py" in out


# --- check() in a notebook ------------------------------------------------------------------


def test_notebook_check_of_an_exercise_not_started_is_one_line(tmp_path, monkeypatch):
    """check("ex09") on the untouched stub prints one line saying which file to open; nothing is graded."""
    monkeypatch.setenv(workspace.ENV_DIR, str(tmp_path))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert notebook.check("ex09") is False
    lines = printed.getvalue().splitlines()
    exercise = find("ex09")
    assert lines[-1] == f"ex09 not started: open {tmp_path / exercise.filename}, then run this cell again"
    assert len([line for line in lines if "not started" in line]) == 1
    assert not any("PASS" in line or "FAIL" in line for line in lines)


def test_notebook_check_once_begun_is_the_full_report(tmp_path, monkeypatch):
    """Once the file differs from the stub, check() prints the grader's full report, test by test."""
    monkeypatch.setenv(workspace.ENV_DIR, str(tmp_path))
    write_learner_file(tmp_path, "def start_and_join(durations):\n    return [0] * len(durations)\n")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert notebook.check("ex01") is False
    report = printed.getvalue()
    assert "not started" not in report
    assert "FAIL" in report
    assert "PASS" in report
    assert "score " in report
    progress = json.loads((tmp_path / workspace.PROGRESS_FILE).read_text())
    assert progress["exercises"][EX01.name]["passed"] is False
