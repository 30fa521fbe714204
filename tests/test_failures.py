"""The failing tasks and debugging helpers of chapter 05, its demo scripts, and the messages the chapters print."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import multiprocessing
import os
import pickle
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path

import nbformat
import psutil
import pytest

from mpbook import _leaks, _processes, demos, failures

TIMEOUT_S = 60  # a spawn worker starts in ~0.1-0.3 s here; the margin covers a loaded CI machine
NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CHAPTER_05 = NOTEBOOKS / "05-errors-and-debugging.ipynb"
POSIX = pytest.mark.skipif(os.name != "posix", reason="signals and process groups as on Linux and macOS")


# --- the targets, called in this process -----------------------------------------------------


def test_take_reciprocal_returns_one_over_x_and_raises_for_zero():
    """take_reciprocal(x) is 1 / x, and 0 raises ZeroDivisionError like real code."""
    assert failures.take_reciprocal(4) == 0.25
    with pytest.raises(ZeroDivisionError):
        failures.take_reciprocal(0)


@pytest.mark.parametrize("bad", ["3", None, True, float("nan")])
def test_number_arguments_are_checked(bad):
    """Non-numbers (and bools, and NaN) are refused with TypeError or ValueError naming the argument."""
    with pytest.raises((TypeError, ValueError), match="x must be a number"):
        failures.take_reciprocal(bad)
    with pytest.raises((TypeError, ValueError), match="exponent must be a number"):
        failures.raise_to_power(2, bad)


def test_a_partial_of_raise_to_power_pickles_and_cubes():
    """partial(raise_to_power, exponent=3) survives a pickle round trip, unlike a lambda."""
    cube = pickle.loads(pickle.dumps(partial(failures.raise_to_power, exponent=3)))
    assert [cube(x) for x in range(4)] == [0, 1, 8, 27]


def test_describe_argument_names_the_type():
    """describe_argument returns the type name of what it received."""
    assert failures.describe_argument([1]) == "list"
    assert failures.describe_argument("x") == "str"


def test_kill_own_worker_returns_x_unless_doomed():
    """kill_own_worker passes x through when it is not the doomed value (the doomed call is tested in a child)."""
    assert failures.kill_own_worker(3, doomed=2) == 3


def test_wait_on_held_lock_gives_up_after_its_time():
    """wait_on_held_lock blocks for about `seconds` and returns False: the lock never comes."""
    started = time.perf_counter()
    assert failures.wait_on_held_lock(0.2) is False
    assert time.perf_counter() - started >= 0.15


@pytest.mark.parametrize("bad", [0, -1, float("inf"), "1"])
def test_seconds_are_checked(bad):
    """wait_on_held_lock and dump_stacks_after refuse seconds that are not a finite positive number."""
    with pytest.raises((TypeError, ValueError), match="seconds"):
        failures.wait_on_held_lock(bad)
    with pytest.raises((TypeError, ValueError), match="seconds"):
        failures.dump_stacks_after(bad)


def test_initializers_check_their_arguments():
    """report_ready and log_to_queue need a queue; report_ready needs a bool, log_to_queue a level."""
    with pytest.raises(TypeError, match="ready must be a queue"):
        failures.report_ready("not a queue")
    with pytest.raises(TypeError, match="ignore_interrupts must be a bool"):
        failures.report_ready(multiprocessing.SimpleQueue(), ignore_interrupts="yes")
    with pytest.raises(TypeError, match="log_queue must be a queue"):
        failures.log_to_queue(None)
    with pytest.raises(TypeError, match="level must be a logging level"):
        failures.log_to_queue(multiprocessing.SimpleQueue(), level="INFO")


# --- the targets, in real workers ---------------------------------------------------------------


def test_a_worker_exception_comes_back_with_its_traceback(book_context):
    """A pool re-raises ZeroDivisionError from take_reciprocal, with the worker's traceback as __cause__."""
    with book_context.Pool(1) as pool, pytest.raises(ZeroDivisionError) as caught:
        pool.apply_async(failures.take_reciprocal, (0,)).get(timeout=TIMEOUT_S)
    assert "in take_reciprocal" in str(caught.value.__cause__)


