"""The hosted options (Codespaces' devcontainer, Binder) install and start the book the way `make lab` does.

Neither service can run here, so these tests check what this machine can: the files parse, the
Python they ask for is one the book supports, and the commands they run are the Makefile's own
(`make venv`, `make lab`) or the same pip install of requirements.txt.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mpbook import cli

REPO = Path(__file__).resolve().parent.parent
DEVCONTAINER = REPO / ".devcontainer" / "devcontainer.json"
BINDER = REPO / "binder"


def supported(version: str) -> bool:
    low, high = cli.SUPPORTED_PYTHONS
    return low <= tuple(int(part) for part in version.split(".")[:2]) <= high


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.MULTILINE))


def devcontainer() -> dict:
    return json.loads(DEVCONTAINER.read_text())  # plain JSON, no comments: any tool can read it


def test_devcontainer_is_python_3_12_with_room_for_the_largest_chapter():
    """The devcontainer parses, uses a Python 3.12 image, and asks for the CPUs and memory INSTRUCTORS.md states."""
    config = devcontainer()
    image = re.search(r"python:(?:\d+-)?(\d+\.\d+)", config["image"])
    assert image, config["image"]
    assert image.group(1) == "3.12"
    assert supported(image.group(1))
    assert config["hostRequirements"]["cpus"] >= 2
    memory_gb = int(config["hostRequirements"]["memory"].removesuffix("gb"))
    needed_mb = cli.MEMORY_PEAK_MB + cli.MEMORY_JUPYTERLAB_MB
    assert memory_gb * 1024 >= 2 * needed_mb, "room for the largest chapter and the editor beside it"
    # Docker gives a container 64 MB of /dev/shm; chapter 03 puts a 128 MB block there
    shm = next(arg for arg in config["runArgs"] if arg.startswith("--shm-size="))
    assert shm == "--shm-size=1g"
    assert cli.SHM_NEEDED_MB <= 1024


def test_devcontainer_runs_the_makefiles_commands():
    """postCreateCommand is `make venv`; JupyterLab starts with `make lab`, on all interfaces, on the forwarded port."""
    config = devcontainer()
    assert config["postCreateCommand"] == "make venv"
    lab = shlex.split(config["postAttachCommand"])
    assert lab[:2] == ["make", "lab"]
    assert {"venv", "lab"} <= make_targets()
    args = dict(arg.split("=", 1) for arg in lab[2:])
    lab_args = shlex.split(args["LAB_ARGS"])
    assert "--no-browser" in lab_args
    assert "--ip=0.0.0.0" in lab_args
    port = int(next(a for a in lab_args if a.startswith("--port=")).split("=")[1])
    assert config["forwardPorts"] == [port]
    assert str(port) in config["portsAttributes"]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_devcontainer_lab_command_reaches_jupyter():
    """`make -n` of the devcontainer's command shows jupyter lab getting its arguments and opening chapter 00."""
    lab = shlex.split(devcontainer()["postAttachCommand"])
    stamp = Path(sys.prefix) / ".mpbook-installed"
    dry = subprocess.run(
        [*lab[:2], "-n", "-o", str(stamp), f"VENV={sys.prefix}", *lab[2:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    jupyter = next(line for line in dry.stdout.splitlines() if "jupyter lab" in line)
    assert "--no-browser --ip=0.0.0.0 --port=8888" in jupyter
    assert jupyter.rstrip().endswith("notebooks/00-start-here.ipynb")


def shell_commands(path: Path) -> list[str]:
    """Return a shell script's commands: its lines without comments, blanks and `set` options."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("#") and not line.startswith("set ")]


def test_binder_installs_requirements_txt_like_make_venv():
    """binder/postBuild runs the Makefile's pip install of requirements.txt, then makes the exercise folder as make lab does."""
    commands = shell_commands(BINDER / "postBuild")
    install = shlex.split(commands[0])
    assert install[:4] == ["python", "-m", "pip", "install"]
    assert install[-2:] == ["-r", "requirements.txt"]
    makefile = (REPO / "Makefile").read_text()
    venv_recipe = makefile[makefile.index("$(STAMP): requirements.txt") :].split("\n\n")[0]
    assert re.search(r"-m pip install .*-r requirements\.txt", venv_recipe)
    lab_recipe = makefile[makefile.index("\nlab: ") :].split("\n\n")[0]
    assert "mpbook list" in lab_recipe
    assert commands[1] == "mpbook list"
    # requirements.txt installs the book itself from the repository, as Binder needs
    lines = (REPO / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("-e .") for line in lines)


def test_binder_python_and_start():
    """Binder's Python is a supported one; its start script sets MPBOOK_SMALL=1 and hands over to JupyterLab."""
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-")
    assert supported(runtime.removeprefix("python-"))
    assert shell_commands(BINDER / "start") == ["export MPBOOK_SMALL=1", 'exec "$@"']


@pytest.mark.skipif(os.name != "posix" or shutil.which("bash") is None, reason="needs bash")
def test_binder_scripts_are_executable_bash():
    """postBuild and start are executable and valid bash (repo2docker runs them as programs)."""
    for name in ("postBuild", "start"):
        path = BINDER / name
        assert os.access(path, os.X_OK), f"chmod +x binder/{name}"
        assert path.read_text().startswith("#!/bin/bash\n")
        subprocess.run(["bash", "-n", str(path)], check=True, timeout=30)
    result = subprocess.run(
        [str(BINDER / "start"), sys.executable, "-c", "import os; print(os.environ['MPBOOK_SMALL'])"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "1"
