"""Faults a learner meets: Ctrl-C, a killed process, a full disk or a read-only folder.

Each test makes the fault happen for real where it can (a SIGINT to a process group, a SIGKILL
to a running test) and checks what the learner then sees: a clear message, nothing left
running, nothing they wrote lost. A disk that fills up or turns read-only is simulated by
making the write itself fail with ENOSPC or EROFS: permission bits do not stop root, which
CI runs as.
"""

from __future__ import annotations

import errno
import os
import queue
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest

from mpbook import _leaks, _processes, cli
from mpbook.grading import runner, workspace

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
EX01 = "ex01_start_and_join"
STOP_S = 15  # an interrupted command must be gone well within this; it normally takes ~1 s

# ex01's processes sleep for ever: the learner forgot that join() waits for them. Each one
# leaves a file in MARKERS first, so the test knows the check is inside the hang.
HANGING_EX01 = """
    import multiprocessing as mp
    import os
    import time
    from pathlib import Path

    def sleep_forever():
        Path({markers!r}, f"started-{{os.getpid()}}").touch()
        time.sleep(3600)

    def start_and_join(durations):
        processes = [mp.Process(target=sleep_forever) for _ in durations]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        return [p.exitcode for p in processes]
"""


def wait_for(predicate, timeout: float, step: float = 0.05):
    """Return predicate()'s first truthy value within timeout seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def tokened_env(token: str, **extra: str) -> dict:
    """The environment for a subprocess whose every descendant can be found by the leak token."""
    return {**os.environ, _processes.LEAK_TOKEN_VAR: token, **extra}


def assert_nothing_left(token: str) -> None:
    left = wait_for(lambda: not _processes.processes_with_token(token), timeout=10)
    if not left:
        stragglers = _processes.processes_with_token(token)
        described = _processes.describe(stragglers)
        _processes.kill(stragglers)
        pytest.fail(f"processes still running after the fault: {described}")


# --- Ctrl-C ---------------------------------------------------------------------------------


@pytest.mark.timeout(120)
@pytest.mark.skipif(os.name != "posix", reason="process groups and SIGINT to them are POSIX")
def test_ctrl_c_stops_mpbook_check_and_everything_it_started(tmp_path):
    """Ctrl-C during a hanging check: exit 130, one line, no traceback, no process left, the file untouched."""
    learner = tmp_path / f"{EX01}.py"
    markers = tmp_path / "markers"
    markers.mkdir()
    learner.write_text(textwrap.dedent(HANGING_EX01.format(markers=str(markers))))
    before = learner.read_bytes()
    token = uuid.uuid4().hex
    # A terminal delivers Ctrl-C to its foreground process group: start one and signal all of it.
    command = subprocess.Popen(
        [sys.executable, "-m", "mpbook", "check", "ex01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=tokened_env(token, **{workspace.ENV_DIR: str(tmp_path)}),
        start_new_session=True,
    )
    try:
        # The learner's sleeping children exist: the check is well inside the hang.
        assert wait_for(lambda: list(markers.iterdir()), timeout=60), "the learner's processes never started"
        os.killpg(command.pid, signal.SIGINT)
        stdout, stderr = command.communicate(timeout=STOP_S)
    finally:
        if command.poll() is None:
            os.killpg(command.pid, signal.SIGKILL)
            command.wait(timeout=10)
    assert command.returncode == 130, (command.returncode, stdout, stderr)
    assert "interrupted" in stderr
    assert "Traceback" not in stdout + stderr
    assert learner.read_bytes() == before
    assert_nothing_left(token)


KERNEL_CELL_S = 60  # a cell that has been interrupted must answer within this


@pytest.mark.timeout(180)
@pytest.mark.skipif(os.name != "posix", reason="Jupyter interrupts a POSIX kernel with SIGINT")
def test_ctrl_c_in_a_notebook_stops_the_pool_and_keeps_the_kernel():
    """Interrupting a kernel that waits on a pool: KeyboardInterrupt, every worker gone, the kernel still works."""
    from jupyter_client.manager import KernelManager

    token = uuid.uuid4().hex
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=tokened_env(token))  # MPBOOK_START_METHOD, if set, is inherited
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=KERNEL_CELL_S)

        def run(code: str, timeout: float = KERNEL_CELL_S) -> dict:
            msg_id = client.execute(code)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    reply = client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
                except queue.Empty:
                    pytest.fail(f"no reply within {timeout} s to {code!r}")
                if reply["parent_header"].get("msg_id") == msg_id:
                    return reply["content"]

        assert run("import mpbook, mpbook.workers")["status"] == "ok"
        # The cell the learner interrupts: four 30 s tasks on two workers, waited for without a timeout.
        msg_id = client.execute(
            "with mpbook.get_context().Pool(2) as pool:\n"
            "    pool.map(mpbook.workers.sleep_and_return, [30, 30, 30, 30])\n"
        )
        kernel = psutil.Process(manager.provisioner.process.pid)
        workers = wait_for(lambda: _processes.leftover_children(kernel), timeout=KERNEL_CELL_S)
        assert workers, "the pool's workers never started"
        time.sleep(0.5)  # the pool is now waiting in map()
        started = time.monotonic()
        manager.interrupt_kernel()
        deadline = time.monotonic() + KERNEL_CELL_S
        while True:
            reply = client.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        stopped_after = time.monotonic() - started
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KeyboardInterrupt"
        assert stopped_after < STOP_S, f"the interrupted cell took {stopped_after:.1f} s to end"
        # The with-block terminated the pool: no worker outlives the interrupted cell.
        gone = wait_for(lambda: not _processes.leftover_children(kernel), timeout=10)
        assert gone, f"workers still running after the interrupt: {_processes.describe(workers)}"
        # And the kernel carries on: the next cell runs a pool as usual.
        after = run(
            "with mpbook.get_context().Pool(2) as pool:\n"
            "    print(pool.map(mpbook.workers.square, [1, 2, 3], chunksize=1))\n"
        )
        assert after["status"] == "ok", after
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    assert_nothing_left(token)


# --- a process killed mid-task ---------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_test_process_killed_mid_test_is_an_error_and_grading_goes_on(tmp_path):
    """A test whose process is SIGKILLed (the OOM killer, say) is reported with its exit code; the rest are graded."""
    learner = tmp_path / f"{EX01}.py"
    learner.write_text(
        textwrap.dedent(
            """
            import multiprocessing as mp
            import os
            import signal

            calls = 0

            def start_and_join(durations):
                if len(durations) == 3:  # only in one test: the process running it dies here
                    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
                processes = [mp.Process(target=os.getpid) for _ in durations]
                for p in processes:
                    p.start()
                for p in processes:
                    p.join(timeout=30)
                return [p.exitcode for p in processes]
            """
        )
    )
    result = runner.grade_file(EX01, learner, deadline=30)
    # The learner's own process (behind the boundary) or the test's process.
    killed = [
        t
        for t in result.tests
        if "without reporting a result" in t.message or "without returning" in t.message
    ]
    assert killed, [(t.name, t.status, t.message) for t in result.tests]
    assert all(t.status == "error" for t in killed)
    if hasattr(signal, "SIGKILL"):
        assert f"exit code {-signal.SIGKILL}" in killed[0].message
    assert any(t.status != "error" for t in result.tests), "the other tests were not graded"
    assert all(t.status != "timeout" for t in result.tests)


# --- a full disk, a read-only folder ---------------------------------------------------------


def failing_write(reason: int, target_suffix: str):
    """Return a Path.write_text that fails with OSError(reason) for files ending in target_suffix."""
    original = Path.write_text

    def write_text(self, *args, **kwargs):
        if self.name.endswith(target_suffix):
            raise OSError(reason, os.strerror(reason), str(self))
        return original(self, *args, **kwargs)

    return write_text


@pytest.mark.timeout(120)
@pytest.mark.parametrize("reason", [errno.ENOSPC, errno.EROFS], ids=["disk-full", "read-only"])
def test_progress_that_cannot_be_saved_is_a_warning_and_loses_nothing(tmp_path, monkeypatch, capsys, reason):
    """mpbook check still grades and says why progress was not saved; the old progress and the learner's file stay."""
    learner = tmp_path / f"{EX01}.py"
    shutil.copyfile(SOLUTIONS / f"{EX01}.py", learner)
    before = learner.read_bytes()
    progress = tmp_path / workspace.PROGRESS_FILE
    old_progress = '{"version": 1, "exercises": {"ex01_start_and_join": {"hints_shown": 2}}}'
    progress.write_text(old_progress)
    monkeypatch.setenv(workspace.ENV_DIR, str(tmp_path))
    monkeypatch.setattr(Path, "write_text", failing_write(reason, ".tmp"))

    code = cli.main(["check", "ex01"])

    out = capsys.readouterr()
    assert code == 0, out
    assert "could not save progress" in out.out + out.err
    assert os.strerror(reason) in out.out + out.err
    assert "Traceback" not in out.out + out.err
    assert learner.read_bytes() == before
    assert progress.read_text() == old_progress
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("reason", [errno.ENOSPC, errno.EROFS], ids=["disk-full", "read-only"])
def test_reset_that_cannot_write_keeps_the_learners_file(tmp_path, monkeypatch, capsys, reason):
    """mpbook reset on a full or read-only disk: exit 2, a message saying nothing was lost, the file unchanged."""
    monkeypatch.setenv(workspace.ENV_DIR, str(tmp_path))
    assert cli.main(["list"]) == 0  # the exercise folder exists, as it does after a first `make lab`
    learner = tmp_path / f"{EX01}.py"
    learner.write_text("# my own attempt\n")

    def copy2(source, destination, *args, **kwargs):
        raise OSError(reason, os.strerror(reason), str(destination))

    monkeypatch.setattr(shutil, "copy2", copy2)
    monkeypatch.setattr(shutil, "copyfile", copy2)

    code = cli.main(["reset", "ex01"])

    out = capsys.readouterr()
    assert code == 2
    assert "nothing was lost" in out.err
    assert "Traceback" not in out.out + out.err
    assert learner.read_text() == "# my own attempt\n"


@pytest.mark.skipif(not _leaks.SHM_DIR.is_dir(), reason="lists /dev/shm (Linux)")
def test_the_leak_check_finds_an_unmapped_segment_and_sets_a_lone_semaphore_aside():
    """A segment nobody maps is a leak; one still mapped is in use; a lone sem.* is removed with a warning."""
    from multiprocessing import shared_memory

    segment = shared_memory.SharedMemory(create=True, size=4096)
    semaphore = _leaks.SHM_DIR / f"sem.mpbook-test-{uuid.uuid4().hex[:8]}"
    semaphore.write_bytes(b"\0" * 32)
    try:
        assert _leaks.orphaned({segment.name}) == set(), "a segment this process maps is in use"
        segment.close()  # unmapped, never unlinked: the leak the check is for
        orphans = _leaks.orphaned({segment.name, semaphore.name})
        assert orphans == {segment.name, semaphore.name}
        with pytest.warns(UserWarning, match="left named semaphores"):
            assert _leaks.set_aside_semaphores(orphans, "this test") == {segment.name}
        assert not semaphore.exists()
    finally:
        segment.unlink()
        semaphore.unlink(missing_ok=True)
