"""The mpbook command: doctor reports the environment and fails with a fix when something is wrong."""

from __future__ import annotations

import functools
import multiprocessing
import os
import subprocess
import sys
import time

import pytest

from mpbook import cli

TIMEOUT_S = 120  # doctor starts one or two spawn workers (~0.1-0.3 s each); generous for CI


def run_mpbook(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m mpbook ARGS` in a fresh interpreter, as a learner would from a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "mpbook", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_doctor_passes_on_this_machine():
    """mpbook doctor exits 0 here and reports Python, start methods, CPUs, packages and a worker that ran."""
    result = run_mpbook("doctor", env={"MPBOOK_START_METHOD": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for expected in ("python", "start method", "platform default", "usable CPUs", "jupyterlab", "numpy"):
        assert expected in out
    assert "spawn worker" in out
    assert "ran a task in pid" in out
    assert "All good" in out


def test_doctor_checks_the_chosen_method_too():
    """With MPBOOK_START_METHOD set to another method, doctor runs a worker under spawn and under that one."""
    other = next(m for m in ("forkserver", "fork", "spawn") if m in multiprocessing.get_all_start_methods())
    result = run_mpbook("doctor", env={"MPBOOK_START_METHOD": other})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{other} worker" in result.stdout
    assert "from MPBOOK_START_METHOD" in result.stdout


def test_doctor_fails_with_a_fix_for_a_bad_start_method():
    """A bogus MPBOOK_START_METHOD makes doctor exit 1 and say how to fix it, with no traceback."""
    result = run_mpbook("doctor", env={"MPBOOK_START_METHOD": "bogus"})
    assert result.returncode == 1
    assert "FAIL" in result.stdout
    assert "unset MPBOOK_START_METHOD" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_doctor_reports_a_missing_package(monkeypatch, capsys):
    """A package missing from the environment is reported with the install command, and doctor returns 1."""
    monkeypatch.setattr(cli, "KEY_PACKAGES", (*cli.KEY_PACKAGES, "no-such-package-mpbook"))
    assert cli.doctor() == 1
    out = capsys.readouterr().out
    assert "no-such-package-mpbook" in out
    assert "pip install -r requirements.txt" in out


def test_doctor_reports_a_worker_that_dies(capsys):
    """A worker that dies mid-task is reported as a problem with a fix, not a hang or a traceback."""
    report = cli._Report()
    cli._check_pool(report, "spawn", task=functools.partial(os._exit, 3))
    assert len(report.problems) == 1
    assert "worker died" in capsys.readouterr().out


def test_doctor_gives_up_on_a_stuck_worker_and_kills_it(monkeypatch, capsys):
    """A worker that never answers is reported after the deadline and killed, leaving no child behind."""
    monkeypatch.setattr(cli, "POOL_CHECK_TIMEOUT_S", 1)
    report = cli._Report()
    cli._check_pool(report, "spawn", task=functools.partial(time.sleep, 30))
    assert len(report.problems) == 1
    assert "no answer within 1 s" in capsys.readouterr().out
    assert multiprocessing.active_children() == []


def test_unknown_command_is_an_error():
    """An unknown subcommand exits 2 with argparse's message naming the valid choices."""
    result = run_mpbook("frobnicate")
    assert result.returncode == 2
    assert "invalid choice: 'frobnicate'" in result.stderr
    assert "doctor" in result.stderr


def test_no_command_prints_help():
    """mpbook with no command prints its help and exits 2."""
    result = run_mpbook()
    assert result.returncode == 2
    assert "doctor" in result.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="console scripts are .exe on Windows")
def test_console_script_is_installed():
    """The `mpbook` console script sits beside this Python, as pip installed it from pyproject.toml."""
    script = os.path.join(os.path.dirname(sys.executable), "mpbook")
    assert os.path.exists(script)
    result = subprocess.run(
        [script, "--help"], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )
    assert result.returncode == 0
    assert "doctor" in result.stdout
