"""Find what a test, a chapter or an exercise left behind: live processes and shared-memory segments.

Used by the test suite after each chapter and each test module. Processes are found by an
environment token that every descendant inherits (it survives a process group change);
shared-memory segments by comparing /dev/shm before and after (Linux; elsewhere there is no
portable listing, and the check finds nothing).
"""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from pathlib import Path

SHM_DIR = Path("/dev/shm")
TOKEN_VAR = "MPBOOK_LEAK_TOKEN"


def shm_segments() -> set[str]:
    """Return the names of the shared-memory segments now in /dev/shm (empty where there is none)."""
    try:
        # files only: joblib keeps memory-mapping folders here, which are not segments
        return {entry.name for entry in SHM_DIR.iterdir() if entry.is_file()}
    except OSError:
        return set()


def orphaned(names: set[str]) -> set[str]:
    """Return those of the /dev/shm names that no live process has mapped: nobody can still use them.

    A segment another program is using right now (a concurrent test run) is mapped by it, so it is
    not counted against the code under test. Mappings are matched by inode, not by name: glibc maps
    a named semaphore under a temporary file name. Reads /proc/*/maps, so Linux only.
    """
    if not names:
        return set()
    mapped = set()  # (major, minor, inode): inode numbers alone repeat across file systems
    for maps in Path("/proc").glob("[0-9]*/maps"):
        with contextlib.suppress(OSError, ValueError):
            for line in maps.read_text().splitlines():
                if "/dev/shm/" in line:
                    fields = line.split()
                    major, minor = (int(part, 16) for part in fields[3].split(":"))
                    mapped.add((major, minor, int(fields[4])))
    found = set()
    for name in names:
        with contextlib.suppress(OSError):
            stat = (SHM_DIR / name).stat()
            if (os.major(stat.st_dev), os.minor(stat.st_dev), stat.st_ino) not in mapped:
                found.add(name)
    return found


def processes_with_token(token: str) -> list:
    """Return live (non-zombie) processes whose environment holds TOKEN_VAR=token."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if process.pid == os.getpid() or process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get(TOKEN_VAR) == token:
                found.append(process)
        except psutil.Error:
            continue
    return found


def is_helper(process) -> bool:
    """True for a process multiprocessing (or loky) keeps alive by design: a resource tracker or a fork server.

    A fork server's children are forked from it and show its command line, so the server is
    told apart from them by its parent: the server is the only one whose parent is not one too.
    """
    command = " ".join(process.cmdline())
    if "resource_tracker" in command:  # multiprocessing's and loky's
        return True
    if "multiprocessing.forkserver" in command:
        with contextlib.suppress(Exception):
            return "multiprocessing.forkserver" not in " ".join(process.parent().cmdline())
    return False


def leftover_children(root=None, settle_s: float = 0.0) -> list:
    """Return the live descendants of root (default: this process), helper processes excluded.

    With settle_s, wait up to that long for them to go: a process told to stop may still be in
    its last exit steps (its pipes already closed, not yet a zombie) for a few milliseconds.
    """
    import psutil

    deadline = time.monotonic() + settle_s
    while True:
        found = []
        for child in (root or psutil.Process()).children(recursive=True):
            try:
                if child.status() == psutil.STATUS_ZOMBIE or is_helper(child):
                    continue
                found.append(child)
            except psutil.Error:
                continue
        if not found or time.monotonic() >= deadline:
            return found
        time.sleep(0.02)


def describe(processes) -> str:
    """Return 'pid NAME (cmdline...)' for each process, for a failure message."""
    lines = []
    for process in processes:
        with contextlib.suppress(Exception):
            lines.append(f"pid {process.pid} {process.name()} ({' '.join(process.cmdline())[:120]})")
    return "; ".join(lines)


def kill(processes, settle_s: float = 5.0) -> None:
    """Kill processes and wait until they are gone or zombies."""
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    wait_gone(processes, settle_s)


def wait_gone(processes, timeout: float) -> list:
    """Wait until each process is gone or a zombie; return those still running after timeout.

    Polls rather than wait(): reaping another owner's child (a pool's worker) would hide its
    exit from that owner, and an orphan stays a zombie until init reaps it.
    """
    import psutil

    deadline = time.monotonic() + timeout
    remaining = list(processes)
    while remaining:
        still = []
        for process in remaining:
            with contextlib.suppress(psutil.Error):
                if process.status() != psutil.STATUS_ZOMBIE:
                    still.append(process)
        remaining = still
        if not remaining or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    return remaining


def set_aside_semaphores(segments: set[str], where: str) -> set[str]:
    """Remove the lone named semaphores among orphaned segments with a warning; return the others.

    A lone `sem.*` is not counted as a leak. glibc's sem_open creates a semaphore under a
    temporary name, `sem.` and six random characters, links it to its real name, then unlinks
    the temporary: a process SIGKILLed in between (chapter 05 and the grader kill processes on
    purpose) leaves that file behind. A `sem.mp-*` is multiprocessing's own name, left when a
    resource tracker was killed before it could unlink it (seen only when two test runs shared the
    machine). Processes and shared-memory segments still fail the check.
    """
    semaphores = {name for name in segments if name.startswith("sem.")}
    if semaphores:
        remove_segments(semaphores)
        kinds = sorted(
            f"{name} ({'multiprocessing' if name.startswith('sem.mp-') else 'sem_open temporary'})"
            for name in semaphores
        )
        warnings.warn(f"{where} left named semaphores {kinds} (removed)", stacklevel=2)
    return segments - semaphores


def remove_segments(names) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            (SHM_DIR / name).unlink()
