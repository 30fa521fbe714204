"""Tasks and sample data for the exercise book: tasks that leave a record, die, or search; a folder to hash.

Why a module: the exercises hand these tasks to your pool or your processes, and a worker started
with spawn finds a task by importing its module (see ``mpbook.workers``). So they live here, at
the top level of a light module, and the checks pass them with their settings already bound by
``functools.partial``, which pickles by reference to the function.

**Tasks that leave a record.** A check cannot see inside your worker processes, so a task writes
one line per call (when it started and ended, in which process and thread) to a file of its own in
`log_dir`, and `read_records(log_dir)` reads them all back in the checking process:

    your pool / processes --task(x)--> worker: run x, append "pid thread start end x" to log_dir/<pid>-<thread>.log
    check: read_records(log_dir) --> [Record(pid, thread, start, end, item), ...]

Each process and thread writes only its own file, so no two writers share one. The times come
from ``time.monotonic()``, one clock for every process of the machine, so records of different
processes compare.

**Tasks that die.** `exit_on` ends its worker with ``os._exit`` for some items, every time or only
the first time (a marker file remembers), as an out-of-memory kill or a crash in a C extension would.

**A folder to hash.** `make_sample_folder` writes files of known, reproducible content, for the
capstone: hash every file in parallel.

Standard library only, as every spawned child imports this module.
"""

from __future__ import annotations

import ast
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from mpbook.workers import _require_int

__all__ = [
    "EXIT_CODE",
    "DiesWhenUsed",
    "Record",
    "check_item",
    "compute_with",
    "exit_at_once",
    "exit_on",
    "make_sample_folder",
    "read_records",
    "run_and_record",
    "sample_folder",
    "stay_silent",
]

# The exit status exit_on gives its process: the same as mpbook.pooling.exit_abruptly_on's.
EXIT_CODE = 70


class Record(NamedTuple):
    """One call of a recording task: which process and thread ran it, when, on which item."""

    pid: int
    thread: int
    start: float  # time.monotonic() when the call began
    end: float  # ... and when it returned (or, for a task that killed its worker, when it died)
    item: object


def _record(log_dir: str | os.PathLike, start: float, end: float, item: object) -> None:
    """Append one call to this process's and thread's own log file in log_dir."""
    path = Path(log_dir) / f"{os.getpid()}-{threading.get_ident()}.log"
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"{start!r} {end!r} {item!r}\n")


def read_records(log_dir: str | os.PathLike) -> list[Record]:
    """Return every call the recording tasks wrote to log_dir, earliest start first."""
    records = []
    for path in Path(log_dir).glob("*-*.log"):
        pid, thread = (int(part) for part in path.stem.split("-"))
        for line in path.read_text(encoding="utf-8").splitlines():
            start, end, item = line.split(" ", 2)
            records.append(Record(pid, thread, float(start), float(end), ast.literal_eval(item)))
    return sorted(records, key=lambda record: record.start)


def run_and_record(task: Callable, log_dir: str | os.PathLike, item: object) -> object:
    """Return task(item), after writing the call (process, thread, start, end, item) to log_dir.

    Bind task and log_dir with functools.partial(run_and_record, task, log_dir): the result takes
    one argument, as map and submit pass it.
    """
    start = time.monotonic()
    result = task(item)
    _record(log_dir, start, time.monotonic(), item)
    return result


