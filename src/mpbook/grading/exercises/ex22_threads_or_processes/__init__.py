"""ex22 · Threads or processes: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Threads or processes?"
CHAPTER = "07-faq"
SECTION = "Processes or threads?"
CONCEPT = "measure both, side by side: processes win CPU-bound work (the GIL), threads win waiting (no start-up, no pickling)"
TRY = (
    "compare(mpbook.workers.sum_squares, [2_000_000] * 8, workers=2), "
    "compare(mpbook.pooling.sleep_for, [0.1] * 8, workers=4)"
)
HINTS = (
    (
        "ThreadPoolExecutor and ProcessPoolExecutor have the same interface, so one small function can time "
        "either: give it the executor class, make it with max_workers=workers, and time "
        "list(executor.map(func, items, timeout=MAP_TIMEOUT_S)) from before the executor is made to after its "
        "`with` block has closed it."
    ),
    (
        "executor.map returns an iterator: the clock must stop after list() has taken every result, or you "
        "time nothing but the submitting. Time both executors in the same call, one after the other, so that "
        "they see the same machine."
    ),
    (
        "Return {'threads': t, 'processes': p, 'faster': 'processes' if p < t else 'threads'}. On CPU-bound "
        "work the threads take turns holding the GIL, so they are no faster than one; on sleeping or waiting "
        "work they overlap, and they do not pay for starting processes and pickling."
    ),
)
