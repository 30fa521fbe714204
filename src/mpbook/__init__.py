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
    "get_context",
    "platform_default_start_method",
    "start_method",
    "usable_cpus",
]

__version__ = "0.1.0"
