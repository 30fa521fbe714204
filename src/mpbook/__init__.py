"""mpbook: Multiprocessing in Python, an interactive book.

Kept deliberately light: every spawned child that runs a pool target from
``mpbook.workers`` imports this file first, so it pulls in nothing beyond the standard
library. Plots, widgets and the grader are imported from their own modules.
"""

from mpbook.config import (
    DEFAULT_START_METHOD,
    ENV_VAR,
    StartMethodError,
    get_context,
    platform_default_start_method,
    start_method,
    usable_cpus,
)

__all__ = [
    "DEFAULT_START_METHOD",
    "ENV_VAR",
    "StartMethodError",
    "check",
    "get_context",
    "platform_default_start_method",
    "start_method",
    "usable_cpus",
]


def __getattr__(name: str) -> str:
    """Return ``mpbook.__version__`` when first asked for (PEP 562), never at import.

    The version is written once, in pyproject.toml; an installed mpbook reads it from its package
    metadata. Reading metadata imports ``importlib.metadata`` (tens of milliseconds), which every
    spawned child would pay for if this ran at import time.
    """
    if name == "__version__":
        from mpbook._version import version

        return version()
    raise AttributeError(f"module 'mpbook' has no attribute {name!r}")


def check(exercise: str) -> None:
    """Check your answer to an exercise from a notebook cell, e.g. ``check("ex03")``, and print the report.

    Runs `mpbook check` in a separate process, so a deadlocked answer cannot freeze the kernel.
    (``mpbook.grading.notebook.check`` does the same and returns True when every test passed.)
    """
    from mpbook.grading.notebook import check as run_check  # imported here: workers never need it

    run_check(exercise)
