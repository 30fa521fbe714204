"""The trusted side's handle on the learner's process: start it, call into it, watch its processes, stop it.

    check (trusted process) --ex.start_and_join([0.1])--> LearnerProcess.call("start_and_join", [0.1])
        --request pipe--> python -m mpbook.grading.learner (own session; as `nobody` when the grader is root)
        <--answer pipe--  plain data, decoded by channel.decode_answer, or Raised -> LearnerRaised here

The learner's process is started on first use and lives for one test. What it started is seen
from here, through the process tree (psutil), not through counters its own code could rewrite.

When the grader runs as root (a container, Gradescope), the learner's process runs as an
unprivileged user (MPBOOK_GRADER_USER, default `nobody`) with a copy of the learner's file in a
folder of its own: it cannot write the results, and it cannot read what only root can read. See
README's "For instructors" for what that covers and what still needs a container.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from mpbook import _processes
from mpbook.grading import channel

USER_VAR = "MPBOOK_GRADER_USER"
DEFAULT_USER = "nobody"
READY_TIMEOUT_S = 30  # importing the learner's module: a slow laptop's spawn start takes a few seconds
STOP_GRACE_S = 2


class LearnerRaised(Exception):
    """The learner's code raised an exception; `raised` holds its type's name, message and frames.

    Its class is named as the learner's exception was (ValueError, BrokenProcessPool...), and str()
    is the message alone, as for the exception itself.
    """

    def __init__(self, raised: channel.Raised) -> None:
        super().__init__(raised.message)
        self.raised = raised


class BoundaryError(BaseException):
    """What went wrong with the learner's process itself, not in its code: never caught by a check's
    `except Exception`, so it reaches the grader, which reports it."""


class LearnerEnded(BoundaryError):
    """The learner's process ended, or stopped answering, in the middle of a call."""

    def __init__(self, why: str, exit_code: int | None = None) -> None:
        super().__init__(why)
        self.exit_code = exit_code


class LearnerMissing(BoundaryError):
    """The learner's module has no function (or constant) of that name."""


class ImportFailed(BoundaryError):
    """The learner's module could not be imported: a syntax error (line, message) or an exception (Raised)."""

    def __init__(self, kind: str, detail) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


_raised_types: dict[str, type] = {}


def _exception_for(raised: channel.Raised) -> LearnerRaised:
    """Return a LearnerRaised named as the learner's exception, and an instance of the builtin it names (TimeoutError...).

    So a check's `except TimeoutError:` still catches the learner's TimeoutError, while the object
    itself is built here, from a name, never from the learner's bytes.
    """
    name = raised.type_name
    if name not in _raised_types:
        base = getattr(builtins, name, None)
        bases: tuple[type, ...] = (LearnerRaised,)
        if isinstance(base, type) and issubclass(base, Exception):
            bases = (LearnerRaised, base)
        try:
            _raised_types[name] = type(name, bases, {})
        except TypeError:  # a builtin whose layout cannot be mixed in (OSError's family)
            _raised_types[name] = type(name, (LearnerRaised,), {})
    try:
        return _raised_types[name](raised)
    except TypeError:
        return LearnerRaised(raised)


def learner_user() -> tuple[int, int] | None:
    """Return (uid, gid) the learner's process runs as: an unprivileged user when the grader is root, else None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    name = os.environ.get(USER_VAR, DEFAULT_USER)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(
            f"the grader runs as root but user {name!r} does not exist; create it or set {USER_VAR} to an "
            "unprivileged user, so the learner's code does not run as root"
        ) from None
    if entry.pw_uid == 0:
        raise RuntimeError(f"{USER_VAR}={name} is root; name an unprivileged user")
    user = entry.pw_uid, entry.pw_gid
    return user if _can_run_the_book(user) else None


_usable: dict[tuple[int, int], bool] = {}


def _can_run_the_book(user: tuple[int, int]) -> bool:
    """Return True if `user` can start this Python and import the book (not when either lives in /root).

    When it cannot, the learner's code runs as the grader's user, and `privilege_note()` says so.
    """
    if user not in _usable:
        try:
            probe = subprocess.run(
                [sys.executable, "-c", "import mpbook.grading.learner"],
                user=user[0],
                group=user[1],
                extra_groups=[],
                cwd="/",
                capture_output=True,
                timeout=30,
                check=False,
            )
            _usable[user] = probe.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _usable[user] = False
    return _usable[user]


def privilege_note() -> str:
    """Return what a root grader should know when the learner's code cannot run as an unprivileged user."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or learner_user() is not None:
        return ""
    name = os.environ.get(USER_VAR, DEFAULT_USER)
    return (
        f"The grader runs as root, and user {name!r} cannot run {sys.executable} with the book, so the learner's "
        "code ran as root too: install Python and the book where every user can read them (not under /root) "
        "to keep the results out of its reach."
    )


