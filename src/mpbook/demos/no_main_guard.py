"""Start a process WITHOUT the `if __name__ == "__main__":` guard.

Under spawn and forkserver the child imports this file again to find its target, and
that import runs the module-level code below, which tries to start yet another process.
Python refuses with a RuntimeError in the child. Under fork the child is a copy of the
parent and imports nothing, so this runs without complaint: it only breaks elsewhere.

Usage: python no_main_guard.py [spawn|forkserver|fork]
"""

import multiprocessing
import sys

from mpbook.workers import square

method = sys.argv[1] if len(sys.argv) > 1 else "spawn"
ctx = multiprocessing.get_context(method)
child = ctx.Process(target=square, args=(3,))
child.start()
child.join(timeout=30)
print(f"parent ({method}): child exit code {child.exitcode}")
