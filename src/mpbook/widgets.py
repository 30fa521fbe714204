"""The pool explorer: sliders for a pool's settings, and a timeline of what the pool did with them.

Reading that chunksize 1 costs a message per task, or that one long task at the end leaves the
other workers idle, is one thing; moving a slider and watching the idle time appear is another.
`explorer()` shows controls for the pool (``multiprocessing.Pool``, ``ProcessPoolExecutor``, or
``ThreadPoolExecutor`` to set threads against processes; number of workers, chunksize) and for
the work (number of tasks, their size, equal or uneven).
Each run starts a fresh pool, maps the task function over the tasks with `mpbook.trace.traced_map`,
stops the pool, and draws the records with `mpbook.plots.timeline`:

    settings --> task arguments --> [ new pool: start workers, warm up ]
    parent --chunks of (task, args)--> task queue --> worker 1 .. worker n
    parent <--(result, TaskRecord)---- result queue <-- workers
    parent: stop the pool --> timeline(records) --> PNG in the widget; wall time and tasks/s as text

Design, for a learner on a laptop:

- **Runs on a "Run" button**, not on every slider move. Each run starts processes (tenths of a
  second under spawn) and keeps every core busy, and the kernel handles widget events one at a
  time, so running on every change would queue runs behind each other while you drag. A button
  lets you change several settings and run them as one experiment. Tick "run on every change"
  to rerun when a slider is released (sliders never send values while dragging).
- **A new pool per run**, stopped before the run returns, so between runs no process exists:
  re-running the cell, closing the explorer, garbage collection or a kernel restart have nothing
  to clean up. The workers are started and warmed up before the clock starts, so the wall time
  measures the map, not process start-up (shown separately).
- **Every run has a deadline** (``timeout``, whole run). Past it, the pool's workers are
  terminated (killed if they ignore that) and the explorer says so; no cell hangs. A worker
  error is shown the same way, never raised into the widget machinery, where nobody would see it.
- **One explorer per key**: creating an explorer closes the previous one created with the same
  ``key`` (its controls and handlers), so re-running a cell does not stack up live widgets.

This module imports ipywidgets and matplotlib and is only ever imported by the notebook.
The worker processes import only `mpbook.trace` and the task function's module.
"""

from __future__ import annotations

import dataclasses
import io
import multiprocessing
import multiprocessing.pool
import pickle
import random
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

import mpbook
from mpbook import _arguments, _processes
from mpbook import workers as book_workers
from mpbook._explorer_controls import build_controls, check_settings
from mpbook.plots import timeline
from mpbook.trace import TaskRecord, _require_importable, traced_map

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "EXECUTOR",
    "KINDS",
    "POOL",
    "SHAPES",
    "THREADS",
    "PoolExplorer",
    "RunResult",
    "Settings",
    "explorer",
    "run_settings",
    "task_sizes",
]

POOL = "multiprocessing.Pool"
EXECUTOR = "ProcessPoolExecutor"
# Threads of this process, for the question "threads or processes?" (chapter 07): on a standard
# build the GIL lets one thread at a time run Python, so CPU-bound bars stretch instead of overlapping
# usefully. Threads cannot be terminated: a timed-out thread run ends when its running tasks do.
THREADS = "ThreadPoolExecutor"
KINDS = (POOL, EXECUTOR, THREADS)

# How the task sizes vary, each with the lesson it shows:
#   equal: every task the same size; what chunksize and worker count do to overhead.
#   growing: sizes rise from small to twice the average; big chunks leave the end to one worker.
#   random: sizes between a quarter and 1.75x the average (seeded, so runs are comparable).
#   one straggler: the last task is STRAGGLER_FACTOR times the others; everyone waits for it.
SHAPES = ("equal", "growing", "random", "one straggler")
STRAGGLER_FACTOR = 8
# Seed of the "random" shape: the same sizes on every run, so two runs differ only in settings.
RANDOM_SEED = 0

# count_primes(start, start + size) is the default task. All ranges start at the same height so
# that tasks of equal size cost the same (count_primes gets dearer as the numbers get larger);
# at one million a range of 10 000 numbers takes ~35 ms here: long enough to see, short enough
# for a run of 24 tasks to take under a second on two cores.
PRIME_RANGE_START = 1_000_000
# Limits of the sliders. 200 tasks are plenty to see chunking, and the timeline still labels
# each bar up to 120 tasks. Sizes from 100 numbers (~0.3 ms, overhead-dominated) to 20 000 (~70 ms).
MAX_TASKS = 200
DEFAULT_SIZE_RANGE = (100, 20_000, 100)

