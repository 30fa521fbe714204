"""Download every package the book needs, for every platform and Python it supports, into one folder.

    python tools/wheelhouse.py                        # all targets, into wheelhouse/ (make wheelhouse)
    python tools/wheelhouse.py --here                 # only this machine's platform and Python
                                                      # (also: --platforms here)
    python tools/wheelhouse.py --platforms linux-x86_64,windows-amd64 --pythons 3.12,3.13
    python tools/wheelhouse.py --dest /media/usb/wheelhouse

An instructor hands the folder out (a USB stick, a shared drive); a learner installs the book from it
with no network at all, from the book's folder:

    python -m pip install --no-index --find-links wheelhouse -r requirements.txt

(INSTRUCTORS.md has the whole setup). The folder holds requirements.txt's packages and all they
depend on, as wheels only (`--only-binary=:all:`: nothing to compile on a learner's laptop), plus pip
and the book's build backend (setuptools), so that the `-e .[book,test]` line of requirements.txt,
the book's own package installed from the learner's copy, builds offline too. The book's own wheel
(`pip wheel --no-deps .`) is there as well: its metadata is how pip learns, for each platform, what
`-e .[book,test]` needs (pyproject.toml lists it); the learner's install does not use it.

One `pip download` per platform and Python version. A file already in the folder is not fetched
again, so the pure-Python wheels shared by every target come down once. After downloading, every
target is resolved again from the folder alone (`pip install --dry-run --no-index`), which proves
the folder is complete for it without installing anything.

pip evaluates environment markers (`pywinpty; os_name == "nt"`, `exceptiongroup; python_version <
"3.11"`) for the Python running pip, even with --platform and --python-version, so a Linux machine
would leave out what Windows or Python 3.10 needs. Each pip run here therefore gets the target's
marker values (a small patch of pip's vendored packaging.markers.default_environment, checked to
exist before use).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


@dataclass(frozen=True)
class Platform:
    """A platform a learner's laptop may run: pip's platform tag and the marker values there."""

    key: str
    tags: tuple[str, ...]  # pip's --platform values, the preferred first
    sys_platform: str
    platform_system: str
    os_name: str
    machine: str


def manylinux(arch: str, glibc_minor: int = 28) -> tuple[str, ...]:
    """Return the manylinux tags a glibc 2.`glibc_minor` machine installs, newest first.

    pip does not widen `manylinux_2_28` to the older manylinux_2_17 on its own (it does widen a macOS
    version to the older ones, and manylinux2014 to manylinux2010 and manylinux1), so all are listed.
    """
    return (*(f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 16, -1)), f"manylinux2014_{arch}")


PLATFORMS = {
    p.key: p
    for p in (
        # glibc 2.28 or newer: Debian 10, Ubuntu 18.10, RHEL 8, and everything since
        Platform("linux-x86_64", manylinux("x86_64"), "linux", "Linux", "posix", "x86_64"),
        Platform("linux-aarch64", manylinux("aarch64"), "linux", "Linux", "posix", "aarch64"),
        # macOS 11 (Big Sur) or newer; pip also takes the macOS 10.x and universal2 wheels
        Platform("macos-x86_64", ("macosx_11_0_x86_64",), "darwin", "Darwin", "posix", "x86_64"),
        Platform("macos-arm64", ("macosx_11_0_arm64",), "darwin", "Darwin", "posix", "arm64"),
        Platform("windows-amd64", ("win_amd64",), "win32", "Windows", "nt", "AMD64"),
    )
}

# Run as `python -c RUN_PIP MARKERS_JSON pip-arguments...`: pip with the target's environment markers.
RUN_PIP = """
import json, sys
from pip._vendor.packaging import markers
if not callable(getattr(markers, "default_environment", None)):
    sys.exit("this pip has no packaging.markers.default_environment: cannot set the target's markers")
