"""Exercise 02 · The __main__ guard (chapter 01-basics, section 5).

This script squares ten numbers on a pool of two worker processes and prints them. Run it:

    python exercises/ex02_main_guard.py spawn

Under spawn (and forkserver) it fails, while under fork it seems fine. Fix it so it prints
`squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]` and exits cleanly under every start method.
Do not change what it prints, and keep the imports where they are.

Learning goals: what a spawned child imports, and which code must sit under the guard.
Check your work: `mpbook check ex02`, or check("ex02") in a notebook.
"""

import multiprocessing as mp
import sys

from mpbook.workers import square

RESULT_TIMEOUT_S = 5  # ten tiny tasks take milliseconds; waiting longer means the pool is broken

# TODO: this part runs again in every spawned worker. Put it under `if __name__ == "__main__":`
method = sys.argv[1] if len(sys.argv) > 1 else "spawn"
with mp.get_context(method).Pool(processes=2) as pool:
    squares = pool.map_async(square, range(10)).get(timeout=RESULT_TIMEOUT_S)
print("squares:", squares)
