"""ex21 · How many workers: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "How many workers"
CHAPTER = "06-optimization"
SECTION = "How many CPUs you may use"
CONCEPT = "measure 1, usable, 2x and 4x usable workers in one run; more workers than CPUs only cost; ties go to fewer"
TRY = "how_many_workers(mpbook.workers.sum_squares, [200_000] * 16)"
HINTS = (
    (
        "usable_cpus() is what this process may run on (affinity, a container's quota), which can be less than "
        "os.cpu_count(). Call it inside candidate_counts, each time, not once at import: [1, usable, "
        "2 * usable, 4 * usable], each capped at `cap`, without repeats, smallest first (a sorted set)."
    ),
    (
        "pick_best: the fastest time is min(timings.values()); every count within tolerance of it, "
        "seconds <= fastest * (1 + tolerance), is as good. Of those, take the smallest count: fewer processes "
        "cost less memory and start faster, and a 3% 'win' for 8 workers on 2 CPUs is noise."
    ),
    (
        "For each count: started = time.perf_counter(); with mp.Pool(count) as pool: "
        "pool.map_async(func, items, chunksize=1).get(timeout=MAP_TIMEOUT_S); then timings[count] = "
        "time.perf_counter() - started. A fresh pool per count, closed by its `with` block before the next."
    ),
)
