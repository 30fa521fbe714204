"""A progress bar for long maps, in notebooks and terminals: `progress_map`.

``pool.map`` says nothing until the last result is in, which for a ten-minute map feels like a
hang. `progress_map` sends the work the same way (in chunks of ``chunksize`` items), but takes
each chunk's results *as it finishes*, moves a tqdm bar by the chunk's length, and puts the
results back in input order at the end:

    parent --chunk [(0, x0), (1, x1), ...]--> task queue --> workers
    parent <--[(f(x0), record 0), ...]------- result queue <-- workers   (in finishing order)
    parent: bar.update(len(chunk)); results[i] = f(xi)  -->  [f(x0), f(x1), ...] in input order

With a ``multiprocessing.Pool`` it uses ``imap_unordered``; with a ``concurrent.futures``
executor one ``submit`` per chunk and ``as_completed``. Each item travels with its index (the
task number of an `mpbook.trace.TaskRecord`), so the order can be restored whatever finishes
first. ``timeout`` bounds the whole map, so a stuck worker cannot freeze the notebook.

The bar is ``tqdm.auto.tqdm``: a widget in Jupyter, text in a terminal. tqdm is imported inside
the function; worker processes never import this module (they import `mpbook.trace`).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, as_completed
from typing import Any

from mpbook.trace import Traced, _TracedChunk

__all__ = ["progress_map"]

# The item each progress_map result starts as, so a missing result can never pass for a real one.
_MISSING = object()


def _check_arguments(
    pool: object, chunksize: object, timeout: object, desc: object
) -> tuple[int, float | None, str | None]:
    """Return (chunksize, timeout, desc) if sound; else raise a TypeError/ValueError saying what to pass."""
    if not isinstance(pool, (multiprocessing.pool.Pool, Executor)):
        raise TypeError(
            "pool must be a multiprocessing Pool or a concurrent.futures Executor, "
            f"got {type(pool).__name__}; create one with mpbook.get_context().Pool(2) or "
            "ProcessPoolExecutor(2, mp_context=mpbook.get_context())."
        )
    if isinstance(chunksize, bool) or not isinstance(chunksize, int):
        raise TypeError(f"chunksize must be an int >= 1, got {type(chunksize).__name__} {chunksize!r}")
    if chunksize < 1:
        raise ValueError(f"chunksize must be >= 1, got {chunksize}")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError(
                f"timeout must be a number of seconds or None, got {type(timeout).__name__} {timeout!r}"
            )
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
    if desc is not None and not isinstance(desc, str):
        raise TypeError(f"desc must be a str or None, got {type(desc).__name__}")
    return chunksize, timeout, desc


def _seconds_left(deadline: float | None) -> float | None:
    """Return the seconds until deadline (time.monotonic), never negative; None for no deadline."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def progress_map(
    pool: multiprocessing.pool.Pool | Executor,
    func: Callable[..., Any],
    items: Iterable[Any],
    *,
    chunksize: int = 1,
    timeout: float | None = None,
    desc: str | None = None,
    star: bool = False,
    tqdm_class: Callable[..., Any] | None = None,
    **tqdm_kwargs: Any,
) -> list[Any]:
    """Return [func(item) for item in items], computed on pool, with a progress bar; results in input order.

    pool is a `multiprocessing.Pool` or a `concurrent.futures` executor; func must be importable
    (top level of a module), as workers find it by name. Items travel in chunks of ``chunksize``
    (raise it for many cheap items: one message per chunk), and the bar moves as each chunk
    finishes. ``star=True`` unpacks each item into the call, like ``starmap``. ``timeout``
    (seconds) bounds the whole map: past it the pool's own timeout error is raised,
    `multiprocessing.TimeoutError` for a Pool, `concurrent.futures.TimeoutError` for an executor
    (the built-in `TimeoutError` from Python 3.11, a different class before), whose chunks
    not yet started are cancelled. Tasks already running go on; leave the pool's ``with`` block
    (or terminate it) to stop them. A task's exception is raised here as the pool raises it.
    ``desc`` labels the bar; ``tqdm_class`` (default ``tqdm.auto.tqdm``) and further keyword
    arguments such as ``leave=False`` go to the bar.
    """
    chunksize, timeout, desc = _check_arguments(pool, chunksize, timeout, desc)
    chunk_call = _TracedChunk(Traced(func, star=star))  # checks that func pickles by reference
    deadline = None if timeout is None else time.monotonic() + timeout
    pairs = list(enumerate(items))
    chunks = [pairs[i : i + chunksize] for i in range(0, len(pairs), chunksize)]
    if tqdm_class is None:
        from tqdm.auto import tqdm as tqdm_class  # imported here: only the parent ever draws a bar

    results: list[Any] = [_MISSING] * len(pairs)
    with tqdm_class(total=len(pairs), desc=desc, unit="task", **tqdm_kwargs) as bar:
        if isinstance(pool, multiprocessing.pool.Pool):
            # One chunk per task, chunksize 1: with chunksize > 1, imap_unordered returns a plain
            # generator whose next() takes no timeout; cut here, its iterator's next(timeout) does.
            finished = pool.imap_unordered(chunk_call, chunks, 1)
            for _ in chunks:
                done = finished.next(_seconds_left(deadline))
                for result, record in done:
                    results[record.task] = result
                bar.update(len(done))
        else:
            futures = [pool.submit(chunk_call, chunk) for chunk in chunks]
            try:
                for future in as_completed(futures, timeout=_seconds_left(deadline)):
                    done = future.result(timeout=0)  # as_completed yields it finished: no wait
                    for result, record in done:
                        results[record.task] = result
                    bar.update(len(done))
            except BaseException:
                for future in futures:  # a timeout, a task's error or Ctrl-C: drop what has not started
                    future.cancel()
                raise
    if any(result is _MISSING for result in results):  # a pool that lost a chunk without an error
        raise RuntimeError("progress_map did not receive every result; the pool lost some chunks")
    return results
