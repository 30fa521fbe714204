"""What ex09's checks can only see from inside the learner's process: blocks created, bytes pickled, copies made.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. A spy records every shared memory block parallel_sum
creates in that process, every byte multiprocessing pickles to send to another process (process
start-up data, pool tasks, queue and pipe messages) and the arguments of every process it starts
(under fork they are inherited, not pickled). Copies are seen with tracemalloc, which counts
NumPy's array buffers and every bytes object but not shared memory.

Code of the learner's that rewrote this probe could fake what it reports: the process count (one
point of test_sums_like_numpy, whose sums the trusted side checks, and never more processes than
`workers` seen from there), what travelled and was copied (test_only_the_name_travels), the copy
and the leftovers of sum_slice (test_sum_slice_reads_in_place_and_leaves_the_block), and which of
its blocks were left open. Blocks left in /dev/shm are seen by the trusted side for itself.
with_lost_results puts a stand-in that kills its worker in place of sum_slice and shortens
RESULT_TIMEOUT_S; rewritten, it could report the TimeoutError a right answer raises: that earns the
one point of test_gives_up_when_the_results_never_come.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import io
import multiprocessing as mp
import os
import tracemalloc
from multiprocessing import reduction, resource_tracker, shared_memory
from multiprocessing.process import BaseProcess
from pathlib import Path

import numpy as np

from mpbook.grading import probing
from mpbook.practice import DiesWhenUsed, compute_with

CHILD_TIMEOUT_S = 30  # the child sums 20 MB in well under a second; 30 s is a very busy machine


class Spy:
    """What parallel_sum did in this process: blocks created, bytes pickled for other processes, processes started."""

    def __init__(self) -> None:
        self.created: list[shared_memory.SharedMemory] = []
        self.payloads: list[bytes] = []
        self.process_args: list[str] = []  # under fork a Process's arguments are inherited, not pickled
        self.started = 0

    @property
    def pickled_bytes(self) -> int:
        return sum(len(payload) for payload in self.payloads)

    def sent(self, text: str) -> bool:
        """Return True if text (a block's name) went to another process."""
        encoded = text.encode()
        return any(encoded in payload for payload in self.payloads) or any(
            text in a for a in self.process_args
        )

    def blocks(self) -> list[dict]:
        """Return each block created, as plain data: name, size, sent to another process, still open here."""
        return [
            {
                "name": block.name,
                "size": block.size,
                "sent": self.sent(block.name),
                "open": getattr(block, "_buf", None) is not None,
            }
            for block in self.created
        ]

    def release(self) -> None:
        """Close (never unlink) what the spy kept open: whether it was unlinked is for the trusted side to see."""
        for block in self.created:
            with contextlib.suppress(Exception):
                block.close()
        self.created.clear()


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
        spy.started += 1
        spy.process_args.append(repr((self._args, self._kwargs)))
        return original_start(self)

    shared_memory.SharedMemory.__init__ = init
    reduction.ForkingPickler.dumps = classmethod(dumps)  # type: ignore[assignment]  # deliberate spying patch
    reduction.dump = dump
    BaseProcess.start = start
    try:
        yield spy
    finally:
        shared_memory.SharedMemory.__init__ = original_init
        reduction.ForkingPickler.dumps = original_dumps
        reduction.dump = original_dump
        BaseProcess.start = original_start


def sum_cases() -> list:
    """Return test_sums_like_numpy's (array, workers) cases: built in each process from one seed.

    Built here and in the trusted process alike: an array of 8 MB or more cannot be sent as a
    call's argument (see the checks' module docstring).
    """
    rng = np.random.default_rng(7)
    return [
        (rng.random(1_000_001), 2),
        (np.arange(100_000, dtype=np.int64), 3),
        (rng.random(250_000).astype(np.float32), 2),
        (rng.integers(-1000, 1000, size=10_007, dtype=np.int32), 2),
    ]


def big_array(seed: int, items: int) -> np.ndarray:
    """Return `items` random float64 numbers from `seed`: the same array in every process."""
    return np.random.default_rng(seed).random(items)


def start_helpers(module) -> None:
    """Start the resource tracker now (and the fork server under forkserver), before the trusted side watches.

    Every start method starts the tracker on the first SharedMemory(create=True). It is started by
    fork and exec: until the exec it shows the learner's own command line, so a watch of the
    process tree running then would count it as one of the learner's processes.
    """
    resource_tracker.ensure_running()
    if mp.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def starts(module, case: int) -> dict:
    """Call module.parallel_sum(array, workers) for sum_cases()[case]; return what it returned and how many
    processes it started."""
    module.parallel_sum  # noqa: B018 - a missing function is reported before any array is built
    array, workers = sum_cases()[case]
    with spying() as spy:
        try:
            got = module.parallel_sum(array, workers)
        finally:
            spy.release()
    return {"got": got, "started": spy.started}


def travels(module, seed: int, items: int, workers: int) -> dict:
    """Call module.parallel_sum(big_array(seed, items), workers) under the spy and tracemalloc; return what it returned, the bytes
    pickled for other processes, the blocks it created here and the peak bytes allocated during the call."""
    module.parallel_sum  # noqa: B018 - a missing function is reported before the measuring starts
    array = big_array(seed, items)
    with spying() as spy:
        tracemalloc.start()
        try:
            got = module.parallel_sum(array, workers)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        blocks = spy.blocks()
        spy.release()
    return {"got": got, "pickled_bytes": spy.pickled_bytes, "blocks": blocks, "peak": peak}


def blocks(module, array, workers: int) -> dict:
    """Call module.parallel_sum(array, workers); return what it returned or raised, and the blocks it created here."""
    module.parallel_sum  # noqa: B018 - a missing function is reported as missing, not as an error raised
    with spying() as spy:
        try:
            got = module.parallel_sum(array, workers)
        except NotImplementedError:
            spy.release()
            raise
        except Exception as exc:  # noqa: BLE001 - any error from the workers will do
            outcome = {"raised": type(exc).__name__}
        else:
            outcome = {"got": got}
        outcome["blocks"] = spy.blocks()
        spy.release()
    return outcome


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


def measure_sum_slice(module_name: str, name: str, dtype: str, start: int, stop: int, report) -> None:
    """In a child: run the learner's sum_slice under tracemalloc; put (result, peak bytes, still open) on report."""
    try:
        sum_slice = importlib.import_module(module_name).sum_slice  # imported before the measuring starts
        before = holding(name)  # under fork, the child inherits the probe's own mapping of the block
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


def sum_slice_alone(module, seed: int, items: int, start: int, stop: int) -> dict:
    """Copy big_array(seed, items) into a new block, run module.sum_slice on start:stop in a child of its own, return what it
    returned (or raised), its peak allocation, what it still held, and whether the block still existed."""
    module.sum_slice  # noqa: B018 - a missing function is reported before any block is made
    array = big_array(seed, items)
    block = shared_memory.SharedMemory(create=True, size=array.nbytes)
    try:
        assert block.buf is not None  # None only once closed
        shared = np.frombuffer(block.buf, dtype=array.dtype, count=array.size)
        shared[:] = array
        del shared
        report = mp.SimpleQueue()  # one short message: joining before reading it cannot block
        child = mp.Process(
            target=measure_sum_slice, args=(module.__name__, block.name, array.dtype.str, start, stop, report)
        )
        child.start()
        child.join(timeout=CHILD_TIMEOUT_S)
        if child.is_alive():
            child.kill()
            child.join(timeout=5)
            return {"outcome": "waiting"}
        outcome, got, peak, held = report.get() if not report.empty() else ("died", child.exitcode, 0, [])
        exists = block_exists(block.name)
    finally:
        block.close()
        with contextlib.suppress(FileNotFoundError):
            block.unlink()
    return {"outcome": outcome, "got": got, "peak": peak, "held": held, "exists": exists}


def with_lost_results(module, seconds: float, array: np.ndarray, workers: int) -> tuple:
    """Call module.parallel_sum(array, workers) with RESULT_TIMEOUT_S = seconds and sum_slice killing its worker.

    Return ("returned", value) or ("raised", "module.QualifiedName", message): the trusted side tells
    multiprocessing.TimeoutError from any other exception by its full name.
    """
    dies = functools.partial(compute_with, DiesWhenUsed())  # made here: dies in a worker
    try:
        with probing.replaced(module, RESULT_TIMEOUT_S=seconds, sum_slice=dies):
            return probing.outcome(module.parallel_sum, array, workers)
    finally:
        probing.stop_children()
