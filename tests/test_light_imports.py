"""Every module a spawned child imports stays light: no heavy package is loaded at import time.

A spawned worker starts in a fresh interpreter and imports the module of its task function
(chapters and exercises send functions from all of these to a Process or a pool). Whatever
that module imports at the top, every worker pays for before its first task: NumPy or
matplotlib alone cost a child tens to hundreds of milliseconds, which chapter 06 measures.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

TIMEOUT_S = 60  # a bare interpreter plus one light import takes well under a second; margin for a busy CI

# The modules whose functions chapters and exercises run in a child, and the checker they all import.
CHILD_MODULES = (
    "mpbook._arguments",
    "mpbook.workers",
    "mpbook.messaging",
    "mpbook.sharing",
    "mpbook.pooling",
    "mpbook.failures",
    "mpbook.tuning",
    "mpbook.faq",
    "mpbook.distributed",
    "mpbook.practice",
    "mpbook.trace",
)

# Packages too heavy for a child's start (NumPy, plotting, Jupyter, psutil, Dask) and the grader.
HEAVY = ("numpy", "matplotlib", "ipywidgets", "IPython", "psutil", "dask", "distributed", "mpbook.grading")


@pytest.mark.parametrize("module", CHILD_MODULES)
def test_importing_a_child_module_loads_nothing_heavy(module):
    """Importing the module in a fresh interpreter loads none of the heavy packages or the grader."""
    code = (
        f"import sys, {module}; "
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m.startswith('mpbook.grading')); "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
    )
    assert out.stdout.strip() == "", f"importing {module} pulled in: {out.stdout.strip()}"
