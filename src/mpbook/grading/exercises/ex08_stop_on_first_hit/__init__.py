"""ex08 · Stop everyone on the first hit: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Stop everyone on the first hit"
CHAPTER = "03-shared-state"
SECTION = "`Event`: stop every worker on the first hit"
CONCEPT = (
    "an Event reaches pool workers through the initializer; each checks it between items and stops on a hit"
)
TRY = (
    "first_hit(list(range(200)), functools.partial(mpbook.practice.check_item, hits={150}, seconds=0.01), "
    "workers=2)"
)
HINTS = (
    (
        "An Event cannot travel as a task's argument (try it: RuntimeError, 'should only be shared between "
        "processes through inheritance'). A pool worker gets it once, as it starts: mp.Pool(workers, "
        "initializer=share_event, initargs=(found,)), where share_event keeps it in the module global _found."
    ),
    (
        "search_chunk looks at _found.is_set() before EACH item, and returns None at once when it is set. "
        "On a hit it sets _found and returns the item. Cut the items into several chunks per worker and send "
        "them with pool.imap_unordered(partial(search_chunk, is_hit), chunks)."
    ),
    (
        "Take one outcome per chunk with .next(timeout=RESULT_TIMEOUT_S), keeping the first that is not None: "
        "once the Event is set, the chunks left return at once. Then pool.close() and pool.join(), inside the "
        "`with` block: the workers end by themselves. Returning from inside the `with` on the first hit would "
        "terminate() them in the middle of their items instead."
    ),
)
