"""The core path runs on its own: each chapter's core sections, without its deep dives, give no error.

Slow (every chapter's core sections in a fresh kernel, about as long as the chapters themselves), so it
runs in `make test-core` (and .ci/run), not in every `make test`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
import core_only  # noqa: E402  (a script in tools/, not a package)

CHAPTERS = sorted((REPO / "notebooks").glob("[0-9][0-9]-*.ipynb"))

pytestmark = pytest.mark.skipif(
    os.environ.get("MPBOOK_CORE_PATH") != "1", reason="the core-path run is `make test-core`"
)


@pytest.mark.parametrize("path", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_core_sections_run_alone_under_spawn(path):
    """The chapter's preamble and core sections, top to bottom in a fresh kernel, raise nothing unexpected."""
    _seconds, cells = core_only.run_core(path)
    assert cells > 0, f"{path.name}: no code cell in its core sections"