_target = {**markers.default_environment(), **json.loads(sys.argv[1])}
markers.default_environment = lambda: dict(_target)
from pip._internal.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def this_platform() -> Platform:
    """Return the target this machine is, or exit saying why none fits."""
    machine = platform.machine().lower()
    system = sys.platform
    key = {
        ("linux", "x86_64"): "linux-x86_64",
        ("linux", "amd64"): "linux-x86_64",
        ("linux", "aarch64"): "linux-aarch64",
        ("linux", "arm64"): "linux-aarch64",
        ("darwin", "x86_64"): "macos-x86_64",
        ("darwin", "arm64"): "macos-arm64",
        ("win32", "amd64"): "windows-amd64",
        ("win32", "x86_64"): "windows-amd64",
    }.get((system, machine))
    if key is None:
        sys.exit(
            f"this machine ({system}, {machine}) is none of the book's platforms: {', '.join(PLATFORMS)}"
        )
    if system == "linux":
        libc, version = platform.libc_ver()
        if libc != "glibc" or tuple(map(int, version.split(".")[:2])) < (2, 28):
            sys.exit(
                f"the wheelhouse's Linux wheels need glibc 2.28 or newer; this machine has {libc} {version}"
            )
    return PLATFORMS[key]


def markers(target: Platform, python: str) -> dict[str, str]:
    """Return the environment-marker values of a CPython `python` (e.g. "3.12") on `target`."""
    return {
        "os_name": target.os_name,
        "sys_platform": target.sys_platform,
        "platform_system": target.platform_system,
        "platform_machine": target.machine,
        "platform_release": "",
        "platform_version": "",
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "platform_python_implementation": "CPython",
    }


def build_book(dest: Path) -> Path:
    """Build the book's own wheel into dest (`pip wheel --no-deps .`); return its path.

    Its metadata lists what the book needs ([project] dependencies and extras in pyproject.toml),
    so pip can resolve `-e .[book,test]` of requirements.txt for another platform from it.
    """
    for old in dest.glob("mpbook-*.whl"):
        old.unlink()
    with tempfile.TemporaryDirectory() as scratch:
        # built from a copy: setuptools writes build/ and *.egg-info beside the sources
        source = Path(scratch) / "book"
        source.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO / name, source / name)
        shutil.copytree(
            REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--wheel-dir",
                str(dest),
                str(source),
            ],
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
    wheels = list(dest.glob("mpbook-*.whl"))
    if result.returncode or len(wheels) != 1:
        sys.exit(f"could not build the book's wheel:\n{result.stdout}")
    return wheels[0]


def requirements(book_wheel: Path) -> list[str]:
    """Return what to download: requirements.txt with the book's wheel for `-e .`, pip, the build backend."""
    wanted = []
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        local = re.fullmatch(r"(?:-e|--editable)?\s*\.(\[[\w,\s-]+\])?", line)
        if local:  # the book itself, installed from the learner's copy: its wheel brings its dependencies
            wanted.append(f"{book_wheel}{(local.group(1) or '').replace(' ', '')}")
        else:
            wanted.append(line)
    pyproject = (REPO / "pyproject.toml").read_text()
    build = re.search(r"^requires\s*=\s*\[(.*?)\]", pyproject, re.MULTILINE | re.DOTALL)
    backend = re.findall(r'"([^"]+)"', build.group(1)) if build else ["setuptools>=64"]
    return [*wanted, "pip", *backend]


def pip(python: str, target: Platform, arguments: list[str], env: dict | None = None, quiet=True):
    """Run pip (the one of the Python running this script) with target's markers; return the result."""
    command = [sys.executable, "-c", RUN_PIP, json.dumps(markers(target, python)), *arguments]
    return subprocess.run(
        command,
        env=env,
        text=True,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        check=False,
    )


def target_options(target: Platform, python: str) -> list[str]:
    return [
        "--only-binary=:all:",
        *(option for tag in target.tags for option in ("--platform", tag)),
        "--python-version",
        python,
        "--implementation",
        "cp",
    ]


