"""ex04 · Results through a Queue: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Results through a Queue"
CHAPTER = "02-process-queue-pipe"
SECTION = "`Queue`: producers, consumers and sentinels"
CONCEPT = "results through a Queue, put back in order by index; drain the queue before join()"
TRY = "parallel_squares([1, 2, 3, 4, 5], workers=2)"
HINTS = (
    (
        "A Process cannot return a value: each worker puts its results on the queue, tagged with "
        "the index of the number, so the parent can put them back in order. Give each worker a "
        "chunk of (index, n) pairs, for example list(enumerate(numbers))[k::workers]."
    ),
    (
        "The parent takes exactly one result per input number off the queue, with "
        "get(timeout=GET_TIMEOUT_S) so that a crashed worker cannot hang it, and puts each square"
        " at its index."
    ),
    (
        "Join the workers only AFTER you have taken every result off the queue (chapter 02, "
        "'The queue + join deadlock'): a child that put a large item waits for it to be read "
        "before it can exit, so joining it first waits forever."
    ),
)
