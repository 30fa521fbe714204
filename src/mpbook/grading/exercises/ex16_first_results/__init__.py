"""ex16 · The first k results: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "The first k results"
CHAPTER = "04-pool"
SECTION = "`ProcessPoolExecutor`: futures, and failures"
CONCEPT = "submit and as_completed; cancel what has not started: shutdown(wait=True, cancel_futures=True)"
TRY = "first_results([1.0, 0.1, 0.2, 0.3], 2, workers=2)"
HINTS = (
    (
        "as_completed(futures, timeout=AS_COMPLETED_TIMEOUT_S) yields each future as it finishes,"
        " whatever the order you submitted them in. Take future.result() from each, and stop "
        "(break) once you have k. With k == 0 there is nothing to wait for: return [] before "
        "making an executor."
    ),
    (
        "Leaving a `with ProcessPoolExecutor()` block calls shutdown(wait=True), which runs every"
        " task still queued before it returns. Make the executor without `with`, and end it in a "
        "`finally:`."
    ),
    (
        "finally: executor.shutdown(wait=True, cancel_futures=True): the tasks not yet started "
        "are cancelled, the few already running are waited for (a running task cannot be "
        "stopped), and no worker is left behind. wait=False would return while workers still run."
    ),
)
