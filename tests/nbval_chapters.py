"""A pytest plugin for the chapters under nbval: their start method, their stderr, and what they leave behind.

Registered by the root ``conftest.py`` (``pytest_plugins``; pyproject's ``pythonpath`` puts tests/ on
the import path first). It does three things for every notebook nbval runs, and nothing for the
package tests:

1. **Start method.** Under ``MPBOOK_START_METHOD`` (other than spawn), every chapter's kernel gets an
   IPython startup file that makes ``set_start_method`` use the method under test, whatever the
   chapter asked for (`pytest_configure`).
2. **stderr is not compared**: it carries warnings and child-process noise, not lessons
   (`pytest_collectstart`).
3. **Leak check.** Each chapter's kernel gets a token in its environment, inherited by every process
   it starts, and its stderr goes to a log instead of /dev/null (nbval's kernel start is wrapped for
   that, from `pytest_configure` to `pytest_unconfigure`). After the last cell the kernel ends like a
   script and is shut down gracefully; then a process still carrying the token, a new /dev/shm
   segment, or a resource tracker warning in the log is a leak: it is cleaned up and reported as an
   error of the chapter's last cell (`pytest_runtest_setup`, `pytest_runtest_teardown`).

    setup (first cell)   token -> os.environ, note /dev/shm  --> nbval starts the kernel (stderr -> log)
    teardown (last cell) run _END_LIKE_A_SCRIPT, shut down   --> processes with the token? new segments?
                                                                 tracker warnings in the log? -> fail
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
import warnings
from pathlib import Path

import pytest

import mpbook
from mpbook import _leaks, _processes

# Chapters choose their start method in plain code, mp.set_start_method("spawn", force=True), as a
# learner would. To re-run them under another method (MPBOOK_START_METHOD=forkserver make test),
# each chapter's kernel runs this at start-up, from an IPython startup file: it makes
# set_start_method use the method under test, whatever the chapter asked for.
_FORCE_START_METHOD = """
import multiprocessing as _mp, multiprocessing.context as _ctx
_mpbook_method = {method!r}
_mpbook_set = _ctx.DefaultContext.set_start_method
def _mpbook_set_start_method(self, method=None, force=False):
    return _mpbook_set(self, _mpbook_method, force=True)
_ctx.DefaultContext.set_start_method = _mpbook_set_start_method
_mp.set_start_method = _ctx._default_context.set_start_method
_mp.set_start_method(_mpbook_method)
"""

# multiprocessing's resource tracker prints this to its stderr when it had to clean up after a
# process: a pool or SharedMemory that was never closed. nbval sends a kernel's stderr to
# /dev/null; each chapter's kernel writes it to a log instead, read after the kernel stopped.
# loky's tracker (joblib) also reports "folder" and "file" objects: joblib's memory-mapping
# folders, which joblib removes in an atexit handler that a kernel never reaches (see
# _END_LIKE_A_SCRIPT); the tracker removes them instead, so those are not leaks.
_TRACKER_WARNING = re.compile(
    r"resource_tracker: There appear to be \d+ leaked (?:semaphore|shared_memory) objects?[^\n]*"
)

# Run in a chapter's kernel after its last cell. It names the child processes still running
# (the chapter forgot to close a pool or join a process), then does what a script's normal exit
# does: multiprocessing's exit handler releases the semaphores of queues, locks and pools still
# referenced, and the fork server and each resource tracker (multiprocessing's, joblib's) are told the program has ended
# (as the end of its pipe tells it when a script exits), so it unlinks what was left and warns
# "There appear to be N leaked ... objects" only for what is really leaked (a SharedMemory never
# unlinked). A kernel cannot exit that way: on shutdown, ipykernel sends SIGTERM to its child
# processes until they are gone, the resource tracker ignores SIGTERM, and only after 2.5 s is the
# kernel terminated, before any exit handler ran: the tracker would then also report objects that
# were in use, not leaked, and every chapter would wait the 2.5 s.
_END_LIKE_A_SCRIPT = """
import multiprocessing as _mpbook_mp, multiprocessing.util as _mpbook_util, sys as _mpbook_sys
_mpbook_children = _mpbook_mp.active_children()
print(", ".join(f"{p.name} (pid {p.pid})" for p in _mpbook_children))
if not _mpbook_children:
    def _mpbook_stop(module, name):  # private: closes the helper's pipe, as a script's exit does, and waits
        helper = getattr(_mpbook_sys.modules.get(module), name, None)
        if helper is not None and hasattr(helper, "_stop"):
            helper._stop()
    _mpbook_stop("multiprocessing.forkserver", "_forkserver")  # first: its socket is in the folder the exit removes
    _mpbook_util._exit_function()  # private, but exactly what atexit runs at a script's end
    _mpbook_stop("multiprocessing.resource_tracker", "_resource_tracker")  # last: the trackers unlink what is left
    _mpbook_stop("joblib.externals.loky.backend.resource_tracker", "_resource_tracker")
