# breaks: the squares are computed by a pool of worker processes — caught by test_works_under_spawn
"""Exercise 02 · The __main__ guard (chapter 01-basics, section 5).

This script squares ten numbers on a pool of two worker processes and prints them. Run it (or
`mpbook try ex02`, which runs it under spawn):

    python exercises/ex02_main_guard.py spawn

Under spawn (and forkserver) it fails, while under fork it seems fine. Fix it so that it prints
`squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]` and exits cleanly under every start method.

    python ex02_main_guard.py --> parent: runs the file as __main__, starts the pool
                                  worker: imports the file again (as __mp_main__) to find square

Contract: `python ex02_main_guard.py METHOD` (spawn, forkserver or fork; spawn if omitted) prints
the squares line once and exits with code 0. Do not change what it prints, and keep the imports
and RESULT_TIMEOUT_S at the top: a worker needs them.

Learning goals: what a spawned child imports, and which code must sit under the guard.
Out of scope: freeze_support(), which matters only for frozen executables.
Try it: `mpbook try ex02`. Check it: `mpbook check ex02` (in a notebook: mpbook.check("ex02")).
Stuck: `mpbook hint ex02`.
"""

import multiprocessing as mp
import multiprocessing.dummy
import sys

from mpbook.workers import square

RESULT_TIMEOUT_S = 5  # ten tiny tasks take milliseconds; waiting longer means the pool is broken

# A spawned worker imports this file as __mp_main__, so this block runs only in the parent.
if __name__ == "__main__":
    method = sys.argv[1] if len(sys.argv) > 1 else "spawn"
    with mp.dummy.Pool(processes=2) as pool:  # wrong: threads make the error go away, and the processes too
        squares = pool.map_async(square, range(10)).get(timeout=RESULT_TIMEOUT_S)
    print("squares:", squares)
