"""mpbook.widgets: the pool explorer runs a pool per run, shows what it did, and leaves no process behind."""

from __future__ import annotations

import gc
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import matplotlib

matplotlib.use("Agg")  # tests draw figures without a display

import matplotlib.pyplot as plt
import pytest

from mpbook import _processes, widgets, workers
from mpbook.widgets import EXECUTOR, POOL, THREADS, explorer, task_sizes

# Small, quick runs: 8 tasks of 500 numbers take ~1 ms each, so a run is mostly pool start-up.
SMALL = {"tasks": 8, "size": 500, "run_first": False}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _sleep_ms(size: int) -> tuple[float, int]:
    """Return sleep_and_return's arguments for a task of `size` milliseconds that returns its size."""
    return (size / 1000, size)


def _negate(size: int) -> tuple[int]:
    """Return raise_if_negative's argument for a task that fails: minus the size."""
    return (-size,)


def _output_text(ex: widgets.PoolExplorer) -> str:
    """Return everything the explorer's Output widget holds as text."""
    return "".join(output.get("text", "") for output in ex.output.outputs)


@pytest.fixture
def make_explorer():
    """Create explorers with a test-only key and close every one of them after the test."""
    made = []

    def make(*args, **kwargs):
        kwargs.setdefault("key", "test")
        ex = explorer(*args, **kwargs)
        made.append(ex)
        return ex

    yield make
    for ex in made:
        ex.close()


