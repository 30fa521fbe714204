"""ex17 · Survive a dead worker: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Survive a dead worker"
CHAPTER = "04-pool"
SECTION = "`ProcessPoolExecutor`: futures, and failures"
CONCEPT = "BrokenProcessPool fails every pending task; keep what finished, retry the lost ones alone, give up after a limit"
TRY = "run_surviving(functools.partial(mpbook.practice.exit_on, always=(3,)), list(range(6)), workers=2, retries=1)"
HINTS = (
    (
        "Submit every item to one ProcessPoolExecutor and take the futures from as_completed(futures, "
        "timeout=RESULT_TIMEOUT_S). future.result() raises BrokenProcessPool for each task that was lost when a "
        "worker died: keep the results that did come, and the lost items, for later."
    ),
    (
        "When a worker dies, the executor fails EVERY task not yet finished, not only the one that killed it, "
        "and it cannot tell you which one that was. Run each lost item again ALONE, in a fresh executor of one "
        "worker: if that one breaks, this item is the culprit."
    ),
    (
        "for item in lost: try up to `retries` times: with ProcessPoolExecutor(max_workers=1) as alone: "
        "results[item] = alone.submit(func, item).result(timeout=RESULT_TIMEOUT_S), and break; on "
        "BrokenProcessPool try again. Only if every try broke, the item goes on the list of the lost for good. "
        "Never submit again to an executor that broke: it refuses new work."
    ),
)