@POSIX
def test_kill_own_worker_kills_with_sigkill(book_context):
    """The doomed call ends its process by SIGKILL: exitcode -9, no exception."""
    child = book_context.Process(target=failures.kill_own_worker, args=(2, 2))
    child.start()
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == -signal.SIGKILL


def test_a_killed_worker_breaks_an_executor(book_context):
    """ProcessPoolExecutor raises BrokenProcessPool when kill_own_worker kills a worker."""
    executor = ProcessPoolExecutor(max_workers=2, mp_context=book_context)
    with executor, pytest.raises(BrokenProcessPool):
        list(executor.map(partial(failures.kill_own_worker, doomed=1), range(3), timeout=TIMEOUT_S))


@POSIX
@pytest.mark.parametrize("ignore", [True, False])
def test_report_ready_can_make_workers_ignore_sigint(book_context, ignore):
    """A worker started by report_ready(ready, True) survives SIGINT; with False, SIGINT ends it."""
    ready = book_context.Queue()
    with book_context.Pool(1, initializer=failures.report_ready, initargs=(ready, ignore)) as pool:
        worker_pid = ready.get(timeout=TIMEOUT_S)
        os.kill(worker_pid, signal.SIGINT)
        if ignore:
            answer = pool.apply_async(failures.describe_argument, (1,)).get(timeout=TIMEOUT_S)
            assert answer == "int", "the worker should have ignored SIGINT"
            assert ready.empty(), "no replacement worker should have started"
        else:
            # The worker ends; the pool starts a replacement that serves the next task. The test does
            # not wait for the replacement's pid on `ready`: SIGINT can land while the dying worker's
            # queue feeder holds the queue's write lock, and then no later put gets through.
            with contextlib.suppress(psutil.NoSuchProcess):
                worker = psutil.Process(worker_pid)
                assert not _processes.wait_gone([worker], TIMEOUT_S), "SIGINT should have ended the worker"
            answer = pool.apply_async(failures.describe_argument, (1,)).get(timeout=TIMEOUT_S)
            assert answer == "int", "a replacement worker should serve the next task"


def test_worker_logs_reach_the_parent_through_the_queue(book_context):
    """With log_to_queue as initializer, square_and_log's records arrive in the parent's QueueListener."""
    log_queue = book_context.Queue()
    collected = logging.handlers.BufferingHandler(capacity=1000)
    listener = logging.handlers.QueueListener(log_queue, collected)
    listener.start()
    try:
        with ProcessPoolExecutor(
            max_workers=2, mp_context=book_context, initializer=failures.log_to_queue, initargs=(log_queue,)
        ) as executor:
            assert list(executor.map(failures.square_and_log, [2, -3], timeout=TIMEOUT_S)) == [4, 9]
    finally:
        listener.stop()
    lines = sorted(f"{r.levelname} {r.name} {r.getMessage()}" for r in collected.buffer)
    assert lines == [
        "INFO mpbook.worker squaring -3",
        "INFO mpbook.worker squaring 2",
        "WARNING mpbook.worker negative input -3: the square hides the sign",
    ]
    assert all(record.process != os.getpid() for record in collected.buffer)


# --- the demo scripts ------------------------------------------------------------------------------


def _orphaned_semaphores(before: set[str], settle_s: float = 2.0) -> set[str]:
    """Return multiprocessing's semaphores that appeared in /dev/shm since `before` and nobody maps.

    A process killed just now may take a moment to let go of its mappings: look again for up to
    settle_s seconds while some new semaphore is still in use.
    """
    deadline = time.monotonic() + settle_s
    while True:
        new = {name for name in _leaks.shm_segments() - before if name.startswith("sem.mp-")}
        unused = _leaks.orphaned(new)
        if unused == new or time.monotonic() >= deadline:
            return unused
        time.sleep(0.1)


