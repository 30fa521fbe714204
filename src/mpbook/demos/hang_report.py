"""Find out where a hung pool is stuck, with faulthandler.

The pool's only task, `wait_on_held_lock`, waits for a lock nobody will release (for 1.2 s,
so this script ends). Nothing is printed, nothing fails: it just hangs. faulthandler
writes every thread's stack to stderr after a delay, from a watchdog thread that runs even
while Python code is stuck:

  parent  faulthandler.dump_traceback_later() in the parent: where the parent waits
  worker  the pool's initializer `dump_stacks_after` arms it in the worker: where the task waits

Usage: python hang_report.py [spawn|forkserver|fork] parent|worker
"""

import faulthandler
import multiprocessing
import sys

from mpbook.failures import dump_stacks_after, wait_on_held_lock

MODES = ("parent", "worker")


def main(method: str, mode: str) -> None:
    """Run a task that hangs for a while, with a stack dump armed in the parent or the worker."""
    ctx = multiprocessing.get_context(method)
    if mode == "parent":
        faulthandler.dump_traceback_later(0.6)  # all threads of this process, to stderr, in 0.6 s
        pool = ctx.Pool(1)
    else:
        pool = ctx.Pool(1, initializer=dump_stacks_after, initargs=(0.3,))
    with pool:
        stuck = pool.apply_async(wait_on_held_lock, (1.2,))
        print("task result:", stuck.get(timeout=60))  # a real hang has no timeout: it never returns
    faulthandler.cancel_dump_traceback_later()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in MODES:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
