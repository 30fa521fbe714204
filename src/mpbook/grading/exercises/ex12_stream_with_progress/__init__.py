"""ex12 · Stream results with progress: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Stream results with progress"
CHAPTER = "04-pool"
SECTION = "A pool: `map`, `imap_unordered` and friends"
CONCEPT = (
    "imap_unordered hands back each chunk as it finishes: progress as it happens, one deadline for the run"
)
TRY = "stream(mpbook.pooling.sleep_for, [0.5, 0.1, 0.1, 0.1], workers=2, progress=print)"
HINTS = (
    (
        "pool.map gives you nothing until the last result is in; pool.imap_unordered returns an iterator that "
        "yields each result as soon as it is done, quickest first. Call progress(done, total) inside the loop "
        "that takes them, once per result."
    ),
    (
        "With chunksize=1, imap_unordered's iterator has next(timeout=...), but every tiny task costs a "
        "message. With chunksize > 1 it returns a plain generator, which has no timeout at all. So cut the "
        "items into chunks yourself, ceil(len(items) / (CHUNKS_PER_WORKER * workers)) items each, and send "
        "each chunk as ONE task: apply_to_chunk(func, chunk) returns [func(x) for x in chunk]."
    ),
    (
        "chunks = [items[i:i + size] for i in range(0, len(items), size)]; in `with mp.Pool(workers) as pool:`, "
        "arriving = pool.imap_unordered(partial(apply_to_chunk, func), chunks); len(chunks) times: "
        "arriving.next(timeout=max(0, deadline - time.monotonic())), then one progress call per result in it. "
        "Leaving the `with` block terminates the workers, a stuck one too."
    ),
)