_hidden = False


def hide_answers() -> list[Path]:
    """Take read access to the reference solutions and the checks away from other users; return what changed.

    Called when the learner's process runs as another user: that user then cannot read the answers
    or the checks' expected values. (Git keeps no read bits, so the repository does not change.)
    """
    global _hidden
    if _hidden:
        return []
    _hidden = True
    from mpbook.grading.catalogue import EXERCISES_DIR
    from mpbook.grading.workspace import solutions_dir

    answers = sorted(EXERCISES_DIR.glob("*/checks.py"))
    solutions = solutions_dir()
    if solutions is not None:
        answers += [solutions, *solutions.rglob("*")]
    changed = []
    for path in answers:
        mode = path.stat().st_mode
        if mode & 0o007:
            path.chmod(mode & ~0o007)
            changed.append(path)
    return changed


class LearnerProcess:
    """One learner's module in a process of its own, answering calls from the checks."""

    def __init__(self, learner_file: Path, module: str, start_method: str) -> None:
        self.learner_file = Path(learner_file)
        self.module = module
        self.start_method = start_method
        self.process: subprocess.Popen | None = None
        self._requests = self._answers = -1
        self._lock = threading.Lock()
        self._busy = False
        self._folder: str | None = None

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the process and import the learner's module in it; raise ImportFailed if that fails."""
        user = learner_user()
        directory = self.learner_file.parent
        if user is not None:
            hide_answers()
            # A folder of its own, readable by the learner's user, holding only a copy of the learner's file.
            self._folder = tempfile.mkdtemp(prefix="mpbook-learner-")
            os.chmod(self._folder, 0o755)
            copy = Path(self._folder) / f"{self.module}.py"
            shutil.copyfile(
                self.learner_file, copy
            )  # not its mode: a file in solutions/ is hidden from others
            copy.chmod(0o644)
            directory = Path(self._folder)
        request_read, request_write = os.pipe()
        answer_read, answer_write = os.pipe()
        env = dict(os.environ)
        if user is not None:
            env["HOME"] = self._folder or "/"
        # Its own session, so the test's process group is not its; the grader's token in its environment
        # (inherited) still marks it and all it starts, so a deadline kills them with the test.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mpbook.grading.learner", str(request_read), str(answer_write)],
            pass_fds=(request_read, answer_write),
            stdin=subprocess.DEVNULL,
            cwd=directory,
            env=env,
            start_new_session=True,
            user=None if user is None else user[0],
            group=None if user is None else user[1],
            extra_groups=None if user is None else [],
        )
        os.close(request_read)
        os.close(answer_write)
        self._requests, self._answers = request_write, answer_read
        self._send({"directory": str(directory), "module": self.module, "start_method": self.start_method})
        kind, detail = self._receive(READY_TIMEOUT_S)
        if kind != "ready":
            raise ImportFailed(kind, detail)

    def stop(self) -> None:
        """Ask the process to end, then kill it and everything it started (its helpers included)."""
        if self.process is None:
            return
        family = self._family()  # before it ends: its fork server and tracker would be orphans after
        with contextlib.suppress(OSError):
            self._send(("stop",))
        for fd in (self._requests, self._answers):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(subprocess.TimeoutExpired):
            _processes.wait_for(self.process, STOP_GRACE_S)
        known = {member.pid for member in family}
        family += [member for member in self._family() if member.pid not in known]
        # The resource tracker last, once it has unlinked what the others left (shared memory, semaphores).
        trackers = [member for member in family if _processes.is_resource_tracker(member)]
        # Wait until each is gone: one still dying when the test's process ends would look, to the
        # grader, like a process that left the group (the learner's process has a session of its own).
        _processes.kill([member for member in family if member not in trackers])
        with contextlib.suppress(subprocess.TimeoutExpired):
            _processes.wait_for(self.process, _processes.KILL_WAIT_S)
        _processes.wait_gone(trackers, timeout=_processes.TRACKER_GRACE_S)
        _processes.kill(trackers)
        if self._folder:
            shutil.rmtree(self._folder, ignore_errors=True)
        self.process = None

    def _family(self) -> list:
        """Return the process and all its descendants (psutil), while they run."""
        import psutil

        assert self.process is not None
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    # -- calls --------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True while a call has not returned (a check that gave up on it moved on)."""
        return self._busy

    def call(self, name: str, *args, **kwargs):
        """Return module.name(*args, **kwargs) run in the learner's process, as plain data."""
        return self._ask(("call", name, args, kwargs))

    def value(self, name: str):
        """Return the value of module.name (a constant such as a timeout), as plain data."""
        return self._ask(("value", name))

    def probe(self, probe_module: str, function: str, *args, **kwargs):
        """Return function(learner_module, *args, **kwargs) run inside the learner's process, as plain data."""
        return self._ask(("probe", probe_module, function, args, kwargs))

    def _ask(self, request: tuple):
        with self._lock:
            if self._busy:
                raise LearnerEnded("the learner's process is still busy with a call that did not return")
            self._busy = True
        try:
            self._send(request)
            kind, value = self._receive(None)
        except (OSError, channel.ChannelError) as exc:
            raise LearnerEnded(str(exc), self._exit_code()) from None
        with self._lock:
            self._busy = False
        if kind == "returned":
            return value
        if kind == "missing":
            raise LearnerMissing(value)
        if kind == "raised" and isinstance(value, channel.Raised):
            raise _exception_for(value)
        raise LearnerEnded(f"an answer of an unknown kind: {kind!r}")

    def _exit_code(self) -> int | None:
        """Return the learner's process's exit code once it has ended (a moment's wait), else None."""
        if self.process is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            return _processes.wait_for(self.process, 1)
        return None

    def _send(self, message: object) -> None:
        channel.write_frame(self._requests, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _receive(self, timeout_s: float | None) -> tuple[str, object]:
        answer = channel.decode_answer(channel.read_frame(self._answers, timeout_s))
        if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], str)):
            raise channel.ChannelError("the answer is not a (kind, value) pair")
        return answer

    # -- watching ------------------------------------------------------------------------------
    def descendants(self, settle_s: float = 0.0) -> list:
        """Return the processes the learner's code started and that still run (multiprocessing's helpers left out).

        With settle_s, wait up to that long for any in its last exit steps to go.
        """
        import psutil

        if self.process is None:
            return []
        try:
            return _processes.leftover_children(psutil.Process(self.process.pid), settle_s)
        except psutil.Error:
            return []


