"""pytest settings shared by the package tests (tests/) and the chapters (notebooks/, via nbval)."""

from __future__ import annotations

import platform

import mpbook


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


def pytest_collectstart(collector):
    """Do not compare stderr of chapters: it carries warnings and child-process noise, not lessons."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)
