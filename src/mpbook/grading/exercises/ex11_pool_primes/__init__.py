"""ex11 · Counting primes on a Pool: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Counting primes on a Pool"
CHAPTER = "04-pool"
SECTION = "A pool: `map`, `imap_unordered` and friends"
CONCEPT = "cut the work into ranges, no gap and no overlap; starmap_async on a Pool; faster than serial"
TRY = "count_primes_parallel(10_000, workers=2)"
HINTS = (
    (
        "Each range (start, end) goes to a worker as one task: count_primes(start, end). The "
        "ranges must cover range(stop) exactly: each starts where the last ended, and the last "
        "one ends at stop."
    ),
    (
        "bounds = [stop * k // chunks for k in range(chunks + 1)] gives chunks + 1 integer bounds"
        " from 0 to stop; the ranges are (bounds[k], bounds[k + 1]). Ranges of stop // chunks "
        "numbers each leave the last few out."
    ),
    (
        "`with mp.Pool(processes=workers) as pool:` counts = pool.starmap_async(count_primes, "
        "ranges, chunksize=1).get(timeout=RESULT_TIMEOUT_S); return sum(counts). One "
        "starmap_async hands every range to the pool at once; an apply_async(...).get() per range"
        " runs them one after another."
    ),
)
