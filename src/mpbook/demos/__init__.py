"""Run small demonstration scripts in a fresh Python, so a chapter can show a failure safely.

Some failures only happen in a real script (the missing ``__main__`` guard), and some
would hang or kill a notebook kernel. A chapter runs them here instead: a new interpreter
in its own session, with a deadline; when it ends or the deadline passes, everything it started
is killed (mpbook._processes.run_isolated, the grader's way).

    chapter cell --run_script(path, timeout)--> python path (own session)
                 <--ScriptRun(returncode, stdout, stderr, timed_out)--

The scripts live beside this file; a chapter prints one before running it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mpbook import _processes

SCRIPTS_DIR = Path(__file__).resolve().parent
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

    The script runs in a new session; when it ends or the deadline passes, every process it
    started is killed (its resource tracker last), so a hanging demo never leaves workers behind.
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

    # Files, not pipes: a process the script left behind could hold a pipe open, and its reader would wait.
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        run = _processes.run_isolated(
            [sys.executable, str(path), *args], timeout, stdout=stdout, stderr=stderr, env=child_env
        )
        out, err = _read_text(stdout), _read_text(stderr)
    return ScriptRun(run.returncode, out, err, timed_out=run.timed_out, seconds=run.seconds)


def _read_text(stream) -> str:
    """Return what a script wrote to the file stream, as text with \\n line ends."""
    stream.seek(0)
    return stream.read().decode("utf-8", "replace").replace("\r\n", "\n")