def test_a_pool_without_the_guard_hangs_under_spawn():
    """Under spawn, a Pool script without the guard never ends; its workers die with the bootstrapping error."""
    before = _leaks.shm_segments()
    run = demos.run_script("pool_no_main_guard", "spawn", timeout=2)
    assert run.timed_out
    left = _orphaned_semaphores(before)
    _leaks.remove_segments(left)
    assert not left, "killing the script at its deadline must spare the resource tracker, which unlinks"
    assert "An attempt has been made to start a new process before the" in run.stderr
    assert run.stderr.count("An attempt has been made") > 1, "the pool keeps replacing the dead workers"


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_the_guarded_pool_script_works(method):
    """With the guard, the Pool script prints its squares under every start method."""
    run = demos.run_script("pool_with_main_guard", method, timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "squares: [0, 1, 4, 9]" in run.stdout


def test_a_failed_spawn_pickle_shows_eoferror_in_the_child():
    """The parent's TypeError comes first; the child, started before the pickling, reports EOFError: Ran out of input."""
    run = demos.run_script("eof_in_spawned_child", timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "parent: TypeError: cannot pickle" in run.stdout
    assert "child: exit code 1" in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "EOFError: Ran out of input"


@POSIX
@pytest.mark.parametrize(
    ("mode", "after", "tracebacks"),
    [("plain", "died of KeyboardInterrupt (exit code 1)", 2), ("ignore", "still running", 0)],
)
def test_ctrl_c_reaches_workers_unless_they_ignore_it(mode, after, tracebacks):
    """SIGINT to the process group kills default workers with KeyboardInterrupt; ignore_sigint workers keep running."""
    run = demos.run_script("ctrl_c_pool", multiprocessing.get_start_method(), mode, timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert f"{mode}: the parent got KeyboardInterrupt" in run.stdout
    assert f"{mode}: the workers, a moment later: {after}" in run.stdout
    assert run.stderr.splitlines().count("KeyboardInterrupt") == tracebacks


def test_a_raising_callback_breaks_the_pool():
    """A callback that raises kills the result handler: no more results, and terminate() raises AssertionError."""
    run = demos.run_script("raising_callback", multiprocessing.get_start_method(), timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "TimeoutError (still not ready)" in run.stdout
    assert "died of: ValueError: callback failed on 9" in run.stdout
    assert "a later task, without callback: TimeoutError too" in run.stdout
    assert "AssertionError: Cannot have cache with result_han" in run.stdout


@pytest.mark.parametrize(("mode", "marker"), [("parent", "hang_report.py"), ("worker", "wait_on_held_lock")])
def test_faulthandler_shows_where_the_hang_is(mode, marker):
    """The stack dump names the parent's get() in main, or the worker's wait_on_held_lock."""
    run = demos.run_script("hang_report", multiprocessing.get_start_method(), mode, timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "task result: False" in run.stdout
    assert marker in run.stderr
    if mode == "parent":
        assert " in get" in run.stderr


# --- what the chapters print ----------------------------------------------------------------------


def code_outputs(path: Path) -> str:
    """Return every text a notebook's code cells output (streams, results, errors), joined."""
    notebook = nbformat.read(path, as_version=4)
    texts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            texts.append(str(output.get("text", "")))
            texts.extend(str(value) for value in output.get("data", {}).values())
            texts.append(str(output.get("evalue", "")))
            texts.extend(str(line) for line in output.get("traceback", []))
    return "\n".join(texts)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_no_chapter_prints_the_made_up_freeze_support_message(path):
    """The 'frozen mode' message some tutorials quote does not exist, so no cell output may contain it."""
    assert "freeze_support() must be called if program is run in frozen mode" not in code_outputs(path)


def test_chapter_05_shows_the_real_messages():
    """Chapter 05's stored outputs hold the real bootstrapping RuntimeError and the real unpickling AttributeError."""
    outputs = code_outputs(CHAPTER_05)
    assert "An attempt has been made to start a new process before the" in outputs
    assert "Can't get attribute" in outputs
