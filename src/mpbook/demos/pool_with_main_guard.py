"""The same script as pool_no_main_guard.py, fixed: the pool is created under the guard.

A spawned worker imports this file as `__mp_main__`, so the guarded block does not run in
it: the worker only gets the import of `square`, which is all it needs.

Usage: python pool_with_main_guard.py [spawn|forkserver|fork]
"""

import multiprocessing
import sys

from mpbook.workers import square

if __name__ == "__main__":
    method = sys.argv[1] if len(sys.argv) > 1 else "spawn"
    print(f"{multiprocessing.current_process().name}: creating a pool of 2 workers")
    with multiprocessing.get_context(method).Pool(2) as pool:
        print("squares:", pool.map_async(square, range(4)).get(timeout=60))
