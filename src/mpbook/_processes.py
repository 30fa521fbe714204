"""Start, find and stop processes: the one place the book does it (the grader, demos, CLI, widget, tests).

    run_isolated(argv, timeout)   a command in its own session, under a deadline
      start_isolated    new session; TREE_TOKEN_VAR=token in its environment, which every descendant
                        inherits (even one that left the process group with os.setsid())
      wait_for          until it ends or the deadline passes (woken as it ends, not polled)
      kill_tree         always, even on Ctrl-C:
                          1. kill every process carrying the token, except resource trackers
                          2. let the trackers unlink what they were left (semaphores, shared memory)
                          3. kill the process group, then whatever still carries the token

    leftover_children(root)   descendants still running, multiprocessing's helpers left out
    processes_with_token(t)   processes whose environment carries a token, wherever they moved
    kill(processes)           SIGKILL, then wait until each is gone or a zombie (never reaping)
    wait_for(popen, timeout)  \\  wait on processes, woken as they end (Linux's pidfd), not
    until_one_ends(ps, s)     /  polled: Popen.wait sleeps up to 50 ms between looks

    pool_workers(pool)        \\
    pool_size(pool)            } CPython's private pool attributes, read nowhere else
    stop_pool(pool, timeout)  /  (stop a Pool or an executor now: terminate or kill what does not stop)

Pool workers import this module (through mpbook.trace and mpbook.tuning) and must start light:
psutil and uuid are imported inside the functions that need them, and no dataclass is used
(dataclasses imports inspect, ~9 ms per child). A spawned worker has loaded the rest already.
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing.connection
import os
import select
import signal
import subprocess
import sys
import time

TREE_TOKEN_VAR = "MPBOOK_TREE_TOKEN"  # run_isolated marks the command it runs and all its descendants
LEAK_TOKEN_VAR = "MPBOOK_LEAK_TOKEN"  # the test suite marks what it starts: a chapter's kernel, a command
TRACKER_GRACE_S = 3  # the resource tracker unlinks leftovers within milliseconds of its last client's exit
KILL_WAIT_S = 5  # a killed process is gone in milliseconds; seconds only on a machine under heavy load


# --- finding processes ---------------------------------------------------------------------------


def processes_with_token(token: str, var: str = LEAK_TOKEN_VAR, since: float = 0.0) -> list:
    """Return live (non-zombie) processes, other than this one, whose environment holds var=token.

    since (a time.time()) skips processes started more than a second before it, whose
    environment need not be read.
    """
    import psutil

    found = []
    for process in psutil.process_iter(["create_time"]):
        try:
            if process.info["create_time"] < since - 1 or process.pid == os.getpid():
                continue
            if process.environ().get(var) == token and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


def is_resource_tracker(process) -> bool:
    """True for a resource tracker, multiprocessing's or loky's: it cleans up after the processes it served."""
    import psutil

    with contextlib.suppress(psutil.Error):
        return "resource_tracker" in " ".join(process.cmdline())
    return False


def is_helper(process) -> bool:
    """True for a process multiprocessing (or loky) keeps alive by design: a resource tracker or a fork server.

    A fork server's children are forked from it and show its command line, so the server is
    told apart from them by its parent: the server is the only one whose parent is not one too.
    """
    if is_resource_tracker(process):
        return True
    with contextlib.suppress(Exception):
        if "multiprocessing.forkserver" in " ".join(process.cmdline()):
            return "multiprocessing.forkserver" not in " ".join(process.parent().cmdline())
    return False


def leftover_children(root=None, settle_s: float = 0.0) -> list:
    """Return the live descendants of root (a psutil.Process; default: this process), helpers excluded.

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
        left = deadline - time.monotonic()
        if not found or left <= 0:
            return found
        until_one_ends(found, left)


def describe(processes) -> str:
    """Return 'pid NAME (cmdline...)' for each process, for a failure message."""
    lines = []
    for process in processes:
        with contextlib.suppress(Exception):
            lines.append(f"pid {process.pid} {process.name()} ({' '.join(process.cmdline())[:120]})")
    return "; ".join(lines)


# --- stopping processes --------------------------------------------------------------------------


def kill(processes, settle_s: float = KILL_WAIT_S) -> list:
    """Kill psutil processes; return those still running after waiting settle_s for them to go."""
    import psutil

    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    return wait_gone(processes, settle_s)


