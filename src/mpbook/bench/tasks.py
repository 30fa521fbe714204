"""The benchmark's own pool targets and initializers, apart from the workloads that use them.

Why apart: a spawned worker imports the module of its target, and the ``start`` workload times a
pool from creation until every worker has run its initializer, imports included. These functions
live in a module as light as the book asks worker modules to be (standard library only, no
dataclasses, nothing measured-only), so the start measured is the start a reader's pool would
have; the workload modules, which import the records and the harness, are never imported by a child.

    start     signal_ready                                   (a Pool's or an executor's initializer)
    data      serve_queue_sums, serve_pipe_sums              (Process targets: Queue and Pipe servers)
              sum_array_rows                                 (joblib's task: a memory-mapped array)
    counters  count_with_manager, keep_counter +             (Manager proxies; a Value kept per worker;
              increment_kept_counter, increment_slot,         one shared-memory slot per worker;
              count_locally                                   the recipe: count locally)
"""

from __future__ import annotations

import os

TIMEOUT_S = 600.0  # no wait of a benchmark task is longer than this (the harness's own limit too)


# --- start ---------------------------------------------------------------------------------


def signal_ready(ready) -> None:
    """Put this worker's pid on the `ready` queue (a pool initializer: the worker has started)."""
    ready.put(os.getpid())


# --- data ----------------------------------------------------------------------------------


def sum_array_rows(array, start: int, stop: int) -> float:
    """Return the sum of rows start:stop of an array that arrived as an argument (joblib: a memory map)."""
    return float(array[start:stop].sum())


def serve_pipe_sums(conn, timeout: float = TIMEOUT_S) -> None:
    """Answer each NumPy array received on `conn` with its sum, until None arrives or `timeout` of silence."""
    try:
        while conn.poll(timeout):
            item = conn.recv()
            if item is None:
                return
            conn.send(float(item.sum()))
    except EOFError:  # the parent closed its end
        return
    finally:
        conn.close()


def serve_queue_sums(inbox, outbox, timeout: float = TIMEOUT_S) -> None:
    """Answer each NumPy array taken from `inbox` with its sum on `outbox`, until None or `timeout` of silence."""
    import queue

    while True:
        try:
            item = inbox.get(timeout=timeout)
        except queue.Empty:
            return
        if item is None:
            return
        outbox.put(float(item.sum()))


# --- counters ------------------------------------------------------------------------------


def count_with_manager(counts, lock, times: int) -> None:
    """Add 1 to counts["count"] `times` times through Manager proxies, each read-modify-write under `lock`."""
    for _ in range(times):
        if not lock.acquire(timeout=TIMEOUT_S):
            raise TimeoutError("could not acquire the manager's lock")
        try:
            counts["count"] += 1
        finally:
            lock.release()


_COUNTER = None  # this worker's shared Value, set by keep_counter (a pool initializer)


def keep_counter(counter) -> None:
    """Keep a shared ``Value`` in this worker (pool initializer: a Value travels only at process start)."""
    global _COUNTER
    _COUNTER = counter


def increment_kept_counter(times: int) -> None:
    """Add 1 to the kept Value `times` times, each read-modify-write under the Value's own lock."""
    if _COUNTER is None:
        raise RuntimeError("no Value kept in this worker: make the pool with initializer=keep_counter")
    lock = _COUNTER.get_lock()
    for _ in range(times):
        if not lock.acquire(timeout=TIMEOUT_S):
            raise TimeoutError("could not acquire the Value's lock")
        try:
            _COUNTER.value += 1
        finally:
            lock.release()


def increment_slot(name: str, slot: int, times: int) -> None:
    """Add 1 to int64 slot `slot` of the shared memory block `name`, `times` times (no lock: one writer)."""
    from multiprocessing import shared_memory

    block = shared_memory.SharedMemory(name=name)
    try:
        assert block.buf is not None  # None only once closed
        cells = block.buf.cast("q")
        try:
            for _ in range(times):
                cells[slot] += 1
        finally:
            cells.release()  # close() refuses while a view holds the buffer
    finally:
        block.close()


def count_locally(times: int) -> int:
    """Return `times`, counted one by one in a local variable: nothing is shared until the result."""
    count = 0
    for _ in range(times):
        count += 1
    return count
