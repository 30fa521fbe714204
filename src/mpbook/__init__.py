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

__version__ = "0.1.0"


def check(exercise: str) -> None:
    """Check your answer to an exercise from a notebook cell, e.g. ``check("ex03")``, and print the report.

    Runs `mpbook check` in a separate process, so a deadlocked answer cannot freeze the kernel.
    (``mpbook.grading.notebook.check`` does the same and returns True when every test passed.)
    """
    from mpbook.grading.notebook import check as run_check  # imported here: workers never need it

    run_check(exercise)
