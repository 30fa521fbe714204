"""Print the path of every CPython 3.10-3.14 on this machine, one per line (for `make test-versions`).

With arguments (`find_pythons.py 3.12 3.13`), only those versions.

Looks on PATH first (python3.12 ...), then in pyenv's versions folder, whose shims only answer
for the versions pyenv has activated.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


def works(path: str, version: str) -> bool:
    try:
        out = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version


def find(version: str) -> str | None:
    on_path = shutil.which(f"python{version}")
    if on_path and works(on_path, version):
        return on_path
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True):
        if works(str(candidate), version):
            return str(candidate)
    return None


if __name__ == "__main__":
    import sys

    for version in sys.argv[1:] or VERSIONS:
        if path := find(version):
            print(path)