# Seconds one run may take in all, pool start-up included. The default settings need about one
# second; the largest (200 tasks of 20 000 numbers) about 8 s on two free cores. 30 s covers a
# loaded machine and still gives a stuck run back to the learner within half a minute.
DEFAULT_TIMEOUT_S = 30.0
# Seconds to wait for workers to exit after the pool was told to stop, before killing them, and
# again after a kill. Workers told to exit do so in milliseconds; this only bounds the rare case.
STOP_TIMEOUT_S = 5.0
# Each warm-up task sleeps this long, so a worker that is already up cannot take every warm-up
# task before the others have finished importing: each worker gets one, which proves it is ready.
WARM_UP_SLEEP_S = 0.02
# Runs listed under "Recent runs" for comparison; older ones are dropped from the list.
HISTORY_LENGTH = 8
# Resolution of the timeline image: 90 dpi makes the 9.5-inch figure ~850 px wide, a notebook's width.
IMAGE_DPI = 90

# The live explorer of each key: a new explorer with the same key closes the old one (weak
# references, so this registry never keeps a closed or forgotten explorer alive).
_LIVE: dict[str, weakref.ref[PoolExplorer]] = {}


@dataclasses.dataclass(frozen=True)
class Settings:
    """One run's settings: pool kind, workers, chunksize, number of tasks, average size, shape of sizes."""

    kind: str
    workers: int
    chunksize: int
    tasks: int
    size: int
    shape: str

    def title(self) -> str:
        """Return the settings as a short title for the timeline."""
        return (
            f"{self.kind}, {self.workers} worker{'s' * (self.workers != 1)}, chunksize {self.chunksize}: "
            f"{self.tasks} task{'s' * (self.tasks != 1)}, {self.shape} sizes"
        )

    def describe(self) -> str:
        """Return the settings as one readable line."""
        return (
            f"{self.kind} · {self.workers} worker{'s' * (self.workers != 1)} · chunksize {self.chunksize} · "
            f"{self.tasks} task{'s' * (self.tasks != 1)} of {self.shape} sizes (average {self.size:,})"
        )


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What one run did: its settings, results and records, timings, and whether it timed out or failed."""

    settings: Settings
    results: list[Any]
    records: list[TaskRecord]
    wall_s: float | None  # seconds of the map alone; None when the run did not finish
    startup_s: float | None  # seconds to start the pool and warm up its workers
    timed_out: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Return True if the run finished with every result."""
        return not self.timed_out and self.error is None

    @property
    def tasks_per_s(self) -> float | None:
        """Return tasks completed per second of wall time, or None when the run did not finish."""
        return None if self.wall_s is None else self.settings.tasks / self.wall_s

    @property
    def busy_fraction(self) -> float | None:
        """Return the share of the workers' wall time spent running tasks (1.0 = never idle)."""
        if self.wall_s is None or not self.records:
            return None
        busy = sum(record.duration for record in self.records)
        return busy / (self.wall_s * self.settings.workers)

    def summary(self) -> str:
        """Return a short one-line summary, as listed under "Recent runs"."""
        s = self.settings
        kind = {POOL: "Pool", THREADS: "Threads"}.get(s.kind, "Executor")
        head = f"{kind:<8} workers={s.workers:<2} chunksize={s.chunksize:<3} tasks={s.tasks:<3} {s.shape:<13}"
        if self.timed_out:
            return f"{head} timed out"
        if self.error is not None:
            return f"{head} failed"
        return f"{head} {self.wall_s:6.2f} s {self.tasks_per_s:8.1f} tasks/s"


def task_sizes(tasks: int, size: int, shape: str = "equal") -> list[int]:
    """Return the sizes of `tasks` tasks averaging about `size`, varying as `shape` says (see SHAPES)."""
    _arguments.integer("tasks", tasks, minimum=1)
    _arguments.integer("size", size, minimum=1)
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(map(repr, SHAPES))}, got {shape!r}")
    if shape == "equal":
        sizes = [size] * tasks
    elif shape == "growing":
        # sizes 2/(n+1), 4/(n+1), ..., 2n/(n+1) times size: they sum to tasks * size
        sizes = [round(size * 2 * (i + 1) / (tasks + 1)) for i in range(tasks)]
    elif shape == "random":
        rng = random.Random(RANDOM_SEED)
        sizes = [round(size * rng.uniform(0.25, 1.75)) for _ in range(tasks)]
    else:  # one straggler, last, where it hurts most
        sizes = [size] * (tasks - 1) + [size * STRAGGLER_FACTOR]
    return [max(1, s) for s in sizes]


