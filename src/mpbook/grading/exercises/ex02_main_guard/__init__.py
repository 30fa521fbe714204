"""ex02 · The __main__ guard: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "The __main__ guard"
CHAPTER = "01-basics"
SECTION = 'The `if __name__ == "__main__":` guard'
CONCEPT = 'if __name__ == "__main__": keeps a spawned child from running the parent\'s script again'
TRY = "spawn"
HINTS = (
    (
        "Run the script yourself: `python exercises/ex02_main_guard.py spawn`, or `mpbook try "
        "ex02`. Read the first error in the output."
    ),
    (
        "A spawned worker imports this file to find its functions, and that import runs every "
        "top-level line. Which lines must not run in a worker?"
    ),
    (
        "Move the lines that create the pool and print into a block under `if __name__ == "
        '"__main__":`. Imports, constants and function definitions stay at the top level.'
    ),
)
