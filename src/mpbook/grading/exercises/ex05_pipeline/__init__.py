"""ex05 · A pipeline with sentinels: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "A pipeline with sentinels"
CHAPTER = "02-process-queue-pipe"
SECTION = "`Queue`: producers, consumers and sentinels"
CONCEPT = (
    "producer -> transformers -> parent over two queues; one None sentinel per consumer; join every process"
)
TRY = "run_pipeline([1, 2, 3, 4], transformers=2)"
HINTS = (
    (
        "The producer only puts on tasks, each transformer gets from tasks and puts on results, "
        "and the parent only gets from results. Send (index, x), so the parent can put each "
        "square back in place."
    ),
    (
        "A queue cannot say it is finished. The producer puts one None per transformer after the "
        "items; a transformer that gets None puts a None on results and returns; the parent reads"
        " results until it has counted one None per transformer. transform() sleeps `delay` "
        "before each square: it stands in for real work."
    ),
    (
        "A timeout means someone waits for a None that never comes: a transformer whose sentinel "
        "was not sent, or a parent waiting for a transformer that did not pass one on. Start "
        "every process, drain results with get(timeout=GET_TIMEOUT_S), then join every process "
        "with timeout=JOIN_TIMEOUT_S."
    ),
)
