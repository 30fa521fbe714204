"""Targets for chapter 03: processes that share state instead of sending copies.

Why a module: a spawned child imports its target by name, so every function a chapter
hands to a `Process` or a pool lives here, not in a notebook cell (see chapter 01).

Three ways to share, and how data moves in each:

    Value / Array / Lock ...   created by the parent, handed over when the child starts
        parent --Process(args=(counter,))--> child: counter.value += 1
        parent <--------- the same bytes ---------- (nothing is sent back)

    shared_memory              a named block of memory; only the name travels
        parent: SharedMemory(create=True) --queue/args: name, shape, dtype--> worker
        worker: SharedMemory(name) -> NumPy view -> reads/writes in place -> close()
        parent: reads the same block -> close() -> unlink() (once)

    Manager                    a server process owns the objects; everyone else holds proxies
        worker --proxy call (pickled request)--> manager process --pickled reply--> worker

Standard library only at import time: every spawned child imports this module, and a
light import keeps process start in the tens of milliseconds. NumPy is imported inside
the functions that need it.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import queue
import time
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from mpbook import _arguments

__all__ = [
    "SharedArrayRef",
    "acquired",
    "add_to_shared_rows",
    "check_items_until_stopped",
    "fill_with_squares",
    "increment_unsafely",
    "increment_with_lock",
    "pay_with_fee",
    "produce_items",
    "record_square",
    "run_phases",
    "serve_array_sums",
    "set_shareable_item",
    "transfer",
    "work_in_limited_slots",
]

DEFAULT_TIMEOUT_S = 30.0  # no acquire or wait in this module blocks longer than this by default


class SharedArrayRef(NamedTuple):
    """How to find a NumPy array in shared memory: the block's name, the shape and the dtype.

    This is what you send to another process instead of the array: a few dozen bytes.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str


# --- helpers -----------------------------------------------------------------------------


def _require_name(name: object) -> str:
    """Return name if it is a non-empty str (a shared memory block's name); else raise."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be the shared memory block's name (a non-empty str), got {name!r}")
    return name


def _require_ref(ref: object) -> SharedArrayRef:
    """Return ref as a SharedArrayRef if it has a valid name, shape and dtype; else raise."""
    if not isinstance(ref, tuple) or len(ref) != 3:
        raise TypeError(f"ref must be a SharedArrayRef(name, shape, dtype), got {ref!r}")
    name, shape, dtype = ref
    _require_name(name)
    if not isinstance(shape, tuple) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise TypeError(f"shape must be a tuple of ints >= 0, got {shape!r}")
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a str such as 'float64', got {dtype!r}")
    return SharedArrayRef(name, shape, dtype)


@contextlib.contextmanager
def acquired(lock: Any, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[None]:
    """Hold `lock` (Lock, RLock, Semaphore, Condition...) for the block; TimeoutError if not got in time.

    `with lock:` waits forever if another process died while holding the lock;
    this waits at most `timeout` seconds and then fails with a message.
    """
    _arguments.has("lock", lock, "acquire", "release", what="a lock (with acquire and release)")
    _arguments.seconds("timeout", timeout, allow_zero=True)
    if not lock.acquire(timeout=timeout):
        raise TimeoutError(f"could not acquire {lock!r} within {timeout} s")
    try:
        yield
    finally:
        lock.release()


# --- section 1: Value and Array ----------------------------------------------------------


def increment_unsafely(counter: Any, times: int) -> None:
    """Add 1 to counter.value `times` times with `+=`, which is NOT atomic: concurrent updates get lost.

    `counter.value += 1` is a read (take the lock, read, release) followed by a write
    (take the lock, write, release). Another process can write in between; its update
    is then overwritten.
    """
    _arguments.has("counter", counter, "value", what="a multiprocessing Value or RawValue")
    _arguments.integer("times", times, minimum=0)
    for _ in range(times):
        counter.value += 1


def increment_with_lock(counter: Any, times: int) -> None:
    """Add 1 to counter.value `times` times, holding the Value's own lock for each read-modify-write."""
    _arguments.has("counter", counter, "value", "get_lock", what="a multiprocessing Value made with a lock")
    _arguments.integer("times", times, minimum=0)
    for _ in range(times):
        with counter.get_lock():
            counter.value += 1


def fill_with_squares(shared: Any) -> None:
    """Set shared[i] = i * i for every i of a float64 Array, through a NumPy view (no copy)."""
    import numpy as np

    raw = shared.get_obj() if hasattr(shared, "get_obj") else shared  # Array(...) wraps; RawArray is bare
    if not isinstance(raw, ctypes.Array) or raw._type_ is not ctypes.c_double:
        raise TypeError(
            f"shared must be a multiprocessing Array('d', n) or RawArray('d', n), got {type(shared).__name__}"
        )
    view = np.frombuffer(memoryview(raw), dtype=np.float64)  # the Array's own memory, seen as a NumPy array
    with acquired(shared.get_lock()) if hasattr(shared, "get_lock") else contextlib.nullcontext():
        view[:] = np.arange(len(view), dtype=np.float64) ** 2


