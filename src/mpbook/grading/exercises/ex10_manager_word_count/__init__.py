"""ex10 · Word counts in a Manager: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Word counts in a Manager"
CHAPTER = "03-shared-state"
SECTION = "`Manager`: shared dicts and lists, and the nested-proxy trap"
CONCEPT = "Manager proxies, the nested-proxy trap, a manager Lock around read-modify-write"
TRY = 'count_words(["the cat", "the hat\\nthe end"], workers=2)'
HINTS = (
    (
        "results[index] does not give you the dict inside the manager: it gives you a copy. "
        "Change the copy, then send it back: results[index] = document."
    ),
    (
        "Several workers count lines of the same document at once. Between one worker's read of "
        "results[index] and its write-back, another can write, and one of the two updates is "
        "lost. Hold the lock from the read to the write-back: `with acquired(lock, "
        "LOCK_TIMEOUT_S):`."
    ),
    (
        "count_words: `with mp.Manager() as manager:` results = manager.list([{} for _ in "
        "documents]); lock = manager.Lock(); tasks = [(results, lock, i, line) for i, doc in "
        "enumerate(documents) for line in doc.splitlines()]; "
        "mp.Pool(workers).starmap_async(add_line, tasks).get(timeout=RESULT_TIMEOUT_S); return "
        "results[:] inside the with block."
    ),
)
