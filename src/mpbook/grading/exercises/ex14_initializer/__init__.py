"""ex14 · Set up once per worker: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Set up once per worker"
CHAPTER = "04-pool"
SECTION = "`initializer`: set up once per worker"
CONCEPT = "initializer and initargs: expensive setup once per worker, kept in a module global"
TRY = "count_with_table([(0, 100), (100, 1000)], workers=2)"
HINTS = (
    (
        "The pool calls initializer(*initargs) once in each worker as it starts, before its first"
        " task. Build the table there, with the build_table you were given, and keep it in the "
        "module global _TABLE."
    ),
    (
        "load_table needs `global _TABLE` before `_TABLE = build_table(limit)`: without it the "
        "table goes into a local variable and is gone when load_table returns. count_in_table "
        "only reads: sum(_TABLE[start:stop])."
    ),
    (
        "count_with_table: `with ProcessPoolExecutor(workers, initializer=load_table, "
        "initargs=(build_table, LIMIT)) as executor:` return list(executor.map(count_in_table, "
        "starts, stops, timeout=RESULT_TIMEOUT_S)), with starts and stops taken from ranges."
    ),
)