def wait_gone(processes, timeout: float) -> list:
    """Wait until each psutil process is gone or a zombie; return those still running after timeout.

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
        left = deadline - time.monotonic()
        if not remaining or left <= 0:
            break
        until_one_ends(remaining, left)
    return remaining


def until_one_ends(processes, seconds: float) -> None:
    """Sleep until one of processes (psutil or Popen) ends, or seconds pass, whichever is first.

    Linux's pidfd wakes us the moment one ends, even one that is not our child; elsewhere this
    looks again after 20 ms. A process found ended already returns at once.
    """
    if sys.platform != "linux":
        time.sleep(max(0.0, min(seconds, 0.02)))
        return
    poller = select.poll()
    pidfds = []
    try:
        for process in processes:
            try:
                pidfd = os.pidfd_open(process.pid)
            except OSError:  # it is gone (or the kernel is older than 5.3): look again now
                return
            pidfds.append(pidfd)
            poller.register(pidfd, select.POLLIN)
        poller.poll(max(0.0, seconds) * 1000)
    finally:
        for pidfd in pidfds:
            os.close(pidfd)


# --- a command in its own session ----------------------------------------------------------------


# A command started by start_isolated: its Popen, the token its whole tree carries in TREE_TOKEN_VAR,
# and when it started (time.time()), so older processes need not be looked at.
Isolated = collections.namedtuple("Isolated", ["process", "token", "since"])
# How a command run by run_isolated ended: its exit code (None when it was killed at the deadline),
# whether it was, how many processes had left its process group (os.setsid()) and were killed, and
# the seconds it all took.
Finished = collections.namedtuple("Finished", ["returncode", "timed_out", "escaped", "seconds"])


def run_isolated(
    argv: list[str], timeout: float, *, stdout, stderr=subprocess.STDOUT, **popen_kwargs
) -> Finished:
    """Run argv in a new session until it ends or timeout seconds pass; then kill whatever of its tree is left.

    stdout and stderr are files (not pipes: a process left behind could hold a pipe open, and its
    reader would wait); popen_kwargs go to start_isolated (cwd, env).
    """
    started = time.perf_counter()
    isolated = start_isolated(argv, stdout=stdout, stderr=stderr, **popen_kwargs)
    returncode = None
    try:
        returncode = wait_for(isolated.process, timeout)
    except subprocess.TimeoutExpired:
        pass
    finally:
        # Always, even on Ctrl-C: the command runs in its own session, out of reach of the
        # terminal's interrupt, so nobody else would stop it.
        escaped = kill_tree(isolated)
    return Finished(returncode, returncode is None, escaped, time.perf_counter() - started)


def wait_for(process: subprocess.Popen, timeout: float) -> int:
    """Return process's exit code once it ends; raise subprocess.TimeoutExpired after timeout seconds.

    Popen.wait(timeout) polls, sleeping up to 50 ms at a time: every graded test waits on three
    processes, so that is ~0.04 s of a stub's 0.17 s a test. until_one_ends wakes as it ends.
    """
    deadline = time.monotonic() + timeout
    if sys.platform == "linux" and process.returncode is None:
        until_one_ends([process], timeout)
    return process.wait(max(0.0, deadline - time.monotonic()))  # at once if it has ended


def start_isolated(argv: list[str], *, env=None, **popen_kwargs) -> Isolated:
    """Start argv in a new session (stdin from /dev/null), it and all it starts marked with a new token.

    env defaults to this process's environment; popen_kwargs go to subprocess.Popen. Stop it with kill_tree.
    """
    import uuid

    token = uuid.uuid4().hex
    # sys.platform, not os.name: mypy knows CREATE_NEW_PROCESS_GROUP exists only on Windows.
    if sys.platform == "win32":
        popen_kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        popen_kwargs["start_new_session"] = True
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    since = time.time()
    env = {**(os.environ if env is None else env), TREE_TOKEN_VAR: token}
    return Isolated(subprocess.Popen(argv, env=env, **popen_kwargs), token, since)


def kill_tree(isolated: Isolated) -> int:
    """Stop everything a command from start_isolated started; return how many had escaped its process group.

    Order matters. A resource tracker unlinks the named semaphores and shared memory of the
    processes it serves once they are all gone; killed with them, it leaves those segments in
    /dev/shm for good. So: kill the command's processes, let the tracker finish its clean-up,
    then kill the whole group and anything still carrying the token.
    """
    process, token, since = isolated
    members = processes_with_token(token, TREE_TOKEN_VAR, since)
    trackers = [p for p in members if is_resource_tracker(p)]
    workers = [p for p in members if p not in trackers]
    escaped = sum(1 for p in workers if p.pid != process.pid and _group_of(p.pid) not in (process.pid, None))
    kill(workers, settle_s=0)
    with contextlib.suppress(subprocess.TimeoutExpired):
        wait_for(process, KILL_WAIT_S)
    wait_gone(trackers, timeout=TRACKER_GRACE_S)
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    kill(processes_with_token(token, TREE_TOKEN_VAR, since))
    with contextlib.suppress(subprocess.TimeoutExpired):
        wait_for(process, KILL_WAIT_S)
    return escaped


def _group_of(pid: int) -> int | None:
    """Return the process group of pid; None where there are none (Windows) or it is gone."""
    try:
        return os.getpgid(pid)
    except (OSError, AttributeError):
        return None


# --- pools: CPython's private attributes, read only here ------------------------------------------
# Neither multiprocessing.Pool nor ProcessPoolExecutor lists its workers before Python 3.14; these are
# the attributes CPython has used for a decade. If one is gone, the answer is empty (or None) and the
# callers fall back on the pool's own terminate()/shutdown().


def pool_workers(pool) -> list[multiprocessing.Process]:
    """Return the worker Process objects of a Pool or a ProcessPoolExecutor (none for a thread pool)."""
    processes = getattr(pool, "_processes", None)  # ProcessPoolExecutor: {pid: Process}; Pool: its size
    if isinstance(processes, dict):
        return list(processes.values())
    return list(getattr(pool, "_pool", None) or [])


def pool_size(pool) -> int | None:
    """Return how many workers a multiprocessing Pool keeps, or None if it cannot be read."""
    size = getattr(pool, "_processes", None)
    return size if isinstance(size, int) else None


def stop_pool(pool, timeout: float, *, busy: bool = False) -> list[multiprocessing.Process]:
    """Stop a Pool or an executor now; return its workers still running after that (normally none).

    A Pool is terminated, as leaving `with Pool(...)` does. An executor is shut down with its
    queued work cancelled; busy (its workers may be mid-task) terminates them at once, else each
    gets up to timeout seconds to finish and exit. A worker still there then is killed.
    """
    processes = pool_workers(pool)
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets it
    if hasattr(pool, "terminate"):  # a multiprocessing Pool
        pool.terminate()  # it also joins the workers it stops
    else:
        pool.shutdown(wait=False, cancel_futures=True)  # its own thread tells idle workers to exit
        if busy:  # an executor would wait for a running task: stop its workers
            _let_executor_drop_cancelled(manager, timeout)
            for process in processes:
                process.terminate()
    stuck = _wait_for_exit(processes, timeout)
    for process in stuck:
        process.kill()
    stuck = _wait_for_exit(stuck, timeout)
    # The executor's own thread reaps its workers; until it has, multiprocessing.active_children()
    # may still list a worker that is gone. Wait for that thread, so none is listed when this returns.
    if manager is not None:
        manager.join(timeout=timeout)
    return stuck


def _wait_for_exit(processes: list[multiprocessing.Process], timeout: float) -> list[multiprocessing.Process]:
    """Return those of processes still running after waiting up to timeout seconds for them to exit.

    Waits on the processes' sentinels rather than join(): a ProcessPoolExecutor's own thread
    joins its workers, and two threads reaping one process is a race (the loser sees it alive).
    """
    pending = {process.sentinel: process for process in processes}
    deadline = time.monotonic() + timeout
    while pending and (left := deadline - time.monotonic()) > 0:
        ready = multiprocessing.connection.wait(list(pending), left)
        pending = {sentinel: process for sentinel, process in pending.items() if sentinel not in ready}
    return list(pending.values())


def _let_executor_drop_cancelled(manager, timeout: float) -> None:
    """Wait until the executor's manager thread has dropped the work items whose futures are cancelled.

    On Python 3.10 and 3.11, when workers die, that thread sets BrokenProcessPool on every item it
    still holds, and on a cancelled future that raises InvalidStateError in the thread: a traceback
    in the learner's notebook (fixed in 3.12). After shutdown(cancel_futures=True) the thread drops
    cancelled items itself, in milliseconds; terminating the workers before that is the race.
    """
    if sys.version_info >= (3, 12):
        return
    deadline = time.monotonic() + timeout
    while manager is not None and manager.is_alive() and time.monotonic() < deadline:
        items = getattr(manager, "pending_work_items", None) or {}
        if not any(item.future.cancelled() for item in list(items.values())):
            return
        time.sleep(0.005)
