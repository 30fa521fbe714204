"""Which start method the book uses, and how many CPUs this process may really use.

Every chapter, exercise check and test asks `start_method()` instead of hard-coding one,
so the whole suite can be re-run under another method by setting one variable:

    MPBOOK_START_METHOD=forkserver make test

The default is ``spawn`` on every platform: it is what Windows and macOS always use, and
what a learner on Linux must be ready for (Linux switches to forkserver in Python 3.14).
It is the most portable choice, not a guarantee: fork has hazards of its own (inherited pipe
ends, forking a threaded parent), so code is tested under each method it supports.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
from pathlib import Path

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
    """Return the number of CPUs this process may really use, which can be fewer than the machine has.

    ``os.cpu_count()`` counts the machine. ``taskset``, a batch scheduler or a container can restrict
    a process to some CPUs (its affinity: ``os.process_cpu_count()`` from 3.13, ``sched_getaffinity``
    before, on Linux; on macOS and Windows both fall back to the machine count), and a container or
    a JupyterHub can cap its CPU time with a cgroup quota (``docker --cpus=2``), which no ``os``
    function reports. The answer is the smaller of the two, at least 1.
    """
    if hasattr(os, "process_cpu_count"):
        count = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    count = count or 1
    quota = cgroup_cpu_quota()
    return max(1, min(count, math.ceil(quota))) if quota else count


def cgroup_cpu_quota(root: Path = Path("/")) -> float | None:
    """Return the CPU quota of this process's cgroup in CPUs (1.5 = one and a half), or None if unlimited.

    cgroup v2 keeps it in ``cpu.max`` ("150000 100000", or "max 100000" for none); v1 in
    ``cpu.cfs_quota_us`` and ``cpu.cfs_period_us`` (-1 for none). Every ancestor cgroup may set one:
    the smallest counts. `root` lets tests point at a fake file system.
    """
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None  # not Linux, or no /proc
    quotas = []
    files: tuple[str, ...]  # the quota's file(s): one in cgroup v2, two in v1
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":  # cgroup v2: "0::/path"
            directories, files = [root / "sys/fs/cgroup"], ("cpu.max",)
        elif "cpu" in controllers.split(","):  # cgroup v1: "4:cpu,cpuacct:/path"
            directories = [root / "sys/fs/cgroup" / name for name in ("cpu,cpuacct", "cpuacct,cpu", "cpu")]
            files = ("cpu.cfs_quota_us", "cpu.cfs_period_us")
        else:
            continue
        for base in directories:
            parts = [part for part in path.split("/") if part]
            # from the process's own cgroup up to the root of the hierarchy
            for depth in range(len(parts), -1, -1):
                quota = _read_quota(base.joinpath(*parts[:depth]), files)
                if quota is not None:
                    quotas.append(quota)
    return min(quotas) if quotas else None


def _read_quota(directory: Path, files: tuple[str, ...]) -> float | None:
    try:
        if len(files) == 1:
            limit, period = (directory / files[0]).read_text().split()[:2]
        else:
            limit, period = ((directory / name).read_text().strip() for name in files)
    except (OSError, ValueError):
        return None
    if limit in ("max", "-1") or not limit.lstrip("-").isdigit() or int(period) <= 0:
        return None
    return int(limit) / int(period)
