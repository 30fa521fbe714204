"""ex23 · One map for any executor: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "One map for any executor"
CHAPTER = "08-beyond-one-machine"
SECTION = "The seam: `concurrent.futures.Executor`"
CONCEPT = "code written against concurrent.futures.Executor runs on processes, threads or a Dask cluster"
TRY = "map_on(concurrent.futures.ThreadPoolExecutor(2), abs, [-1, 2, -3], timeout=5)"
HINTS = (
    (
        "Use only what every Executor has: executor.submit(func, item) returns a Future, "
        "future.result(timeout) waits for it, future.cancel() drops it if it has not started. "
        "executor.map(func, items, timeout=...) is built from those."
    ),
    (
        "Wait for the futures in the order you submitted them, not with as_completed(). The "
        "timeout is for the whole map: deadline = time.monotonic() + timeout, and each result() "
        "gets max(0, deadline - time.monotonic())."
    ),
    (
        "futures = [executor.submit(func, item) for item in items]; try: return "
        "[f.result(timeout=max(0, deadline - time.monotonic())) for f in futures]; except "
        "BaseException: cancel() every future, then raise. (return list(executor.map(func, items,"
        " timeout=timeout)) does all of this too.)"
    ),
)
