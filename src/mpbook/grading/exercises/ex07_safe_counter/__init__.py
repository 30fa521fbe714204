"""ex07 · A counter that loses nothing: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "A counter that loses nothing"
CHAPTER = "03-shared-state"
SECTION = "`Value`, and the lost update"
CONCEPT = "a Value shared at start; `v.value += 1` loses updates; hold get_lock() for the read-modify-write"
TRY = "count_safely(workers=2, increments=1000)"
HINTS = (
    (
        "A child sees the counter only if you hand it over when it starts: make ONE mp.Value('i',"
        " 0) in count_safely and pass that same object to every Process in args. Keep it in a "
        "variable until the processes are joined."
    ),
    (
        "`counter.value += 1` is a read and then a write; the Value's lock is taken for each "
        "separately, so another process can write in between and its update is overwritten. Hold "
        "the lock across both."
    ),
    (
        "In add_increments: `for _ in range(increments):` then `with counter.get_lock(): "
        "counter.value += 1`. In count_safely: start every process, join each with "
        "timeout=JOIN_TIMEOUT_S, return counter.value."
    ),
)
