"""Checks for ex09_shared_array_sum.

A spy watches the learner's parallel_sum from the test process, whatever the start method:
every shared memory block it creates here, every byte multiprocessing pickles to send to another
process (process start-up data, pool tasks, queue and pipe messages), and the arguments of every
process it starts (under fork they are inherited, not pickled). So the checks see what a worker
was sent (the name, or the array itself) without timing anything.
"""

import contextlib
import inspect
import io
import sys
from multiprocessing import reduction, shared_memory
from multiprocessing.process import BaseProcess

import numpy as np

from mpbook import _leaks
from mpbook.grading.checking import deadline, exercise, points

ex = exercise("ex09_shared_array_sum")

BIG_ITEMS = 5_000_000  # 40 MB of float64: pickling it, or half of it, to a worker cannot go unnoticed
PICKLED_LIMIT = 1_000_000  # bytes; start-up data and a few tasks holding a name weigh a few kilobytes


class Spy:
    """What parallel_sum did in this process: blocks created, bytes pickled for other processes."""

    def __init__(self) -> None:
        self.created: list[shared_memory.SharedMemory] = []
        self.payloads: list[bytes] = []
        self.process_args: list[str] = []  # under fork a Process's arguments are inherited, not pickled

    @property
    def pickled_bytes(self) -> int:
        return sum(len(payload) for payload in self.payloads)

    def sent(self, text: str) -> bool:
        """Return True if text (a block's name) went to another process."""
        encoded = text.encode()
        return any(encoded in payload for payload in self.payloads) or any(
            text in a for a in self.process_args
        )


@contextlib.contextmanager
def spying():
    """Record blocks created, and data pickled or handed to new processes, while the block runs."""
    spy = Spy()
    original_init = shared_memory.SharedMemory.__init__
    original_dumps = reduction.ForkingPickler.__dict__["dumps"]  # a classmethod
    original_dump = reduction.dump
    original_start = BaseProcess.start
    signature = inspect.signature(original_init)

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if signature.bind(self, *args, **kwargs).arguments.get("create"):
            spy.created.append(self)

    def dumps(cls, obj, protocol=None):
        payload = original_dumps.__func__(cls, obj, protocol)
        spy.payloads.append(bytes(payload))
        return payload

    def dump(obj, file, protocol=None):
        buffer = io.BytesIO()  # the file may be a pipe (Windows), which cannot be read back
        original_dump(obj, buffer, protocol)
        spy.payloads.append(buffer.getvalue())
        file.write(buffer.getvalue())

    def start(self):
        spy.process_args.append(repr((self._args, self._kwargs)))
        return original_start(self)

    shared_memory.SharedMemory.__init__ = init
    reduction.ForkingPickler.dumps = classmethod(dumps)
    reduction.dump = dump
    BaseProcess.start = start
    try:
        yield spy
    finally:
        shared_memory.SharedMemory.__init__ = original_init
        reduction.ForkingPickler.dumps = original_dumps
        reduction.dump = original_dump
        BaseProcess.start = original_start


def blocks_on_disk() -> set[str]:
    """Return the names of the shared memory blocks in /dev/shm: files, named semaphores left out.

    Directories are not blocks (joblib, for one, keeps folders of memory-mapped files there).
    """
    return {
        name
        for name in _leaks.shm_segments()
        if not name.startswith("sem.") and (_leaks.SHM_DIR / name).is_file()
    }


def left_behind(spy: Spy, before: set[str]) -> list[str]:
    """Return the blocks this call created (here, or in a worker) that still exist.

    A new block that another program maps right now (a concurrent run) is not counted.
    """
    after = blocks_on_disk()
    created_here = {block.name for block in spy.created}
    elsewhere = _leaks.orphaned(after - before - created_here)
    return sorted((created_here & after) | elsewhere)


def linux_only() -> bool:
    """Return True where blocks are files in /dev/shm and can be listed (Linux)."""
    return sys.platform.startswith("linux") and _leaks.SHM_DIR.is_dir()


def describe(array: np.ndarray) -> str:
    return f"a {array.dtype} array of {array.size:,} items"


@points(2)
@deadline(40)
def test_sums_like_numpy():
    """Arrays of several sizes and dtypes sum to what NumPy says, on two and three workers."""
    rng = np.random.default_rng(7)
    cases = [
        (rng.random(1_000_001), 2),
        (np.arange(100_000, dtype=np.int64), 3),
        (rng.random(250_000).astype(np.float32), 2),
        (rng.integers(-1000, 1000, size=10_007, dtype=np.int32), 2),
    ]
    for array, workers in cases:
        got = ex.parallel_sum(array, workers)
        expected = float(array.sum(dtype=np.float64))
        assert np.isclose(got, expected, rtol=1e-5, atol=1e-6), (
            f"Called parallel_sum({describe(array)}, workers={workers}); got {got!r}, expected {expected!r}. "
            "Does every item belong to exactly one slice, and does each worker read the dtype it was given?"
        )