def download(dest: Path, wanted_file: Path, target: Platform, python: str) -> None:
    result = pip(
        python,
        target,
        ["download", "--quiet", "--dest", str(dest), *target_options(target, python), "-r", str(wanted_file)],
    )
    if result.returncode:
        sys.exit(f"pip download failed for {target.key} Python {python}:\n{result.stdout}")


def verify(dest: Path, wanted_file: Path, target: Platform, python: str) -> None:
    """Resolve the target from the folder alone, no index and no config, as a learner offline would."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    with tempfile.TemporaryDirectory() as target_dir:
        result = pip(
            python,
            target,
            [
                "install",
                "--dry-run",
                "--ignore-installed",
                "--no-index",
                "--find-links",
                str(dest),
                "--target",
                target_dir,
                *target_options(target, python),
                "-r",
                str(wanted_file),
            ],
            env=env,
        )
    if result.returncode:
        sys.exit(f"the wheelhouse is incomplete for {target.key} Python {python}:\n{result.stdout}")


def shown(path: Path) -> str:
    """Return path relative to the book's folder when inside it, else absolute."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dest", type=Path, default=REPO / "wheelhouse", help="default: wheelhouse/")
    parser.add_argument("--here", action="store_true", help="only this machine's platform and Python")
    parser.add_argument(
        "--platforms", default="", help=f"comma-separated, from: {', '.join(PLATFORMS)}; or `here`"
    )
    parser.add_argument("--pythons", default="", help=f"comma-separated, from: {', '.join(PYTHONS)}")
    parser.add_argument("--no-verify", action="store_true", help="skip resolving each target offline")
    args = parser.parse_args()

    names = [p for p in args.platforms.replace(" ", ",").split(",") if p]
    pythons = [p for p in args.pythons.replace(" ", ",").split(",") if p]
    if args.here or names == ["here"]:
        platforms = [this_platform()]
        pythons = pythons or [f"{sys.version_info[0]}.{sys.version_info[1]}"]
    else:
        unknown = [p for p in names if p not in PLATFORMS]
        if unknown:
            sys.exit(f"unknown platform(s) {unknown}; choose from here, {', '.join(PLATFORMS)}")
        platforms = [PLATFORMS[p] for p in names or PLATFORMS]
        pythons = pythons or list(PYTHONS)

    dest = args.dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    wanted = requirements(build_book(dest))
    wanted_file = dest / "requirements-download.txt"
    wanted_file.write_text(
        "# what tools/wheelhouse.py downloaded: requirements.txt (the book's wheel for -e .), pip, the build backend\n"
        + "\n".join(wanted)
        + "\n"
    )
    print(f"wheelhouse: {dest}")
    print(f"targets: {', '.join(p.key for p in platforms)} x Python {', '.join(pythons)}", flush=True)
    for target in platforms:
        for python in pythons:
            before = len(list(dest.glob("*.whl")))
            round_started = time.perf_counter()
            download(dest, wanted_file, target, python)
            added = len(list(dest.glob("*.whl"))) - before
            print(
                f"  {target.key:<14} Python {python:<5} {added:>3} new wheels "
                f"({time.perf_counter() - round_started:.0f} s)",
                flush=True,
            )
    downloaded = time.perf_counter() - started
    if not args.no_verify:
        for target in platforms:
            for python in pythons:
                verify(dest, wanted_file, target, python)
        print(
            f"verified: every target installs from the folder alone ({time.perf_counter() - started - downloaded:.0f} s)"
        )
    size = folder_size(dest)
    wheels = len(list(dest.glob("*.whl")))
    print(f"done in {time.perf_counter() - started:.0f} s: {wheels} wheels, {size / 2**20:.0f} MB in {dest}")
    print(
        "a learner installs from it, in the book's folder:\n"
        f"  python -m pip install --no-index --find-links {shown(dest)} -r requirements.txt"
    )


if __name__ == "__main__":
    main()
