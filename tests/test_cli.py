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
    for expected in (
        "python",
        "start method",
        "platform default",
        "usable CPUs",
        "jupyterlab",
        "numpy",
        "dask",
        "free memory",
    ):
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
    monkeypatch.setattr(cli, "KEY_PACKAGES", {**cli.KEY_PACKAGES, "no-such-package-mpbook": "a test"})
    assert cli.doctor() == 1
    out = capsys.readouterr().out
    assert "no-such-package-mpbook" in out
    assert "pip install -r requirements.txt" in out


# Loaded at start-up by every Python started with this folder on PYTHONPATH: dask disappears, both
# from pip's records (importlib.metadata) and from import, as in a venv where it was never installed.
HIDE_DASK = """
import importlib.machinery

HIDDEN = {"dask"}


class HideDask:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


_find_distributions = importlib.machinery.PathFinder.find_distributions


def find_distributions(*args, **kwargs):
    for dist in _find_distributions(*args, **kwargs):
        if (dist.metadata["Name"] or "").lower() not in HIDDEN:
            yield dist


importlib.machinery.PathFinder.find_distributions = staticmethod(find_distributions)
import sys

sys.meta_path.insert(0, HideDask)
"""


def test_doctor_fails_with_a_fix_when_dask_is_missing(tmp_path):
    """Without dask, doctor exits 1: dask not installed (what needs it, the install command), distributed broken."""
    (tmp_path / "sitecustomize.py").write_text(HIDE_DASK)
    pythonpath = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    probe = subprocess.run(
        [sys.executable, "-c", "import importlib.util as u; print(u.find_spec('dask'))"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, "PYTHONPATH": pythonpath},
        check=False,
    )
    assert "No module named 'dask'" in probe.stderr, "the test's hiding of dask did not work"
    result = run_mpbook("doctor", env={"PYTHONPATH": pythonpath, "MPBOOK_START_METHOD": ""})
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "Traceback" not in out + result.stderr
    lines = out.splitlines()
    dask = next(i for i, line in enumerate(lines) if line.split()[:2] == ["FAIL", "dask"])
    assert "not installed; needed for chapter 08" in lines[dask]
    assert "fix: `" in lines[dask + 1]
    assert "-m pip install -r requirements.txt` in the book's folder" in lines[dask + 1]
    # distributed is still recorded by pip, but cannot import without dask: a FAIL that says why
    assert "FAIL  distributed" in out
    assert "`import distributed` fails (ModuleNotFoundError: No module named 'dask')" in out
    # the other packages and the worker are still checked, and the summary lists what to fix
    assert "ok    numpy" in out
    assert "ran a task in pid" in out
    assert "2 problem(s) to fix:" in out
    assert "  - dask: " in out


def test_doctor_checks_free_memory_against_the_largest_chapter(monkeypatch, capsys):
    """Too little free memory FAILs with the fixes (close programs, MPBOOK_SMALL=1); enough passes."""
    monkeypatch.delenv("MPBOOK_SMALL", raising=False)
    needed = cli.MEMORY_PEAK_MB + cli.MEMORY_JUPYTERLAB_MB
    monkeypatch.setattr(cli, "_available_memory_mb", lambda: needed - 1)
    report = cli._Report()
    cli._check_memory(report)
    out = capsys.readouterr().out
    assert len(report.problems) == 1
    assert f"FAIL  free memory            {needed - 1} MB available" in out
    assert f"needs about {needed} MB" in out
    assert "close other programs" in out
    assert "MPBOOK_SMALL=1 make lab" in out

    # with MPBOOK_SMALL=1 the same machine has enough
    monkeypatch.setenv("MPBOOK_SMALL", "1")
    report = cli._Report()
    cli._check_memory(report)
    out = capsys.readouterr().out
    assert report.problems == []
    assert "ok    free memory" in out
    assert "(MPBOOK_SMALL=1)" in out

    # and below even that, the fix is a hosted option
    monkeypatch.setattr(cli, "_available_memory_mb", lambda: 100)
    report = cli._Report()
    cli._check_memory(report)
    out = capsys.readouterr().out
    assert len(report.problems) == 1
    assert "hosted option" in out

    monkeypatch.setattr(cli, "_available_memory_mb", lambda: 64 * 1024)
    report = cli._Report()
    cli._check_memory(report)
    assert report.problems == []
    assert "64.0 GB available" in capsys.readouterr().out


def test_doctor_checks_dev_shm_in_a_container(monkeypatch, capsys):
    """Docker's default 64 MB /dev/shm FAILs with the fixes (--shm-size, MPBOOK_SMALL=1); with MPBOOK_SMALL=1 it is enough."""
    monkeypatch.delenv("MPBOOK_SMALL", raising=False)
    monkeypatch.setattr(cli, "_shm_available_mb", lambda: 64)
    report = cli._Report()
    cli._check_shared_memory(report)
    out = capsys.readouterr().out
    assert len(report.problems) == 1
    assert "FAIL  shared memory" in out
    assert f"64 MB free in /dev/shm; chapter 03 needs {cli.SHM_NEEDED_MB} MB" in out
    assert "--shm-size=1g" in out
    assert "MPBOOK_SMALL=1" in out

    monkeypatch.setenv("MPBOOK_SMALL", "1")
    report = cli._Report()
    cli._check_shared_memory(report)
    assert report.problems == []
    assert "ok    shared memory" in capsys.readouterr().out

    monkeypatch.setattr(cli, "_shm_available_mb", lambda: None)  # macOS, Windows: nothing to check
    report = cli._Report()
    cli._check_shared_memory(report)
    assert report.problems == []
    assert capsys.readouterr().out == ""


def test_doctor_memory_figure_covers_every_chapter():
    """MEMORY_PEAK_MB is at least every peak a chapter states in its **Memory:** paragraph."""
    import json
    import re
    from pathlib import Path

    stated = {}
    for path in sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown" and "**Memory:**" in source:
                paragraph = source[source.index("**Memory:**") :].split("\n\n")[0]
                stated[path.stem] = max(int(mb) for mb in re.findall(r"(\d+) MB", paragraph))
    assert stated, "no chapter states its memory peak any more"
    assert max(stated.values()) <= cli.MEMORY_PEAK_MB, stated


def test_doctor_reports_a_worker_that_dies(capsys):
    """A worker that dies mid-task is reported as a problem with a fix, not a hang or a traceback."""
    report = cli._Report()
    cli._check_pool(report, "spawn", task=functools.partial(os._exit, 3))
    assert len(report.problems) == 1
    assert "worker died" in capsys.readouterr().out


def test_doctor_gives_up_on_a_stuck_worker_and_kills_it(monkeypatch, capsys):
    """A worker that never answers is reported after the deadline and killed, leaving no child behind."""
    monkeypatch.setattr(cli, "POOL_CHECK_TIMEOUT_S", 1)
    # the stuck worker will not stop by itself: kill it sooner than a learner's doctor does
    monkeypatch.setattr(cli, "POOL_STOP_TIMEOUT_S", 0.5)
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