# --- section 2: synchronisation primitives -----------------------------------------------


def transfer(lock: Any, accounts: Any, source: int, destination: int, times: int) -> None:
    """Move 1 unit from accounts[source] to accounts[destination] `times` times, each move under `lock`.

    One lock guards both entries, so nobody holding the lock ever sees a unit in flight.
    """
    _arguments.has("accounts", accounts, "__getitem__", "__setitem__", "__len__", what="a shared array")
    for label, index in (("source", source), ("destination", destination)):
        _arguments.integer(label, index, minimum=0)
        if index >= len(accounts):
            raise ValueError(f"{label} must be < len(accounts) = {len(accounts)}, got {index}")
    _arguments.integer("times", times, minimum=0)
    for _ in range(times):
        with acquired(lock):
            accounts[source] -= 1
            accounts[destination] += 1


def _add_to_balance(lock: Any, balance: Any, amount: int, timeout: float) -> None:
    """Add amount to balance.value under lock: safe to call alone, or while already holding an RLock."""
    with acquired(lock, timeout):
        balance.value += amount


def pay_with_fee(lock: Any, balance: Any, amount: int, fee: int, times: int, timeout: float = 5.0) -> None:
    """Take amount and then fee from balance.value, `times` times, each payment as one locked step.

    The payment holds `lock` and calls `_add_to_balance`, which takes the same lock again.
    With an RLock that works; with a plain Lock the inner acquire waits for ourselves and
    fails after `timeout` seconds with TimeoutError.
    """
    _arguments.has("balance", balance, "value", what="a multiprocessing Value or RawValue")
    _arguments.integer("amount", amount, minimum=0)
    _arguments.integer("fee", fee, minimum=0)
    _arguments.integer("times", times, minimum=0)
    _arguments.seconds("timeout", timeout, allow_zero=True)
    for _ in range(times):
        with acquired(lock, timeout):
            _add_to_balance(lock, balance, -amount, timeout)
            _add_to_balance(lock, balance, -fee, timeout)


def work_in_limited_slots(slots: Any, active: Any, peak: Any, seconds: float) -> None:
    """Work for `seconds` while holding one of the semaphore's slots, recording the peak of active workers.

    `active` (a Value with a lock) counts the workers inside right now; `peak` (a Value)
    keeps the largest count ever seen. Pass slots=None to work without any limit.
    """
    _arguments.has("active", active, "value", "get_lock", what="a multiprocessing Value made with a lock")
    _arguments.has("peak", peak, "value", what="a multiprocessing Value")
    _arguments.seconds("seconds", seconds, allow_zero=True)
    with acquired(slots) if slots is not None else contextlib.nullcontext():
        with acquired(active.get_lock()):
            active.value += 1
            peak.value = max(peak.value, active.value)
        try:
            time.sleep(seconds)  # the work
        finally:
            with acquired(active.get_lock()):
                active.value -= 1


def check_items_until_stopped(
    stop: Any, results: Any, worker_id: int, items: Sequence[int], seconds_per_item: float
) -> None:
    """Check items one by one (a negative item is a failure) until done, failed, or told to stop.

    On the first failure it sets the `stop` Event so every other worker quits early.
    Puts one (worker_id, outcome, items_checked) on `results`, outcome being
    "failed", "stopped" or "finished". Waiting on the Event (not sleeping) lets a
    worker notice `stop` at once, even in the middle of an item.
    """
    _arguments.has("stop", stop, "set", "is_set", "wait", what="a multiprocessing Event")
    _arguments.has("results", results, "put", what="a multiprocessing Queue")
    _arguments.integer("worker_id", worker_id, minimum=0)
    _arguments.seconds("seconds_per_item", seconds_per_item, allow_zero=True)
    outcome = "finished"
    checked = 0
    for item in items:
        if stop.is_set():
            outcome = "stopped"
            break
        if item < 0:
            stop.set()  # tell everyone else
            outcome = "failed"
            break
        if stop.wait(timeout=seconds_per_item):  # the work; returns True as soon as stop is set
            outcome = "stopped"
            break
        checked += 1
    results.put((worker_id, outcome, checked))


def produce_items(condition: Any, ready: Any, count: int, seconds_per_item: float) -> None:
    """Make `count` items, one every `seconds_per_item`; after each, add 1 to ready.value and notify_all.

    `ready` is guarded by the condition's lock, so it can be a RawValue (no lock of its own).
    """
    _arguments.has(
        "condition", condition, "acquire", "release", "notify_all", what="a multiprocessing Condition"
    )
    _arguments.has("ready", ready, "value", what="a multiprocessing Value or RawValue")
    _arguments.integer("count", count, minimum=0)
    _arguments.seconds("seconds_per_item", seconds_per_item, allow_zero=True)
    for _ in range(count):
        time.sleep(seconds_per_item)  # the work
        with acquired(condition):
            ready.value += 1
            condition.notify_all()  # wake whoever waits for a predicate on `ready`