def _assert_records_match(result: widgets.RunResult) -> None:
    """Assert the run recorded each task once, in chunks of its chunksize, on at most its number of workers."""
    settings = result.settings
    assert [r.task for r in result.records] == list(range(settings.tasks))
    assert [r.chunk for r in result.records] == [t // settings.chunksize for t in range(settings.tasks)]
    assert 1 <= len({r.pid for r in result.records}) <= settings.workers


@pytest.mark.parametrize("kind", [POOL, EXECUTOR, THREADS])
def test_run_button_runs_the_pool_and_shows_the_timeline(make_explorer, kind):
    """Clicking Run after moving the sliders runs a pool with those settings and shows its timeline and numbers."""
    ex = make_explorer(kind=kind, **SMALL)
    assert ex.image.value == b""
    assert ex.output.outputs == ()
    ex.workers.value = 2
    ex.chunksize.value = 3
    ex.tasks.value = 7
    assert ex.history == [], "without 'run on every change', moving a slider does not run"
    assert "press Run" in ex.status.value

    ex.run_button.click()

    (result,) = ex.history
    assert result.ok
    assert result.settings == widgets.Settings(kind, 2, 3, 7, 500, "equal")
    _assert_records_match(result)
    assert result.results == [workers.count_primes(*widgets._prime_range(500))] * 7
    assert bytes(ex.image.value).startswith(PNG_SIGNATURE)
    assert ex.figure is not None
    assert ex.figure.axes[0].get_title() == result.settings.title()
    text = _output_text(ex)
    assert f"wall time {result.wall_s:.2f} s" in text
    assert f"{result.tasks_per_s:.1f} tasks/s" in text
    assert not ex.run_button.disabled, "the button is enabled again after the run"
    assert _processes.leftover_children(settle_s=2) == [], "no worker outlives its run"


def test_a_thread_pool_runs_in_this_process_on_one_thread_per_worker(make_explorer):
    """kind=THREADS runs every task in this process, on at most `workers` threads, and says Threads in the history."""
    ex = make_explorer(kind=THREADS, workers=2, **SMALL)
    result = ex.run()
    assert result.ok
    assert {r.pid for r in result.records} == {os.getpid()}
    assert 1 <= len({r.thread for r in result.records}) <= 2
    assert all(r.thread != "MainThread" for r in result.records)
    assert "Threads" in _output_text(ex)
    assert ex.settings().kind == THREADS
    assert make_explorer(key="test-default", run_first=False).kind.value == POOL, "the default stays Pool"


def test_a_thread_run_past_its_timeout_returns_and_says_threads_finish(make_explorer):
    """A thread run past its timeout returns promptly; the message says its running tasks finish, not killed."""
    ex = make_explorer(
        workers.sleep_and_return,
        task_args=_sleep_ms,
        size_range=(100, 5_000, 100),
        kind=THREADS,
        tasks=2,
        size=1_500,
        workers=2,
        timeout=0.5,
        run_first=False,
    )
    started = time.monotonic()
    result = ex.run()
    assert result.timed_out
    assert time.monotonic() - started < 0.5 + 3.0
    assert "threads cannot be terminated" in _output_text(ex)


def test_run_on_every_change_reruns_once_per_slider_release(make_explorer):
    """With 'run on every change' ticked, each changed setting reruns once, also when tasks pulls chunksize down."""
    ex = make_explorer(auto_run=True, chunksize=6, **SMALL)
    ex.chunksize.value = 4
    assert [r.settings.chunksize for r in ex.history] == [4]
    _assert_records_match(ex.history[-1])
    first_png = bytes(ex.image.value)

    ex.tasks.value = 3  # chunksize 4 > 3 tasks: clamped to 3, still one run
    assert ex.chunksize.max == 3
    assert ex.chunksize.value == 3
    assert [(r.settings.tasks, r.settings.chunksize) for r in ex.history] == [(8, 4), (3, 3)]
    _assert_records_match(ex.history[-1])
    assert bytes(ex.image.value).startswith(PNG_SIGNATURE)
    assert bytes(ex.image.value) != first_png

    ex.kind.value = EXECUTOR
    ex.shape.value = "one straggler"
    assert [r.settings.kind for r in ex.history][-2:] == [EXECUTOR, EXECUTOR]
    last = ex.history[-1]
    assert last.ok
    assert last.settings.shape == "one straggler"
    assert last.results == [
        workers.count_primes(*widgets._prime_range(s)) for s in task_sizes(3, 500, "one straggler")
    ]
    assert "Recent runs" in _output_text(ex)
    assert _output_text(ex).count("tasks/s\n") == 4


def test_recreating_the_explorer_closes_the_old_one(make_explorer):
    """A new explorer with the same key closes the old one: controls closed, handlers removed, figure dropped."""
    figures_before = plt.get_fignums()
    old = make_explorer(**SMALL)
    old.run()
    assert old.figure is not None
    old_button_handlers = len(old.run_button._click_handlers.callbacks)

    new = make_explorer(**SMALL)

    assert old.closed
    assert not new.closed
    assert old.figure is None
    assert old.widget.comm is None
    assert old.workers.comm is None
    assert old.run_button.comm is None
    assert len(old.run_button._click_handlers.callbacks) == old_button_handlers - 1 == 0
    old.auto_run.value = True
    old.tasks.value = 3  # no handler left: nothing runs
    assert len(old.history) == 1
    with pytest.raises(RuntimeError, match="closed"):
        old.run()
    other = make_explorer(key="another", **SMALL)  # a different key: both stay live
    assert not new.closed
    assert not other.closed
    assert plt.get_fignums() == figures_before, "explorer figures never stay open in pyplot"


def test_a_run_past_its_timeout_is_stopped_and_reported(make_explorer):
    """A run longer than its timeout returns promptly, says it timed out, and leaves no worker alive."""
    ex = make_explorer(
        workers.sleep_and_return,
        task_args=_sleep_ms,
        size_range=(100, 5_000, 100),
        tasks=4,
        size=3_000,
        workers=2,
        timeout=2.0,
        run_first=False,
    )
    started = time.monotonic()
    result = ex.run()
    elapsed = time.monotonic() - started

    assert result.timed_out
    assert not result.ok
    assert result.records == []
    assert elapsed < 2.0 + 3.0, f"the run took {elapsed:.1f} s for a 2 s timeout"
    assert "longer than its timeout of 2 s" in _output_text(ex)
    assert "Timed out" in ex.status.value
    assert ex.figure is None
    assert ex.image.layout.display == "none"
    assert _processes.leftover_children(settle_s=2) == [], "the timed-out pool's workers were terminated"


@pytest.mark.parametrize("kind", [POOL, EXECUTOR, THREADS])
def test_a_failing_task_is_reported_not_raised(make_explorer, kind):
    """A task that raises ends the run with the error shown in the widget and no worker left."""
    ex = make_explorer(workers.raise_if_negative, task_args=_negate, kind=kind, **SMALL)
    result = ex.run()
    assert result.error is not None
    assert result.error.startswith("ValueError: negative input")
    assert "Failed: a task raised ValueError" in _output_text(ex)
    assert _processes.leftover_children(settle_s=2) == []


def test_no_process_exists_between_runs_or_after_garbage_collection(make_explorer):
    """Pools live only during a run, so an explorer dropped without close() leaves no process behind."""
    ex = make_explorer(**SMALL)
    ex.run()
    assert _processes.leftover_children(settle_s=2) == []
    ex.close()
    del ex
    gc.collect()
    assert _processes.leftover_children(settle_s=2) == []


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="3.12 fixed the race this guards against")
def test_an_executor_stopped_mid_run_first_drops_its_cancelled_items(book_context):
    """Before its workers are terminated, the executor's thread holds no cancelled item any more.

    Otherwise, on 3.10 and 3.11, it sets BrokenProcessPool on a cancelled future when the workers
    die, and the InvalidStateError that raises in its thread prints a traceback in the notebook.
    """
    executor = ProcessPoolExecutor(1, mp_context=book_context)
    running = executor.submit(workers.sleep_and_return, 2.0, "slow")
    queued = [executor.submit(workers.square, n) for n in range(20)]
    manager = executor._executor_manager_thread
    processes = _processes.pool_workers(executor)
    assert sum(future.cancel() for future in queued) > 0, "some tasks should still have been queued"
    executor.shutdown(wait=False, cancel_futures=True)
    _processes._let_executor_drop_cancelled(manager, timeout=10)
    left = [item for item in list(manager.pending_work_items.values()) if item.future.cancelled()]
    for process in processes:
        process.terminate()
    manager.join(timeout=10)
    assert not left, f"{len(left)} cancelled items were still held when the workers were terminated"
    assert not manager.is_alive()
    assert running.done()


