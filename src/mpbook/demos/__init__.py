"""Run small demonstration scripts in a fresh Python, so a chapter can show a failure safely.

Some failures only happen in a real script (the missing ``__main__`` guard), and some
would hang or kill a notebook kernel. A chapter runs them here instead: a new interpreter
in its own process group, with a deadline, and the whole group killed when it passes.

    chapter cell --run_script(path, timeout)--> python path (own session)
                 <--ScriptRun(returncode, stdout, stderr, timed_out)--

The scripts live beside this file; a chapter prints one before running it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parent
TRACKER_GRACE_S = 3  # the resource tracker unlinks leftovers within milliseconds of its clients' exit
DEFAULT_TIMEOUT_S = 60  # a demo script starts 1-2 spawn children (~0.3 s each); 60 s is a slow laptop


@dataclass(frozen=True)
class ScriptRun:
    """What a demo script did: its exit code, its output, and whether it had to be killed."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    seconds: float

    def stderr_from(self, marker: str, lines: int = 3) -> str:
        """Return `lines` lines of stderr starting at the first line containing `marker` ('' if absent)."""
        all_lines = self.stderr.splitlines()
        for index, line in enumerate(all_lines):
            if marker in line:
                return "\n".join(all_lines[index : index + lines])
        return ""


def script_path(name: str) -> Path:
    """Return the path of the demo script `name` (with or without .py); ValueError if there is none."""
    path = SCRIPTS_DIR / (name if name.endswith(".py") else f"{name}.py")
    if not path.is_file() or path.name == "__init__.py":
        known = sorted(p.stem for p in SCRIPTS_DIR.glob("*.py") if p.name != "__init__.py")
        raise ValueError(f"no demo script {name!r}; known scripts: {', '.join(known)}")
    return path


def run_script(
    name_or_path: str | os.PathLike,
    *args: str,
    timeout: float = DEFAULT_TIMEOUT_S,
    env: dict[str, str] | None = None,
) -> ScriptRun:
    """Run a demo script (by name, or any .py path) in a fresh Python and return what it did.

    The script and every process it starts share a new process group; if the deadline
    passes, the whole group is killed, so a hanging demo never leaves workers behind.
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = script_path(str(name_or_path))
    if not path.is_file():
        raise ValueError(f"no script at {path}")
    if timeout <= 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
    child_env = {**os.environ, **(env or {})}
    child_env["PYTHONUNBUFFERED"] = "1"  # keep what the script printed before it was killed
    child_env["PYTHON_COLORS"] = "0"  # plain tracebacks: 3.13+ may add colour codes a chapter would print

    group = (
        {"start_new_session": True}
        if os.name == "posix"
        else {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env,
        **group,
    )
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
        stdout, stderr = process.communicate()
    finally:
        if process.poll() is None:
            _kill_group(process)
            process.wait()
    return ScriptRun(
        returncode=None if timed_out else process.returncode,
        stdout=stdout,
        stderr=stderr,
        timed_out=timed_out,
        seconds=time.perf_counter() - started,
    )


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the script and everything it started.

    multiprocessing's resource tracker is spared until the others are gone: it then unlinks the
    semaphores and shared memory they left, which a SIGKILL to the whole group would leak.
    """
    if os.name != "posix":  # Windows: taskkill walks the tree
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
        return
    import psutil  # here: only a timed-out demo needs it

    members, trackers = [], []
    for candidate in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(candidate.pid) == process.pid:
                tracker = "multiprocessing.resource_tracker" in " ".join(candidate.info["cmdline"] or [])
                (trackers if tracker else members).append(candidate)
    for member in members:
        with contextlib.suppress(psutil.Error):
            member.kill()
    psutil.wait_procs(members, timeout=5)
    psutil.wait_procs(trackers, timeout=TRACKER_GRACE_S)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
