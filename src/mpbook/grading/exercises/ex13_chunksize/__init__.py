"""ex13 · Chunks for tiny tasks: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Chunks for tiny tasks"
CHAPTER = "04-pool"
SECTION = "`chunksize`: how many tasks travel together"
CONCEPT = "chunksize for many tiny tasks: few messages, yet a chunk for every worker"
TRY = "pick_chunksize(10_000, 2), pick_chunksize(0, 2)"
HINTS = (
    (
        "Each message costs a round trip of about a tenth of a millisecond, a thousand times more"
        " than squaring a number. executor.map(func, items, chunksize=k) puts k items in each "
        "message."
    ),
    (
        "Pool.map's rule gives about four chunks per worker: math.ceil(n_items / (4 * workers)). "
        "For no items the rule gives 0, and executor.map refuses chunksize=0: return at least 1."
    ),
    (
        "pick_chunksize: return max(1, math.ceil(n_items / (4 * workers))). fast_map: return "
        "list(executor.map(func, items, chunksize=pick_chunksize(len(items), workers), "
        "timeout=MAP_TIMEOUT_S)), on the executor you are given: starting a pool of your own "
        "costs more than the whole map."
    ),
)