@points(1)
def test_empty_array_and_more_workers_than_items():
    """An empty array sums to 0.0, and three items on four workers still sum right."""
    got = ex.parallel_sum(np.array([], dtype=np.float64), 2)
    assert got == 0.0, (
        f"Called parallel_sum(an empty float64 array, workers=2); got {got!r}, expected 0.0. "
        "SharedMemory(size=0) raises ValueError: return 0.0 before creating a block."
    )
    got = ex.parallel_sum(np.array([1.5, 2.5, 3.0]), 4)
    assert got == 7.0, (
        f"Called parallel_sum(np.array([1.5, 2.5, 3.0]), workers=4); got {got!r}, expected 7.0. "
        "With more workers than items some slices are empty; their sum is 0."
    )


@points(2)
@deadline(40)
def test_only_the_name_travels():
    """A 40 MB array reaches the workers as a block's name: the array is copied into shared memory, not pickled."""
    array = np.random.default_rng(8).random(BIG_ITEMS)
    with spying() as spy:
        got = ex.parallel_sum(array, 2)
    expected = float(array.sum())
    assert np.isclose(got, expected, rtol=1e-9), (
        f"Called parallel_sum({describe(array)}, workers=2); got {got!r}, expected {expected!r}."
    )
    called = f"Called parallel_sum({describe(array)} ({array.nbytes / 1e6:.0f} MB), workers=2)"
    assert spy.pickled_bytes < PICKLED_LIMIT, (
        f"{called}; {spy.pickled_bytes / 1e6:.1f} MB were pickled and sent to other processes, expected a few "
        "kilobytes. Send each worker the block's name, the dtype and its bounds, never the array or a slice of it."
    )
    blocks = [block for block in spy.created if block.size >= array.nbytes]
    assert blocks, (
        f"{called}; it created no shared memory block big enough for the array here "
        f"(blocks created: {[block.size for block in spy.created]} bytes). "
        "Create one with shared_memory.SharedMemory(create=True, size=array.nbytes) and copy the array into it."
    )
    assert any(spy.sent(block.name) for block in blocks), (
        f"{called}; it created block {blocks[0].name!r}, but no worker process was sent its name. "
        "The workers must do the summing: give each one the name and its slice's bounds."
    )


@points(1)
def test_no_block_left_behind():
    """After parallel_sum returns, its block is unlinked and closed (Linux: nothing new in /dev/shm)."""
    if not linux_only():
        return  # other systems do not list their blocks as files
    array = np.arange(1_000, dtype=np.float64)
    before = blocks_on_disk()
    with spying() as spy:
        got = ex.parallel_sum(array, 2)
    assert got == float(array.sum()), f"Called parallel_sum({describe(array)}, workers=2); got {got!r}."
    leaked = left_behind(spy, before)
    assert not leaked, (
        f"Called parallel_sum({describe(array)}, workers=2); afterwards block(s) {leaked} were still in /dev/shm. "
        "The process that created the block must call unlink(), once, after the workers are done."
    )
    still_open = [block.name for block in spy.created if getattr(block, "_buf", None) is not None]
    assert not still_open, (
        f"Called parallel_sum({describe(array)}, workers=2); it unlinked its block but never closed it here. "
        "Call close() in every process that used the block, the creator included, then unlink()."
    )


@points(1)
def test_no_block_left_behind_when_a_worker_fails():
    """A worker that fails (strings cannot be summed) makes parallel_sum raise, and the block is still unlinked."""
    if not linux_only():
        return  # other systems do not list their blocks as files
    array = np.array(["spam", "eggs", "ham"])
    before = blocks_on_disk()
    raised = None
    with spying() as spy:
        try:
            got = ex.parallel_sum(array, 2)
        except Exception as exc:  # noqa: BLE001 - any error from the worker will do
            raised = exc
    assert raised is not None, (
        f"Called parallel_sum(np.array(['spam', 'eggs', 'ham']), workers=2); it returned {got!r}, expected the "
        "workers' error (NumPy cannot add strings) to be raised by get() in the parent."
    )
    if isinstance(raised, NotImplementedError):
        raise raised  # reported as "not done yet"
    leaked = left_behind(spy, before)
    assert not leaked, (
        f"Called parallel_sum(np.array(['spam', 'eggs', 'ham']), workers=2); it raised {type(raised).__name__}, "
        f"and its block(s) {leaked} were left in /dev/shm. Unlink in a `finally:` so a failing worker "
        "cannot leak the block."
    )