"""
SETTLE_S = 5  # workers and the resource tracker take a moment to exit after the kernel

_notebook_state: dict = {}  # chapter (nbval's file item) -> (token, /dev/shm segments before it ran)
_kernel_logs: dict[str, Path] = {}  # token -> the stderr log of the kernel started with it
_nbval_start_new_kernel = None  # nbval's own kernel start, while ours replaces it


# --- start method and stderr --------------------------------------------------------------


_temporary_dirs: list[Path] = []  # removed when pytest ends


def _write_start_method_startup_file() -> None:
    """Under MPBOOK_START_METHOD, give the chapters' kernels a startup file that switches the method."""
    method = os.environ.get(mpbook.ENV_VAR, "").strip().lower()
    if method and method != mpbook.DEFAULT_START_METHOD:
        ipython_dir = Path(tempfile.mkdtemp(prefix="mpbook-ipython-"))
        startup = ipython_dir / "profile_default" / "startup"
        startup.mkdir(parents=True)
        (startup / "00-start-method.py").write_text(_FORCE_START_METHOD.format(method=mpbook.start_method()))
        os.environ["IPYTHONDIR"] = str(ipython_dir)  # the kernels nbval starts inherit it
        _temporary_dirs.append(ipython_dir)


def pytest_collectstart(collector):
    """Do not compare stderr of chapters: it carries warnings and child-process noise, not lessons."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("stderr",)


# --- nbval's kernel start, with a log ------------------------------------------------------


def _start_kernel_with_a_log(*args, **kwargs):
    """Start nbval's kernel as nbval would, its stderr (and its children's) to a log kept by token."""
    token = os.environ.get(_processes.LEAK_TOKEN_VAR)
    if token:
        log = tempfile.NamedTemporaryFile(prefix="mpbook-kernel-", suffix=".log", delete=False)  # noqa: SIM115
        kwargs["stderr"] = log  # the kernel and every process it starts inherit it
        _kernel_logs[token] = Path(log.name)
    return _nbval_start_new_kernel(*args, **kwargs)


def pytest_configure(config):
    """Write the start-method startup file; wrap nbval's kernel start so each kernel's stderr is logged."""
    global _nbval_start_new_kernel
    _write_start_method_startup_file()
    import nbval.kernel

    if _nbval_start_new_kernel is None:
        _nbval_start_new_kernel = nbval.kernel.start_new_kernel
        nbval.kernel.start_new_kernel = _start_kernel_with_a_log


def pytest_unconfigure(config):
    """Give nbval its own kernel start back; remove the startup file's folder."""
    global _nbval_start_new_kernel
    while _temporary_dirs:
        shutil.rmtree(_temporary_dirs.pop(), ignore_errors=True)
    if _nbval_start_new_kernel is not None:
        import nbval.kernel

        nbval.kernel.start_new_kernel = _nbval_start_new_kernel
        _nbval_start_new_kernel = None