def run_phases(barrier: Any, log: Any, worker_id: int, phases: int, seconds: float) -> None:
    """Run `phases` phases of `seconds` * (worker_id + 1) each, waiting at `barrier` before every phase.

    Puts (worker_id, phase, started, ended) on `log` for each phase, times from
    time.monotonic() (one clock for every process on the machine). Slow workers hold
    the others back: no phase starts before every worker has finished the previous one.
    """
    _arguments.has("barrier", barrier, "wait", "parties", what="a multiprocessing Barrier")
    _arguments.has("log", log, "put", what="a multiprocessing Queue")
    _arguments.integer("worker_id", worker_id, minimum=0)
    _arguments.integer("phases", phases, minimum=0)
    _arguments.seconds("seconds", seconds, allow_zero=True)
    for phase in range(phases):
        barrier.wait(timeout=DEFAULT_TIMEOUT_S)  # BrokenBarrierError instead of waiting forever
        started = time.monotonic()
        time.sleep(seconds * (worker_id + 1))  # the work: worker 0 is the fastest
        log.put((worker_id, phase, started, time.monotonic()))


# --- section 3: shared_memory ------------------------------------------------------------


def _view(block: Any, ref: SharedArrayRef) -> Any:
    """Return a NumPy array over `block` with ref's shape and dtype, sharing its memory (no copy).

    np.frombuffer holds the block's buffer, so block.close() raises BufferError while the
    view lives. np.ndarray(shape, dtype, buffer=block.buf) does not: close() would succeed
    and the next access to the array would crash the process.
    """
    import numpy as np

    count = math.prod(ref.shape)
    return np.frombuffer(block.buf, dtype=ref.dtype, count=count).reshape(ref.shape)


def add_to_shared_rows(ref: SharedArrayRef, start: int, stop: int, amount: float) -> float:
    """Add `amount` to rows start:stop of the shared array `ref` in place; return the seconds attaching took.

    Attaching maps the existing block into this process: no bytes are copied, so it takes
    microseconds whatever the size. The worker closes its mapping; it never unlinks.
    """
    from multiprocessing import shared_memory

    ref = _require_ref(ref)
    _arguments.integer("start", start, minimum=0)
    _arguments.integer("stop", stop, minimum=start)
    if ref.shape and stop > ref.shape[0]:
        raise ValueError(f"stop must be <= {ref.shape[0]} (the number of rows), got {stop}")
    started = time.perf_counter()
    block = shared_memory.SharedMemory(name=ref.name)
    attach_seconds = time.perf_counter() - started
    try:
        array = _view(block, ref)
        try:
            array[start:stop] += amount
        finally:
            del array  # close() refuses while a NumPy view still holds the buffer
    finally:
        block.close()
    return attach_seconds


def serve_array_sums(inbox: Any, outbox: Any, timeout: float = 60.0) -> None:
    """Answer each item from `inbox` with its sum on `outbox`, until None arrives (or `timeout` of silence).

    An item is either a NumPy array (it travelled pickled through the queue: a copy)
    or a SharedArrayRef (only the name travelled; the worker attaches and sums in place).
    """
    from multiprocessing import shared_memory

    import numpy as np

    _arguments.has("inbox", inbox, "get", what="a multiprocessing Queue")
    _arguments.has("outbox", outbox, "put", what="a multiprocessing Queue")
    _arguments.seconds("timeout", timeout, allow_zero=True)
    while True:
        try:
            item = inbox.get(timeout=timeout)
        except queue.Empty:
            return  # nobody is talking to us any more
        if item is None:
            return
        if isinstance(item, SharedArrayRef):
            item = _require_ref(item)
            block = shared_memory.SharedMemory(name=item.name)
            try:
                total = float(_view(block, item).sum())
            finally:
                block.close()  # the temporary view is gone, so close() succeeds
        elif isinstance(item, np.ndarray):
            total = float(item.sum())
        else:
            raise TypeError(f"expected a NumPy array or a SharedArrayRef, got {type(item).__name__}")
        outbox.put(total)


def set_shareable_item(name: str, index: int, value: int | float | bool | str | bytes | None) -> None:
    """Set item `index` of the ShareableList called `name` to `value`, then close this process's mapping."""
    from multiprocessing import shared_memory

    _require_name(name)
    _arguments.integer("index", index)
    items: shared_memory.ShareableList[Any] = shared_memory.ShareableList(name=name)
    try:
        items[index] = value
    finally:
        items.shm.close()


# --- section 4: Manager ------------------------------------------------------------------


def record_square(task_id: int, results: Any, log: Any, status: Any, lock: Any) -> int:
    """Store task_id**2 in the shared dict, append a line to the shared list, count it on the Namespace.

    Every access is a round trip to the manager process. `status.done += 1` is a read and
    a write (two round trips), so it runs under the manager's `lock`. Returns task_id**2.
    """
    _arguments.integer("task_id", task_id)
    _arguments.has("results", results, "__setitem__", what="a Manager dict")
    _arguments.has("log", log, "append", what="a Manager list")
    _arguments.has("status", status, "done", what="a Manager Namespace with a `done` attribute")
    value = task_id * task_id
    results[task_id] = value
    log.append(f"task {task_id} done")
    with acquired(lock):
        status.done += 1
    return value
