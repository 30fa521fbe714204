"""The version of mpbook: from its package metadata, or from pyproject.toml in a source checkout.

pyproject.toml is the one place the version is written. `pip install` (editable or not) copies it
into the package metadata, which `importlib.metadata.version` reads. A source checkout used without
installing (``PYTHONPATH=src``) has no metadata: then the version is read from the checkout's
pyproject.toml, and "unknown" where there is none either.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"  # src/mpbook/_version.py -> checkout


@functools.cache
def version() -> str:
    """Return mpbook's version: the installed metadata's, else the checkout's pyproject.toml's, else "unknown"."""
    from importlib import metadata

    try:
        return metadata.version("mpbook")
    except metadata.PackageNotFoundError:
        return _version_in_pyproject(PYPROJECT) or "unknown"


def _version_in_pyproject(path: Path) -> str | None:
    """Return the ``version = "..."`` of the [project] table of a pyproject.toml, or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    project = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, flags=re.MULTILINE | re.DOTALL)
    found = project and re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), flags=re.MULTILINE)
    return found.group(1) if found else None
