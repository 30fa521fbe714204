"""Start a Pool WITHOUT the `if __name__ == "__main__":` guard: under spawn it never finishes.

Every worker the pool starts imports this file again (as `__mp_main__`) to find its
target, which runs the module-level code below once more: it prints its line and tries to
create a pool of its own. That fails at the worker's bootstrap with a RuntimeError, and the
worker exits. The pool does not give up: it replaces each dead worker, the replacement dies
the same way, and `map` waits forever for results no worker will produce.

Run it with a deadline (mpbook.demos.run_script kills it and its workers); by hand, stop it
with Ctrl-C. Under fork the children import nothing and the script works.

Usage: python pool_no_main_guard.py [spawn|forkserver|fork]
"""

import multiprocessing
import sys

from mpbook.workers import square

method = sys.argv[1] if len(sys.argv) > 1 else "spawn"
# one write per line: the workers print it too, at the same time, into the same pipe
sys.stdout.write(f"{multiprocessing.current_process().name}: creating a pool of 2 workers\n")
with multiprocessing.get_context(method).Pool(2) as pool:
    print("squares:", pool.map(square, range(4)))
