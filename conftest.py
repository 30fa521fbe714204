"""pytest settings shared by the package tests (tests/) and the chapters (notebooks/, via nbval).

The chapters' own machinery (their start method, their stderr, the leak check after each one) is the
plugin tests/nbval_chapters.py, registered here; tests/ is on the import path through pyproject's
``pythonpath``. The package tests' fixtures are in tests/conftest.py.
"""

from __future__ import annotations

import platform
import signal

import mpbook

pytest_plugins = ["nbval_chapters"]


def pytest_configure(config):
    """Let Ctrl-C be Ctrl-C in this run and in every process it starts, however the suite was launched.

    A shell without job control starts a background job with SIGINT ignored, and every process
    inherits that: the tests of Ctrl-C (to a pool, to `mpbook check`, to a notebook's kernel) would
    then see processes that cannot be interrupted, which no learner has.
    """
    if hasattr(signal, "SIGINT") and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_report_header(config):
    """Say which Python, start method and CPU count this run used: results depend on all three."""
    try:
        method = mpbook.start_method()
    except mpbook.StartMethodError as exc:
        method = f"INVALID ({exc})"
    return [
        f"mpbook: Python {platform.python_version()} on {platform.system()}, "
        f"start method {method}, usable CPUs {mpbook.usable_cpus()}"
    ]
