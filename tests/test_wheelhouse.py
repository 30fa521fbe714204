"""A workshop with no network: the book installs from an instructor's wheelhouse alone, and doctor passes.

The last test is slow (it downloads ~110 MB; about 40 s here), so only `make test-wheelhouse` runs it
(MPBOOK_WHEELHOUSE_TEST=1); .ci/run does. It builds a wheelhouse for this machine's platform and
Python with `make wheelhouse`, copies the book as a learner gets it, creates an empty venv there and
installs the book with the command INSTRUCTORS.md gives, with every road to the network closed: no
index, no pip configuration or cache, and an unreachable proxy. Then `mpbook doctor` from that venv
must pass; without dask it must fail with the fix, and that fix, followed from the wheelhouse, must
make it pass again. The quick tests before it check tools/wheelhouse.py without the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
UNREACHABLE_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, every connection fails
STEP_TIMEOUT_S = 600

sys.path.insert(0, str(REPO / "tools"))
import wheelhouse as tool  # noqa: E402 - tools/ is not a package


def test_requirements_become_the_books_wheel_with_its_extras_plus_pip_and_setuptools(tmp_path):
    """`-e .[extras]` of requirements.txt is downloaded as the book's wheel with those extras; pip and the build backend too."""
    wheel = tmp_path / "mpbook-0.1.0-py3-none-any.whl"
    wanted = tool.requirements(wheel)
    editable = [
        line for line in (REPO / "requirements.txt").read_text().splitlines() if line.startswith("-e .")
    ]
    assert len(editable) == 1
    extras = editable[0].removeprefix("-e .")
    assert f"{wheel}{extras}" in wanted
    assert not any(line.startswith("-e") for line in wanted)
    assert "pip" in wanted
    assert any(line.startswith("setuptools") for line in wanted)


def test_every_target_has_its_own_markers():
    """Each platform gets its own marker values: pip would otherwise use this machine's for every target."""
    assert set(tool.PLATFORMS) == {
        "linux-x86_64",
        "linux-aarch64",
        "macos-x86_64",
        "macos-arm64",
        "windows-amd64",
    }
    assert tool.PYTHONS == ("3.10", "3.11", "3.12", "3.13", "3.14")
    windows = tool.markers(tool.PLATFORMS["windows-amd64"], "3.10")
    assert (windows["os_name"], windows["sys_platform"], windows["python_version"]) == ("nt", "win32", "3.10")
    mac = tool.markers(tool.PLATFORMS["macos-arm64"], "3.14")
    assert (mac["platform_system"], mac["platform_machine"]) == ("Darwin", "arm64")
    # pip does not widen manylinux_2_28 to the older manylinux_2_17 wheels by itself
    assert tool.PLATFORMS["linux-x86_64"].tags[-2:] == ("manylinux_2_17_x86_64", "manylinux2014_x86_64")


def test_pip_sees_the_targets_markers(tmp_path):
    """With Windows' markers, pip wants a Windows-only requirement; with Linux's it skips it (no network used)."""
    requirement = "colorama; sys_platform == 'win32'"
    arguments = ["install", "--dry-run", "--ignore-installed", "--no-index", "--find-links", str(tmp_path)]
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    on_linux = tool.pip("3.12", tool.PLATFORMS["linux-x86_64"], [*arguments, requirement], env=env)
    assert on_linux.returncode == 0, on_linux.stdout
    assert "Ignoring colorama" in on_linux.stdout
    on_windows = tool.pip("3.12", tool.PLATFORMS["windows-amd64"], [*arguments, requirement], env=env)
    assert on_windows.returncode != 0
    assert "No matching distribution found for colorama" in on_windows.stdout


def offline_env() -> dict[str, str]:
    """Return this environment with pip cut off from everything but --find-links."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PIP_")
        and key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
        and key not in ("VIRTUAL_ENV", "PYTHONPATH", "MPBOOK_START_METHOD", "MPBOOK_SMALL")
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,  # no pip.conf: no extra index or find-links of this machine
        PIP_NO_INDEX="1",
        PIP_NO_CACHE_DIR="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        HTTP_PROXY=UNREACHABLE_PROXY,
        HTTPS_PROXY=UNREACHABLE_PROXY,
        ALL_PROXY=UNREACHABLE_PROXY,
        http_proxy=UNREACHABLE_PROXY,
        https_proxy=UNREACHABLE_PROXY,
        all_proxy=UNREACHABLE_PROXY,
    )
    return env


def run(command: list[str], timings: dict, step: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a step, time it, and fail with its output when it fails."""
    started = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False, **kwargs
    )
    timings[step] = time.perf_counter() - started
    return result