def check_item(
    item: object,
    hits: frozenset | set | tuple = (),
    seconds: float = 0.0,
    log_dir=None,
    hit_seconds: float | None = None,
) -> bool:
    """Return True if item is one of `hits`, after `seconds` of pretended work; record the call in log_dir.

    Stands in for an expensive test of one candidate (a password guess, a model fit). With
    log_dir, every call is written there, so a check can count how much work went on after a hit.
    hit_seconds, if given, is how long a hit takes instead: a hit found while the other workers
    are still in the middle of a long item.
    """
    for name, value in (("seconds", seconds), ("hit_seconds", 0.0 if hit_seconds is None else hit_seconds)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    found = item in hits
    pause = hit_seconds if found and hit_seconds is not None else seconds
    start = time.monotonic()
    time.sleep(pause)
    if log_dir is not None:
        _record(log_dir, start, time.monotonic(), item)
    return found


def exit_on(item: int, always: tuple = (), once: tuple = (), log_dir=None, seconds: float = 0.0) -> int:
    """Return item * item after `seconds`; end this process with os._exit for an item in `always`, or in `once` the first time.

    Which items already died once is remembered by marker files in log_dir (needed for `once`).
    Every call is recorded in log_dir first, the ones that die included. Call it in a pool worker,
    never in your own process: it would end your program (or the notebook's kernel).
    """
    start = time.monotonic()
    if log_dir is not None:
        _record(log_dir, start, start, item)
    if item in always:
        os._exit(EXIT_CODE)
    if item in once:
        if log_dir is None:
            raise ValueError("exit_on needs a log_dir to remember which `once` items already died")
        marker = Path(log_dir) / f"died-once-{item!r}"
        if not marker.exists():
            marker.touch()
            os._exit(EXIT_CODE)
    time.sleep(seconds)
    return item * item


class DiesWhenUsed:
    """A stand-in for a number that ends its process with os._exit(EXIT_CODE) once arithmetic or a comparison touches it.

    Put one among the numbers a check hands your workers: the worker that computes with it dies
    as a crashed or killed worker would, and the result never comes. It pickles by reference to
    this module, so it reaches a spawned worker. In the process that made it, it raises
    RuntimeError instead: computing there is a mistake the check reports, not a reason to die.
    """

    def __init__(self) -> None:
        self.made_in = os.getpid()

    def _die(self, *_args):
        if os.getpid() == self.made_in:
            raise RuntimeError("DiesWhenUsed was computed with in the process that made it, not in a worker")
        os._exit(EXIT_CODE)

    __mul__ = __rmul__ = __add__ = __radd__ = __lt__ = __le__ = __gt__ = __ge__ = _die

    def __repr__(self) -> str:
        return "DiesWhenUsed()"


def compute_with(dies: DiesWhenUsed, *_args):
    """Compute with `dies`, ignoring the task's arguments: the worker that runs this dies, and its result never comes.

    A stand-in for a pool's task function: functools.partial(compute_with, DiesWhenUsed()). In the
    process that made `dies` it raises RuntimeError instead.
    """
    return dies * 1


def exit_at_once(*_args, **_kwargs) -> None:
    """End this process at once with os._exit(EXIT_CODE), whatever the arguments: a child that dies on arrival.

    A process target for a check: started in place of your child's function, it shows what your
    parent does when its child is gone. Never call it in your own process.
    """
    os._exit(EXIT_CODE)


def stay_silent(*_args, seconds: float = 10.0) -> None:
    """Return None after sleeping `seconds`, whatever the arguments: a child that holds its ends open and never answers.

    A process target for a check: started in place of your child's function, it shows whether your
    parent's waits have timeouts.
    """
    time.sleep(seconds)


def make_sample_folder(
    path: str | os.PathLike, count: int = 24, size: int = 100_000, seed: int = 0
) -> list[str]:
    """Create `count` files of about `size` bytes under path, in a few subfolders; return their relative paths.

    The content depends only on (count, size, seed), so every run makes the same files with the
    same SHA-256 digests. Sizes vary between half and one and a half times `size`, as real files do.
    Paths use "/" on every platform: "docs/file-003.bin". The folder is created if needed; files of
    the same names are overwritten.
    """
    _require_int("count", count, minimum=0)
    _require_int("size", size, minimum=0)
    _require_int("seed", seed)
    root = Path(path)
    rng = random.Random(seed)
    # One random block, sliced at a different offset for each file: making the bytes costs about a
    # memory copy, so even a few hundred megabytes are quick to write.
    block = rng.randbytes(max(1, size) * 2 + 4096)
    folders = ("", "docs", "images", "images/raw")
    names = []
    for index in range(count):
        length = rng.randint(size // 2, size + size // 2) if size else 0
        offset = rng.randrange(4096)
        header = f"sample {seed} {index}\n".encode()
        body = (header + block[offset : offset + length])[:length]
        name = f"{folders[index % len(folders)]}/file-{index:03d}.bin".lstrip("/")
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            out.write(body)
        names.append(name)
    return sorted(names)


def sample_folder(count: int = 24, size: int = 100_000, seed: int = 0) -> str:
    """Return the path of a folder of sample files (see make_sample_folder) in the temporary directory.

    The folder is named after its settings ("mpbook-sample-24x100000-seed0"), so the same call
    gives the same folder and the same files; they are written again each time, which takes
    milliseconds for the default sizes. Delete it when you are done, or let the system do it.
    """
    path = Path(tempfile.gettempdir()) / f"mpbook-sample-{count}x{size}-seed{seed}"
    make_sample_folder(path, count, size, seed)
    return str(path)
