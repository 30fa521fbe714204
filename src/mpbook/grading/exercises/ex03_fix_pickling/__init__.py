"""ex03 · Fix the pickling: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Fix the pickling"
CHAPTER = "01-basics"
SECTION = "Why a notebook needs importable workers"
CONCEPT = "a pool sends each task's function by name: no lambdas, no nested functions; functools.partial for extra arguments"
TRY = "scale_all([1, 2, 3], 10), clip_all([-5, 5, 15], 0, 10)"
HINTS = (
    (
        "Run `mpbook try ex03` and read the error: 'Can't pickle local object' or 'Can't pickle "
        "<function <lambda>'. A worker receives a function as a module and a name, and imports "
        "it; a lambda or a function defined inside another function has no such address."
    ),
    (
        "scale and clip already sit at the top of the module, where a worker's import finds them."
        " What is missing is a way to hand them their extra arguments without wrapping them in a "
        "new function: functools.partial. A partial of a module-level function pickles: the "
        "function by name, the fixed arguments by value."
    ),
    (
        "pool.map_async(partial(scale, factor=factor), numbers).get(timeout=RESULT_TIMEOUT_S), "
        "and the same with partial(clip, low=low, high=high). Fix them by name: partial(clip, "
        "low) would put low first. Do not pass values through module globals: a spawned worker "
        "imports the module afresh and never sees them."
    ),
)
