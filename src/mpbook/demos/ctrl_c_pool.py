"""Press Ctrl-C while a pool works: what happens to its workers, with and without an initializer.

Ctrl-C in a terminal, and "interrupt the kernel" in Jupyter, send SIGINT to the whole process
group: the parent and every worker it started. This script does the same to itself, with
os.killpg on its own process group, while both workers are busy with a 10 s task.

  plain   workers keep Python's default: SIGINT raises KeyboardInterrupt in each of them too;
          each prints a traceback and dies, and the pool starts replacements
  ignore  workers ran the `ignore_sigint` initializer: only the parent gets KeyboardInterrupt,
          and it stops the workers itself (leaving `with Pool` calls terminate())

POSIX only (Windows has no process groups to signal this way). The script moves itself into
a process group of its own first, so the signal reaches nobody else.

Usage: python ctrl_c_pool.py [spawn|forkserver|fork] plain|ignore
"""

import contextlib
import multiprocessing
import os
import signal
import sys
import time

from mpbook.failures import report_ready
from mpbook.workers import sleep_and_return

MODES = ("plain", "ignore")


def describe(exitcodes: list) -> str:
    """Say in words what a list of worker exit codes means."""
    if all(code is None for code in exitcodes):
        return "still running"
    if all(code == 1 for code in exitcodes):
        return "died of KeyboardInterrupt (exit code 1)"
    if all(code is not None and code < 0 for code in exitcodes):
        return "killed by " + "/".join(sorted({signal.Signals(-code).name for code in exitcodes}))
    return f"mixed: {exitcodes}"


def wait_for_exit(workers: list, timeout: float) -> None:
    """Return when every worker has ended, or after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(w.exitcode is None for w in workers):
        time.sleep(0.05)


def count_replacements(workers: list, expected: int, timeout: float = 10) -> int:
    """Return how many live children are not among `workers`, waiting up to timeout for `expected`."""
    deadline = time.monotonic() + timeout
    while True:
        new = [child for child in multiprocessing.active_children() if child not in workers]
        if len(new) >= expected or time.monotonic() > deadline:
            return len(new)
        time.sleep(0.05)


def main(method: str, mode: str) -> None:
    """Start a pool, interrupt it like Ctrl-C would, and report what happened to the workers."""
    with contextlib.suppress(PermissionError):  # already a group leader (run_script starts a session)
        os.setpgrp()
    ctx = multiprocessing.get_context(method)
    ready = ctx.Queue()
    with ctx.Pool(2, initializer=report_ready, initargs=(ready, mode == "ignore")) as pool:
        for _ in range(2):
            ready.get(timeout=60)  # both workers are up and their initializer has run
        workers = multiprocessing.active_children()  # the pool's two workers
        work = pool.map_async(sleep_and_return, [10, 10], chunksize=1)
        time.sleep(0.3)  # let each worker take its task
        print(f"{mode}: both workers busy; sending SIGINT to the whole process group, as Ctrl-C does")
        try:
            # the whole group, this process too: its KeyboardInterrupt arrives here or in get()
            os.killpg(os.getpgid(0), signal.SIGINT)
            work.get(timeout=30)
        except KeyboardInterrupt:
            print(f"{mode}: the parent got KeyboardInterrupt")
        wait_for_exit(workers, timeout=10 if mode == "plain" else 0.5)
        print(f"{mode}: the workers, a moment later: {describe([w.exitcode for w in workers])}")
        if mode == "plain":
            print(f"{mode}: replacement workers the pool started: {count_replacements(workers, expected=2)}")
    print(f"{mode}: after leaving `with Pool` (terminate()): {describe([w.exitcode for w in workers])}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in MODES or not hasattr(os, "killpg"):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
