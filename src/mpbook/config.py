"""Which start method the book uses, and how many CPUs this process may really use.

Every chapter, exercise check and test asks `start_method()` instead of hard-coding one,
so the whole suite can be re-run under another method by setting one variable:

    MPBOOK_START_METHOD=forkserver make test

The default is ``spawn`` on every platform: it is what Windows and macOS always use, and
what a learner on Linux must be ready for (Linux switches to forkserver in Python 3.14).
Code that runs under spawn runs under the other two; the reverse is not true.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

ENV_VAR = "MPBOOK_START_METHOD"
DEFAULT_START_METHOD = "spawn"
KNOWN_START_METHODS = ("spawn", "forkserver", "fork")


class StartMethodError(ValueError):
    """MPBOOK_START_METHOD names a method that is unknown or unavailable here."""


def start_method() -> str:
    """Return the start method the book uses: MPBOOK_START_METHOD, or "spawn" when unset.

    Raises StartMethodError (a ValueError) naming the allowed values when the variable
    holds something else, or a method this platform lacks (fork on Windows).
    """
    raw = os.environ.get(ENV_VAR, "")
    method = raw.strip().lower() or DEFAULT_START_METHOD
    if method not in KNOWN_START_METHODS:
        raise StartMethodError(
            f"{ENV_VAR}={raw!r} is not a start method. "
            f"Use one of: {', '.join(KNOWN_START_METHODS)} (or unset it for {DEFAULT_START_METHOD})."
        )
    available = multiprocessing.get_all_start_methods()
    if method not in available:
        raise StartMethodError(
            f"{ENV_VAR}={method} is not available on {sys.platform}; "
            f"this platform offers: {', '.join(available)}."
        )
    return method


def get_context() -> multiprocessing.context.BaseContext:
    """Return a multiprocessing context for the book's start method (see `start_method`)."""
    return multiprocessing.get_context(start_method())


def platform_default_start_method() -> str:
    """Return the start method this Python uses when nobody chooses one.

    Read from a fresh context so a `set_start_method` call in this process does not
    change the answer: fork on Linux up to 3.13, forkserver from 3.14, spawn elsewhere.
    """
    return multiprocessing.get_all_start_methods()[0]


def usable_cpus() -> int:
    """Return the number of CPUs this process may run on, which can be fewer than the machine has.

    ``os.cpu_count()`` counts the machine; a container, ``taskset`` or a batch scheduler can
    restrict a process to fewer. Python 3.13 added ``os.process_cpu_count()`` for this; before
    it, ``sched_getaffinity`` answers on Linux. Elsewhere the machine count is the best we have.
    """
    if hasattr(os, "process_cpu_count"):
        count = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return count or 1
