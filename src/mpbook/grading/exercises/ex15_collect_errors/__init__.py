"""ex15 · Every success, every failure: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Every success, every failure"
CHAPTER = "04-pool"
SECTION = "`ProcessPoolExecutor`: futures, and failures"
CONCEPT = "one future per task, so one failure cannot hide the others; Pool.map raises the first error only"
TRY = 'map_collecting_errors(mpbook.workers.raise_if_negative, [1, -2, 3, "four"])'
HINTS = (
    (
        "Pool.map returns a list or raises one exception: the first failure hides every other "
        "result. Give each item its own task instead: executor.submit(func, item), one future per"
        " item."
    ),
    (
        "Submit every task before asking for any result, so that they all run while you wait. "
        "Then, for each future in order: try: successes[index] = "
        "future.result(timeout=RESULT_TIMEOUT_S) except Exception as exc: failures[index] = "
        "describe(exc)."
    ),
    (
        "`with ProcessPoolExecutor(max_workers=workers) as executor:` futures = "
        "[executor.submit(func, item) for item in items]; then the loop above over "
        "enumerate(futures); return successes, failures. (pool.apply_async(func, (item,)) and "
        "result.get(timeout=...) work the same way.)"
    ),
)
