"""ex01 · Start and join: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Start and join"
CHAPTER = "01-basics"
SECTION = "Your first `Process`"
CONCEPT = "start() every process before any join(); exitcode says how each one ended"
TRY = "start_and_join([0.2, 0.2, -1])"
HINTS = (
    (
        "A Process runs its target only after start(), and start() returns at once. join() is "
        "what waits. If you start one process and join it before starting the next, they run one "
        "after another."
    ),
    (
        "Build the whole list first, one mp.Process(target=sleep_and_return, args=(duration,)) "
        "per duration. Then start every process in one loop, and join every process, with "
        "timeout=JOIN_TIMEOUT_S, in a second loop."
    ),
    (
        "processes = [mp.Process(target=sleep_and_return, args=(d,)) for d in durations]; start "
        "each; join each with timeout=JOIN_TIMEOUT_S; return [p.exitcode for p in processes], "
        "read after join()."
    ),
)