# --- the leak check ------------------------------------------------------------------------


def _is_notebook_cell(item) -> bool:
    return item.parent is not None and str(getattr(item.parent, "fspath", "")).endswith(".ipynb")


def _end_like_a_script(kernel) -> str:
    """Run _END_LIKE_A_SCRIPT in the chapter's kernel; return the child processes it found running."""
    printed: list[str] = []

    def keep_stdout(message):
        if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
            printed.append(message["content"]["text"])

    try:
        kernel.kc.execute_interactive(_END_LIKE_A_SCRIPT, timeout=60, output_hook=keep_stdout)
    except Exception as exc:  # noqa: BLE001 - a kernel that cannot run it is reported by the leak check
        warnings.warn(f"could not end the kernel cleanly: {exc!r}", stacklevel=1)
    return "".join(printed).strip()


def _tracker_warnings(token: str) -> list[str]:
    """Return the resource tracker's leak warnings in the log of the kernel started with `token`; delete the log."""
    log = _kernel_logs.pop(token, None)
    if log is None:
        return []
    found = _TRACKER_WARNING.findall(log.read_text(errors="replace"))
    log.unlink(missing_ok=True)
    return found


def _check_what_the_chapter_left(
    chapter: str, token: str, segments_before: set[str], still_running: str
) -> None:
    """Raise AssertionError naming what the chapter left running or in /dev/shm (cleaned up first)."""
    deadline = time.monotonic() + SETTLE_S
    while (processes := _processes.processes_with_token(token)) and time.monotonic() < deadline:
        time.sleep(0.1)
    segments = _leaks.orphaned(_leaks.shm_segments() - segments_before)
    tracker_warnings = _tracker_warnings(token)
    segments = _leaks.set_aside_semaphores(segments, chapter)
    if still_running:
        raise AssertionError(
            f"{chapter} ended with child processes still running: {still_running}. "
            "Close or join every pool and process the chapter starts (a with-block, or close() and join())."
        )
    if processes or segments or tracker_warnings:
        description = _processes.describe(processes)
        _processes.kill(processes)
        _leaks.remove_segments(segments)
        raise AssertionError(
            f"{chapter} left behind: {len(processes)} process(es) [{description}], "
            f"shared-memory segments {sorted(segments)}, resource tracker warnings {tracker_warnings}. "
            "They have been cleaned up; find the pool, process or SharedMemory the chapter did not close."
        )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before a chapter's kernel starts, give it a token and note the shared-memory segments."""
    if _is_notebook_cell(item) and item.parent not in _notebook_state:
        token = uuid.uuid4().hex
        # the kernel is started after this hook, and inherits it
        os.environ[_processes.LEAK_TOKEN_VAR] = token
        _notebook_state[item.parent] = (token, _leaks.shm_segments())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a chapter's last cell and its kernel's shutdown, fail if a process or segment was left."""
    last_cell = _is_notebook_cell(item) and (nextitem is None or nextitem.parent is not item.parent)
    kernel = getattr(item.parent, "kernel", None) if last_cell else None
    still_running = ""
    if kernel is not None and kernel.is_alive():
        still_running = _end_like_a_script(kernel)
        # Shut the kernel down as JupyterLab does, not by killing it as nbval does: a killed
        # kernel takes multiprocessing's resource tracker with it, and the semaphores of pools
        # still referenced in the notebook stay in /dev/shm. A graceful exit unlinks them.
        kernel.kc.stop_channels()
        kernel.km.shutdown_kernel(now=False)
    result = yield
    if last_cell:
        token, segments_before = _notebook_state.pop(item.parent)
        os.environ.pop(_processes.LEAK_TOKEN_VAR, None)
        _check_what_the_chapter_left(item.parent.name, token, segments_before, still_running)
    return result
