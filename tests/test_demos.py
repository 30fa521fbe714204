"""The demo runner and scripts that chapters use to show failures safely in a fresh Python."""

from __future__ import annotations

import multiprocessing
import os
import textwrap
import time

import psutil
import pytest

from mpbook import demos

TIMEOUT_S = 60  # each demo starts at most one spawn child (~0.1-0.3 s); margin for a loaded machine
METHODS = multiprocessing.get_all_start_methods()
CHILD_IMPORTS_MAIN = [m for m in METHODS if m != "fork"]


@pytest.mark.parametrize("method", CHILD_IMPORTS_MAIN)
def test_missing_guard_fails_in_the_child_under_spawn_and_forkserver(method):
    """Without the guard, the child raises the bootstrapping RuntimeError and exits 1; the parent carries on."""
    run = demos.run_script("no_main_guard", method, timeout=TIMEOUT_S)
    assert not run.timed_out
    assert f"parent ({method}): child exit code 1" in run.stdout
    message = run.stderr_from("RuntimeError:", lines=3)
    assert "An attempt has been made to start a new process before the" in message
    assert "frozen mode" not in run.stderr, "the message some tutorials quote does not exist"


@pytest.mark.skipif("fork" not in METHODS, reason="fork is not available on this platform")
def test_missing_guard_goes_unnoticed_under_fork():
    """Under fork the child imports nothing, so the unguarded script runs cleanly: the bug hides on Linux."""
    run = demos.run_script("no_main_guard", "fork", timeout=TIMEOUT_S)
    assert "parent (fork): child exit code 0" in run.stdout
    assert "RuntimeError" not in run.stderr


@pytest.mark.parametrize("method", METHODS)
def test_guarded_script_works_under_every_method(method):
    """With the guard, the child runs its task and exits 0 under every start method."""
    run = demos.run_script("with_main_guard", method, timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert f"parent ({method}): child exit code 0" in run.stdout


@pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX; Windows uses taskkill")
def test_a_hanging_script_is_killed_with_its_children(tmp_path):
    """Past the deadline the script and the process it started are killed, and the run says it timed out."""
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "hang.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import subprocess, sys, time
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            open({str(pid_file)!r}, "w").write(str(child.pid))
            print("started", flush=True)
            time.sleep(60)
            """
        )
    )
    run = demos.run_script(script, timeout=3)
    assert run.timed_out
    assert run.returncode is None
    assert "started" in run.stdout, "output printed before the kill is kept"
    child_pid = int(pid_file.read_text())
    assert process_ends(child_pid, within_s=10), "the script's own child survived the kill"


def process_ends(pid: int, within_s: float) -> bool:
    """Return True once pid has exited (gone, or a zombie awaiting its reaper) within the time given."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)  # SIGKILL is delivered asynchronously
    return False


def test_unknown_script_name_lists_the_known_ones():
    """Asking for a demo that does not exist raises ValueError naming the scripts that do."""
    with pytest.raises(ValueError, match=r"no demo script 'nope'.*no_main_guard"):
        demos.run_script("nope")


def test_bad_timeout_is_rejected():
    """A timeout of zero or less is refused before anything runs."""
    with pytest.raises(ValueError, match="timeout must be > 0"):
        demos.run_script("with_main_guard", timeout=0)


def test_stderr_from_returns_empty_when_absent():
    """stderr_from returns '' when the marker is not in stderr."""
    run = demos.ScriptRun(returncode=0, stdout="", stderr="one\ntwo", timed_out=False, seconds=0.0)
    assert run.stderr_from("three") == ""
    assert run.stderr_from("one", lines=2) == "one\ntwo"