def test_task_sizes_have_the_promised_shapes():
    """task_sizes gives equal, growing, seeded random and one-straggler sizes averaging about the given size."""
    assert task_sizes(4, 100) == [100] * 4
    growing = task_sizes(9, 100, "growing")
    assert growing == sorted(growing)
    assert sum(growing) == pytest.approx(900, abs=5)
    assert task_sizes(20, 100, "random") == task_sizes(20, 100, "random"), "seeded: the same on every run"
    assert all(25 <= s <= 175 for s in task_sizes(20, 100, "random"))
    assert task_sizes(3, 100, "one straggler") == [100, 100, 100 * widgets.STRAGGLER_FACTOR]
    assert task_sizes(1, 1, "growing") == [1]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"func": lambda a, b: a}, TypeError, "cannot be sent to a worker"),
        ({"kind": "ThreadPool"}, ValueError, "kind must be one of"),
        ({"workers": 0}, ValueError, "workers must be >= 1"),
        ({"workers": 10_000}, ValueError, "workers must be >= 1 and <="),
        ({"tasks": 4, "chunksize": 5}, ValueError, "chunksize must be >= 1 and <= 4"),
        ({"tasks": 2.5}, TypeError, "tasks must be an int"),
        ({"size": 10**9}, ValueError, "size must be >= 100"),
        ({"shape": "lumpy"}, ValueError, "shape must be one of"),
        ({"timeout": 0}, ValueError, "timeout must be > 0"),
        ({"timeout": "5"}, TypeError, "timeout must be a number"),
        ({"task_args": 3}, TypeError, "task_args must be a function"),
        ({"task_args": lambda size: size}, TypeError, "must return a tuple"),
        ({"size_range": (10, 5, 1)}, ValueError, "size_range max must be >= 10"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, error, match):
    """explorer() rejects bad arguments with a TypeError or ValueError that says what to pass."""
    with pytest.raises(error, match=match):
        explorer(key="bad-arguments", run_first=False, **kwargs)


def test_task_sizes_rejects_bad_arguments():
    """task_sizes rejects a non-positive count or size and an unknown shape."""
    with pytest.raises(ValueError, match="tasks must be >= 1"):
        task_sizes(0, 10)
    with pytest.raises(TypeError, match="size must be an int"):
        task_sizes(3, 1.5)
    with pytest.raises(ValueError, match="shape must be one of"):
        task_sizes(3, 10, "bumpy")