def copy_book(destination: Path) -> None:
    """Copy what a learner's clone needs to install the book: its metadata, requirements and package."""
    destination.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy2(REPO / name, destination / name)
    shutil.copytree(
        REPO / "src", destination / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    (destination / "notebooks").mkdir()  # how mpbook recognises the book's folder


@pytest.mark.timeout(1500)
@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("MPBOOK_WHEELHOUSE_TEST") != "1",
    reason="the offline-install test is `make test-wheelhouse` (needs the network, about a minute)",
)
@pytest.mark.skipif(
    os.name != "posix" or shutil.which("make") is None, reason="builds the wheelhouse with make"
)
def test_the_book_installs_from_a_wheelhouse_with_no_network(tmp_path):
    """make wheelhouse (this machine) -> empty venv -> pip install --no-index from it, offline -> doctor passes."""
    timings: dict[str, float] = {}
    wheelhouse = tmp_path / "wheelhouse"
    built = run(
        [
            "make",
            "--no-print-directory",
            "-o",
            str(Path(sys.prefix) / ".mpbook-installed"),
            "wheelhouse",
            f"VENV={sys.prefix}",
            f"WHEELHOUSE={wheelhouse}",
            "WHEELHOUSE_PLATFORMS=here",
        ],
        timings,
        "make wheelhouse (this platform)",
        cwd=REPO,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "every target installs from the folder alone" in built.stdout
    wheels = sorted(p.name for p in wheelhouse.glob("*.whl"))
    size_mb = sum(p.stat().st_size for p in wheelhouse.iterdir()) / 2**20
    for needed in ("jupyterlab-", "numpy-", "dask-", "distributed-", "setuptools-", "pip-"):
        assert any(name.startswith(needed) for name in wheels), f"no {needed}* wheel in the wheelhouse"

    book = tmp_path / "book"
    copy_book(book)
    env = offline_env()
    venv = book / ".venv"
    made = run([sys.executable, "-m", "venv", str(venv)], timings, "python -m venv", env=env)
    assert made.returncode == 0, made.stdout + made.stderr
    python = str(venv / "bin" / "python")

    # The proxy really cuts pip off: asked to use the index anyway, it cannot reach it.
    online_env = {key: value for key, value in env.items() if key != "PIP_NO_INDEX"}
    reach = run(
        [
            *(python, "-m", "pip", "download", "-vv", "--no-deps", "--retries", "0", "--timeout", "5"),
            *("--index-url", "https://pypi.org/simple", "--dest", str(tmp_path / "nothing"), "tqdm"),
        ],
        timings,
        "pip download through the proxy (must fail)",
        env=online_env,
    )
    assert reach.returncode != 0, "pip reached the index: the test would not prove an offline install"
    assert "Cannot connect to proxy" in reach.stdout + reach.stderr, reach.stdout + reach.stderr

    # INSTRUCTORS.md's command, word for word, from the book's folder
    installed = run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--no-index",
            "--find-links",
            str(wheelhouse),
            "-r",
            "requirements.txt",
        ],
        timings,
        "pip install --no-index (offline)",
        cwd=book,
        env=env,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr

    doctor = run([str(venv / "bin" / "mpbook"), "doctor"], timings, "mpbook doctor", cwd=book, env=env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "All good" in doctor.stdout
    assert f"from {Path('src') / 'mpbook'}" in doctor.stdout, "mpbook should come from the learner's copy"

    # A broken install, for real: dask removed. doctor fails and says what to run ...
    removed = run([python, "-m", "pip", "uninstall", "--yes", "dask"], timings, "pip uninstall dask", env=env)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    broken = run(
        [str(venv / "bin" / "mpbook"), "doctor"], timings, "mpbook doctor without dask", cwd=book, env=env
    )
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "FAIL  dask" in broken.stdout
    fix = f"`{Path('.venv') / 'bin' / 'python'} -m pip install -r requirements.txt` in the book's folder"
    assert fix in broken.stdout
    assert "--no-index --find-links wheelhouse" in broken.stdout
    # ... and the fix, with the wheelhouse as it says, makes it pass again
    fixed = run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-r",
            "requirements.txt",
            "--no-index",
            "--find-links",
            str(wheelhouse),
        ],
        timings,
        "the fix doctor printed",
        cwd=book,
        env=env,
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    again = run(
        [str(venv / "bin" / "mpbook"), "doctor"], timings, "mpbook doctor after the fix", cwd=book, env=env
    )
    assert again.returncode == 0, again.stdout + again.stderr

    print(f"\nwheelhouse for this machine: {len(wheels)} wheels, {size_mb:.0f} MB")
    for step, seconds in timings.items():
        print(f"  {step:<45} {seconds:6.1f} s")
