"""What a callback that raises does to a multiprocessing.Pool: it breaks the pool for good.

`apply_async(..., callback=f)` calls `f(result)` in the pool's result-handler thread in the
parent. If `f` raises, that thread dies (threading.excepthook reports it on stderr), and
with it the only thread that delivers results: this task's `get()` and every later one
wait forever, and leaving `with Pool` raises an AssertionError from terminate(), which
gives up before it has stopped the workers.

Usage: python raising_callback.py [spawn|forkserver|fork]
"""

import multiprocessing
import sys
import threading

from mpbook.workers import square

thread_errors: list[str] = []


def record_thread_error(args: threading.ExceptHookArgs) -> None:
    """Keep what an uncaught exception in a thread was (instead of printing it)."""
    thread_errors.append(f"{args.exc_type.__name__}: {args.exc_value}")


def complain(result: object) -> None:
    """A callback with a bug: it raises whatever the result."""
    raise ValueError(f"callback failed on {result!r}")


def main(method: str) -> None:
    """Break a pool with a raising callback and report each symptom on stdout."""
    threading.excepthook = record_thread_error
    try:
        with multiprocessing.get_context(method).Pool(2) as pool:
            first = pool.apply_async(square, (3,), callback=complain)
            try:
                first.get(timeout=1.5)  # the worker starts and answers in well under a second
            except multiprocessing.TimeoutError:
                print(
                    f"the task's get(timeout=1.5): TimeoutError ({'ready' if first.ready() else 'still not ready'})"
                )
            print("the result-handler thread died of:", *thread_errors)
            second = pool.apply_async(square, (4,))  # no callback at all
            try:
                second.get(timeout=0.5)  # nothing can deliver it any more
            except multiprocessing.TimeoutError:
                print("a later task, without callback: TimeoutError too")
    except AssertionError as exc:
        print(f"leaving `with Pool`: AssertionError: {exc}")
    # terminate() raised before the step that stops the workers: those still waiting for work
    # (how many depends on timing) would run on; stop them here, as the pool could not
    for worker in multiprocessing.active_children():
        worker.terminate()
        worker.join(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "spawn")
