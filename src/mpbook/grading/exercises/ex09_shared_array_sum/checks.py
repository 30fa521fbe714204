"""Checks for ex09_shared_array_sum.

A spy watches the learner's parallel_sum from the test process, whatever the start method:
every shared memory block it creates here, every byte multiprocessing pickles to send to another
process (process start-up data, pool tasks, queue and pipe messages), and the arguments of every
process it starts (under fork they are inherited, not pickled). So the checks see what a worker
was sent (the name, or the array itself) without timing anything.

Copies are seen with tracemalloc, which counts NumPy's array buffers and every bytes object but not
shared memory: the parent's peak during parallel_sum, and a worker's peak during sum_slice (run by
the check in a child of its own, on a block the check made).
"""

import contextlib
import inspect
import io
import multiprocessing as mp
import os
import sys
import tracemalloc
from multiprocessing import reduction, shared_memory
from multiprocessing.process import BaseProcess
from pathlib import Path

import numpy as np

from mpbook import _leaks
from mpbook.grading.checking import counting_process_starts, deadline, exercise, points

ex = exercise("ex09_shared_array_sum")

BIG_ITEMS = 5_000_000  # 40 MB of float64: pickling it, or half of it, to a worker cannot go unnoticed
PICKLED_LIMIT = 1_000_000  # bytes; start-up data and a few tasks holding a name weigh a few kilobytes
# Peak bytes allocated (tracemalloc) during a call, as a share of the data it reads: a view and a sum
# allocate a few kilobytes; one copy of the data (np.array(view), .copy(), tobytes()) is 100%.
COPY_SHARE = 0.25
CHILD_TIMEOUT_S = 30  # the check's own child sums 20 MB in well under a second; 30 s is a very busy machine


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


def holding(name: str) -> tuple[int, int]:
    """Return how many mappings of, and file descriptors on, the block `name` this process has (Linux; else 0, 0)."""
    maps = fds = 0
    with contextlib.suppress(OSError):
        maps = sum(name in line for line in Path("/proc/self/maps").read_text().splitlines())
    with contextlib.suppress(OSError):
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                fds += name in os.readlink(f"/proc/self/fd/{fd}")
    return maps, fds


def still_open_after(name: str, before: tuple[int, int]) -> list[str]:
    """Return what this process holds of the block now and did not before: "mapped", "file descriptor"."""
    after = holding(name)
    return [
        what for what, was, now in zip(("mapped", "file descriptor"), before, after, strict=True) if now > was
    ]