WATCH_S = 0.01  # how often a ProcessWatch looks; the shortest-lived process a check starts runs ~0.05 s


class ProcessWatch(threading.Thread):
    """Samples, from the trusted side, the processes the learner's code runs while a block runs.

    `started` counts every process seen (by pid and start time), `most_alive` the most seen at
    once, `first_seen` when the first appeared (time.monotonic()). A process that lives less than
    WATCH_S may be missed, so checks use it for processes that sleep or compute a while.
    """

    def __init__(self, learner: LearnerProcess, interval: float = WATCH_S) -> None:
        super().__init__(daemon=True)
        self.learner = learner
        self.interval = (
            interval  # each look costs ~2 ms of CPU: a longer one suits a check that times workers
        )
        self.halt = threading.Event()
        self.seen: dict[tuple[int, float], float] = {}
        self.most_alive = 0

    @property
    def started(self) -> int:
        return len(self.seen)

    @property
    def first_seen(self) -> float | None:
        return min(self.seen.values(), default=None)

    def run(self) -> None:
        while True:
            alive = self.learner.descendants()
            now = time.monotonic()
            for process in alive:
                with contextlib.suppress(Exception):
                    key = (process.pid, process.create_time())
                    self.seen.setdefault(key, now)
                    self.look_at(process, key)
            self.most_alive = max(self.most_alive, len(alive))
            if self.halt.wait(self.interval):
                return

    def look_at(self, process, key: tuple[int, float]) -> None:
        """Called for each live process at each look: a subclass notes more about it (a manager's socket)."""

    def __enter__(self) -> ProcessWatch:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.halt.set()
        self.join(timeout=5)
        # A helper (resource tracker, fork server) shows its parent's command line until it has exec'd:
        # whatever is a helper now was never the learner's.
        import psutil

        for key in list(self.seen):
            with contextlib.suppress(psutil.Error, ValueError):
                if _processes.is_helper(psutil.Process(key[0])):
                    del self.seen[key]