def _prime_range(size: int) -> tuple[int, int]:
    """Return (start, stop) for count_primes: `size` numbers starting at PRIME_RANGE_START."""
    return (PRIME_RANGE_START, PRIME_RANGE_START + size)


def _single_argument(size: int) -> tuple[int]:
    """Return (size,): the task function takes the size as its only argument."""
    return (size,)


def _left(deadline: float) -> float:
    """Return the seconds left until deadline (time.monotonic), raising TimeoutError if none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the run's deadline passed")
    return left


def _start_pool(kind: str, workers: int) -> multiprocessing.pool.Pool | Executor:
    """Return a new pool of `kind` with `workers` processes (started by the book's start method) or threads."""
    if kind == THREADS:
        return ThreadPoolExecutor(workers)
    context = mpbook.get_context()
    if kind == POOL:
        return context.Pool(workers)
    return ProcessPoolExecutor(workers, mp_context=context)


def _warm_up(pool: multiprocessing.pool.Pool | Executor, workers: int, deadline: float) -> None:
    """Return once every worker has run a task (so all have started), or raise TimeoutError at deadline."""
    if isinstance(pool, ThreadPoolExecutor):  # one pid for all: a round of tasks starts every thread
        pauses = [WARM_UP_SLEEP_S] * workers
        list(pool.map(book_workers.whoami, range(workers), pauses, timeout=_left(deadline)))
        return
    seen: set[int] = set()
    while len(seen) < workers:
        args = [(i, WARM_UP_SLEEP_S) for i in range(workers)]
        if isinstance(pool, multiprocessing.pool.Pool):
            replies = pool.starmap_async(book_workers.whoami, args, 1).get(_left(deadline))
        else:
            replies = list(pool.map(book_workers.whoami, *zip(*args, strict=True), timeout=_left(deadline)))
        seen.update(pid for _, pid, _ in replies)


def _stop_pool(pool: multiprocessing.pool.Pool | Executor, *, finished: bool) -> None:
    """Return once the pool's workers have all exited: stop the pool, kill what does not stop.

    A thread pool has no process to wait for or kill: it is shut down, its queued tasks cancelled.
    Unfinished, a process pool's workers may be mid-task: they are terminated rather than awaited.
    """
    stuck = _processes.stop_pool(pool, STOP_TIMEOUT_S, busy=not finished)
    if stuck:
        raise RuntimeError(f"could not stop worker processes {[p.pid for p in stuck]}; restart the kernel")


def run_settings(
    func: Callable[..., Any],
    task_args: Callable[[int], tuple],
    settings: Settings,
    timeout: float,
) -> RunResult:
    """Return the RunResult of one run: a new pool for settings, func over the tasks, the pool stopped."""
    items = [task_args(size) for size in task_sizes(settings.tasks, settings.size, settings.shape)]
    deadline = time.monotonic() + timeout
    started = time.perf_counter()
    pool = _start_pool(settings.kind, settings.workers)
    finished = False
    startup_s = None
    try:
        _warm_up(pool, settings.workers, deadline)
        startup_s = time.perf_counter() - started
        map_started = time.perf_counter()
        results, records = traced_map(
            pool, func, items, settings.chunksize, star=True, timeout=_left(deadline)
        )
        wall_s = time.perf_counter() - map_started
        finished = True
    # Pool.map_async().get raises multiprocessing.TimeoutError; an executor, and _left, TimeoutError
    except (multiprocessing.TimeoutError, TimeoutError):
        return RunResult(settings, [], [], None, startup_s, timed_out=True)
    except Exception as exc:  # noqa: BLE001 - any error a task raised is shown to the learner, not lost
        return RunResult(settings, [], [], None, startup_s, error=f"{type(exc).__name__}: {exc}")
    finally:
        _stop_pool(pool, finished=finished)
    return RunResult(settings, results, records, wall_s, startup_s)


def _task_args_for(func: Callable[..., Any], task_args: object) -> Callable[[int], tuple]:
    """Return task_args if callable, or the default for func (a prime range for count_primes, else (size,))."""
    if task_args is None:
        return _prime_range if func is book_workers.count_primes else _single_argument
    if not callable(task_args):
        raise TypeError(f"task_args must be a function of the task size, got {type(task_args).__name__}")
    return task_args


def _check_sample(task_args: Callable[[int], tuple], size: int) -> None:
    """Raise TypeError unless task_args(size) is a tuple that pickles: what each task will send."""
    sample = task_args(size)
    if not isinstance(sample, tuple):
        raise TypeError(
            f"task_args must return a tuple of the task function's arguments, got {type(sample).__name__} "
            f"{sample!r} for size {size}; e.g. task_args=lambda size: (size,)"
        )
    try:
        pickle.dumps(sample)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise TypeError(f"the task arguments {sample!r} cannot be sent to a worker: {exc}") from exc


class PoolExplorer:
    """Controls for a pool's settings and a timeline of each run; display it, or show ``.widget``."""

    def __init__(
        self,
        func: Callable[..., Any] = book_workers.count_primes,
        *,
        task_args: Callable[[int], tuple] | None = None,
        kind: str = POOL,
        workers: int = 2,
        chunksize: int = 1,
        tasks: int = 24,
        size: int = 10_000,
        size_range: tuple[int, int, int] = DEFAULT_SIZE_RANGE,
        shape: str = "equal",
        timeout: float = DEFAULT_TIMEOUT_S,
        auto_run: bool = False,
        run_first: bool = True,
        key: str = "explorer",
    ) -> None:
        """Check the arguments, build the controls, close the previous explorer of this key, maybe run once."""
        self.func = _require_importable(func)
        self.task_args = _task_args_for(func, task_args)
        max_workers = max(2, 2 * mpbook.usable_cpus())
        opening = check_settings(
            kinds=KINDS,
            kind=kind,
            workers=workers,
            max_workers=max_workers,
            chunksize=chunksize,
            tasks=tasks,
            max_tasks=MAX_TASKS,
            size=size,
            size_range=size_range,
            shapes=SHAPES,
            shape=shape,
        )
        _arguments.seconds("timeout", timeout, allow_zero=False)  # raises unless a number of seconds > 0
        self.timeout = float(timeout)
        if not isinstance(key, str):
            raise TypeError(f"key must be a str, got {type(key).__name__}")
        _check_sample(self.task_args, size)
        self.key = key
        self.history: list[RunResult] = []
        self.figure: Figure | None = None  # the last timeline, for saving: explorer.figure.savefig(...)
        self._closed = False
        self._adjusting = False  # True while the explorer itself changes a control: not a user's change

        controls = build_controls(opening, auto_run=auto_run)
        self._controls = controls.settings
        self.kind, self.workers, self.chunksize, self.tasks, self.size, self.shape = controls.settings
        self.run_button, self.auto_run, self.status = controls.run_button, controls.auto_run, controls.status
        self.image, self.output, self.widget = controls.image, controls.output, controls.widget
        for control in self._controls:
            control.observe(self._on_change, names="value")
        self.run_button.on_click(self._on_click)
        self._set_status("Press Run to start a pool with these settings.")

        self._replace_previous()
        if run_first:
            self.run()

    def _replace_previous(self) -> None:
        """Close the live explorer of this key, if any, and become the live one."""
        previous = _LIVE.get(self.key)
        if previous is not None and (old := previous()) is not None:
            old.close()
        _LIVE[self.key] = weakref.ref(self)

    @property
    def closed(self) -> bool:
        """Return True once close() has run: the controls are gone and run() refuses."""
        return self._closed

    def settings(self) -> Settings:
        """Return the settings the controls show now."""
        return Settings(
            kind=self.kind.value,
            workers=self.workers.value,
            chunksize=self.chunksize.value,
            tasks=self.tasks.value,
            size=self.size.value,
            shape=self.shape.value,
        )

    def run(self) -> RunResult:
        """Return the RunResult of one run with the current settings, after showing it in the widget."""
        if self._closed:
            raise RuntimeError("this explorer is closed; create a new one with mpbook.widgets.explorer()")
        settings = self.settings()
        self.run_button.disabled = True
        self.run_button.description = "Running…"
        self._set_status(f"Running {settings.tasks} tasks on {settings.workers} workers…")
        try:
            result = run_settings(self.func, self.task_args, settings, self.timeout)
        finally:
            self.run_button.disabled = False
            self.run_button.description = "Run"
        self.history = [*self.history, result][-HISTORY_LENGTH:]
        self._show(result)
        return result

    def close(self) -> None:
        """Remove the controls and their handlers and forget the last figure; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for control in self._controls:
            control.unobserve(self._on_change, names="value")
        self.run_button.on_click(self._on_click, remove=True)
        # timeline() figures are never registered with pyplot, so dropping the reference frees them
        self.figure = None
        for child in (*self._controls, self.run_button, self.auto_run, self.status, self.image, self.output):
            child.close()
        self.widget.close()
        if (ref := _LIVE.get(self.key)) is not None and ref() is self:
            del _LIVE[self.key]

    def _on_click(self, _button: widgets.Button) -> None:
        """Run when the Run button is clicked."""
        self.run()

    def _on_change(self, change: dict) -> None:
        """Keep chunksize <= tasks; run if "run on every change" is ticked, else say Run is needed."""
        if self._adjusting:
            return
        if change["owner"] is self.tasks:
            self._adjusting = True  # lowering max may lower chunksize's value: part of this one change
            try:
                self.chunksize.max = self.tasks.value
            finally:
                self._adjusting = False
        if self.auto_run.value:
            self.run()
        else:
            self._set_status("Settings changed: press Run.")

    def _set_status(self, text: str) -> None:
        """Show text next to the Run button."""
        self.status.value = f"<span style='color:#555'>{text}</span>"

    def _show(self, result: RunResult) -> None:
        """Draw the run's timeline into the image and write its numbers and recent runs into the output."""
        lines = [result.settings.describe()]
        if result.ok:
            fig = timeline(result.records, title=result.settings.title())
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=IMAGE_DPI)
            self.figure = fig
            self.image.value = buffer.getvalue()
            self.image.layout.display = ""
            lines.append(
                f"wall time {result.wall_s:.2f} s · {result.tasks_per_s:.1f} tasks/s · "
                f"workers busy {result.busy_fraction:.0%} of the wall time"
            )
            lines.append(
                f"(pool start-up {result.startup_s:.2f} s, not included: "
                "the workers were started and warmed up before the clock started)"
            )
            self._set_status("Done.")
        else:
            self.figure = None
            self.image.layout.display = "none"  # an old picture would pass for this run's
            if result.timed_out:
                stopped = (
                    "its queued tasks were cancelled; threads cannot be terminated, so the running ones finish"
                    if result.settings.kind == THREADS
                    else "its worker processes were terminated; none is left running"
                )
                lines.append(
                    f"Stopped: the run took longer than its timeout of {self.timeout:g} s, so {stopped}. "
                    "Try fewer or smaller tasks, or a longer timeout: explorer(timeout=...)."
                )
                self._set_status("Timed out.")
            else:
                lines.append(f"Failed: a task raised {result.error}. The pool was stopped.")
                self._set_status("Failed.")
        lines.append("")
        lines.append("Recent runs (newest last):")
        lines.extend("  " + run.summary() for run in self.history)
        self.output.outputs = ()  # set directly: works in a kernel, in tests and from any thread
        self.output.append_stdout("\n".join(lines) + "\n")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | tuple | None:
        """Return the widget's display data, so `explorer()` as a cell's last line shows the controls."""
        if self._closed:
            return {"text/plain": repr(self)}
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict):  # text/plain is what a non-widget frontend shows: make it readable
            bundle["text/plain"] = repr(self)
        return bundle

    def __repr__(self) -> str:
        """Return PoolExplorer(function, current settings)."""
        state = "closed" if self._closed else self.settings().describe()
        return f"PoolExplorer({getattr(self.func, '__qualname__', self.func)}: {state})"


def explorer(func: Callable[..., Any] = book_workers.count_primes, **options: Any) -> PoolExplorer:
    """Return a PoolExplorer for func (default count_primes); options as PoolExplorer takes them.

    Closes the previous explorer of the same ``key`` (default "explorer"), so re-running the
    cell leaves one live explorer. Display it by making it the cell's last expression.
    """
    return PoolExplorer(func, **options)