def measure_sum_slice(name: str, dtype: str, start: int, stop: int, report) -> None:
    """In a child: run the learner's sum_slice under tracemalloc; put (result, peak bytes, still open) on report."""
    try:
        sum_slice = ex.sum_slice  # imports the learner's module before the measuring starts
        before = holding(name)  # under fork, the child inherits the check's own mapping of the block
        tracemalloc.start()
        got = sum_slice(name, dtype, start, stop)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report.put(("returned", got, peak, still_open_after(name, before)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which turns it into a message
        report.put(("raised", f"{type(exc).__name__}({str(exc)!r})", 0, []))


def block_exists(name: str) -> bool:
    """Return True if a shared memory block called name can still be attached to."""
    try:
        attached = shared_memory.SharedMemory(name=name)
    except FileNotFoundError:
        return False
    attached.close()
    return True


@points(1)
@deadline(40)
def test_sums_like_numpy():
    """Arrays of several sizes and dtypes sum to what NumPy says, on pools of two and three workers."""
    rng = np.random.default_rng(7)
    cases = [
        (rng.random(1_000_001), 2),
        (np.arange(100_000, dtype=np.int64), 3),
        (rng.random(250_000).astype(np.float32), 2),
        (rng.integers(-1000, 1000, size=10_007, dtype=np.int32), 2),
    ]
    for array, workers in cases:
        with counting_process_starts() as started:
            got = ex.parallel_sum(array, workers)
        expected = float(array.sum(dtype=np.float64))
        call = f"Called parallel_sum({describe(array)}, workers={workers})"
        assert np.isclose(got, expected, rtol=1e-5, atol=1e-6), (
            f"{call}; got {got!r}, expected {expected!r}. "
            "Does every item belong to exactly one slice, and does each worker read the dtype it was given?"
        )
        assert len(started) == workers, (
            f"{call}; the sum was right, but {len(started)} process(es) were started, expected {workers}: "
            f"a pool of `workers` processes, mp.Pool(processes=workers). (mp.Pool() alone starts one per CPU, "
            f"{os.cpu_count()} here, whatever `workers` says.)"
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
    ex.parallel_sum  # noqa: B018 - imports the learner's module before the measuring starts
    with spying() as spy:
        tracemalloc.start()
        try:
            got = ex.parallel_sum(array, 2)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
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
    assert peak < COPY_SHARE * array.nbytes, (
        f"{called}; this process allocated up to {peak / 1e6:.0f} MB during the call, expected a few kilobytes: "
        "the array was copied on its way into the block. Copy it once, straight into a NumPy view of "
        "block.buf (`shared = np.frombuffer(block.buf, ...)`, then `shared[:] = array`), not through "
        "array.tobytes() or array.copy()."
    )


@points(1)
@deadline(40)
def test_sum_slice_reads_in_place_and_leaves_the_block():
    """sum_slice, run alone in a child on a 40 MB block, copies nothing, closes the block and does not unlink it."""
    array = np.random.default_rng(9).random(BIG_ITEMS)
    start, stop = BIG_ITEMS // 4, 3 * BIG_ITEMS // 4
    block = shared_memory.SharedMemory(create=True, size=array.nbytes)
    try:
        shared = np.frombuffer(block.buf, dtype=array.dtype, count=array.size)
        shared[:] = array
        del shared
        report = mp.SimpleQueue()  # one short message: joining before reading it cannot block
        child = mp.Process(target=measure_sum_slice, args=(block.name, array.dtype.str, start, stop, report))
        child.start()
        child.join(timeout=CHILD_TIMEOUT_S)
        if child.is_alive():
            child.kill()
            child.join(timeout=5)
            raise AssertionError(
                f"Ran sum_slice(name, '<f8', {start}, {stop}) in a child; it had not returned after "
                f"{CHILD_TIMEOUT_S} s. Attach with SharedMemory(name=name), sum a view, close: nothing waits."
            )
        outcome, got, peak, held = report.get() if not report.empty() else ("died", child.exitcode, 0, [])
        exists = block_exists(block.name)
    finally:
        block.close()
        with contextlib.suppress(FileNotFoundError):
            block.unlink()
    call = f"Ran sum_slice(name, '<f8', {start:,}, {stop:,}) in a child, on a block holding {describe(array)}"
    if outcome == "raised" and got.startswith("NotImplementedError"):
        raise NotImplementedError(got)  # reported as "not done yet"
    assert outcome == "returned", f"{call}; it {outcome}: {got}."
    expected = float(array[start:stop].sum())
    assert np.isclose(got, expected, rtol=1e-9), f"{call}; got {got!r}, expected {expected!r}."
    slice_bytes = (stop - start) * array.itemsize
    assert peak < COPY_SHARE * slice_bytes, (
        f"{call}; it allocated up to {peak / 1e6:.0f} MB, for a slice of {slice_bytes / 1e6:.0f} MB: it copied "
        "the data out of the block. np.frombuffer(block.buf, ...) and a slice of it are views, they copy "
        "nothing; np.array(view), view.copy() and bytes(block.buf) copy it all."
    )
    assert exists, (
        f"{call}; afterwards the block was gone: sum_slice unlinked it. Only the process that created the "
        "block unlinks it, once, when every worker is done; a worker only closes it."
    )
    assert not held, (
        f"{call}; when it had returned, the child still held the block ({' and '.join(held)}). Close it in "
        "sum_slice, in a `finally:`, after your views of it are gone."
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
