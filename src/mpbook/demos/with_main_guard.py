"""The same script as no_main_guard.py, fixed: the process is started under the guard.

A spawned child imports this file as `__mp_main__`, so the guarded block does not run
in the child; only the definitions and imports above it do.

Usage: python with_main_guard.py [spawn|forkserver|fork]
"""

import multiprocessing
import sys

from mpbook.workers import square

if __name__ == "__main__":
    method = sys.argv[1] if len(sys.argv) > 1 else "spawn"
    ctx = multiprocessing.get_context(method)
    child = ctx.Process(target=square, args=(3,))
    child.start()
    child.join(timeout=30)
    print(f"parent ({method}): child exit code {child.exitcode}")
