"""Exercise 08 · Stop everyone on the first hit (chapter 03-shared-state, section 8).

Search `items` for one that `is_hit(item)` accepts, on a pool of `workers` processes, and return
it (None if there is none). The worker that finds a hit tells all the others through one shared
`multiprocessing.Event`: every worker looks at it before each item and stops as soon as it is set,
so nobody goes on testing items for an answer that is already known, and every worker, let go
with close() and join(), ends by itself instead of being terminated in the middle of an item.

    parent: found = mp.Event() --initializer share_event(found)--> each pool worker: global _found
    parent --imap_unordered(search_chunk(is_hit, chunk) for each chunk)--> workers
    worker: before each item: _found set? return None;  on a hit: _found.set(), return the item
    parent: one outcome per chunk (the first hit kept) --> close(), join() --> the hit, or None

Learning goals: an Event reaches pool workers through the initializer (it cannot be a task's
argument); checking it between items to stop early; a pool whose workers end by themselves.
Out of scope: interrupting an is_hit call halfway (a worker finishes the item it is on).
Contract: first_hit(items, is_hit, workers=2) returns an item for which is_hit(item) is true, or
None; each item is tested at most once, in a pool of `workers` processes; once a hit is found no
worker starts testing another item; when it returns, every worker has exited by itself (exit
code 0). is_hit is picklable (the checks pass a functools.partial of mpbook.practice.check_item,
which records every call it gets).
Try it: `mpbook try ex08`. Check it: `mpbook check ex08` (in a notebook: mpbook.check("ex08")).
Stuck: `mpbook hint ex08`.
"""

import math
import multiprocessing as mp
from functools import partial

RESULT_TIMEOUT_S = 60  # a chunk takes a second or two at most in the checks; 60 s means a worker is stuck
CHUNKS_PER_WORKER = 4  # several chunks per worker: the tasks left after a hit are skipped at once

_found = None  # this worker's Event, kept here by share_event when the worker starts


def share_event(found) -> None:
    """Pool initializer: keep the shared Event in this worker's module global, _found."""
    global _found
    _found = found


def search_chunk(is_hit, chunk: list) -> object | None:
    """Return the first item of chunk that is a hit, setting _found; None if none is, or as soon as _found is set."""
    # TODO: check _found before each item; on a hit, tell the others and return it
    raise NotImplementedError("search_chunk: test each item, and stop once _found is set")


def first_hit(items: list, is_hit, workers: int = 2) -> object | None:
    """Return an item of items for which is_hit(item) is true, searched by a pool of `workers`; None if there is none."""
    # TODO: one Event for the pool's workers; every chunk's outcome; then let the workers end by themselves
    raise NotImplementedError("first_hit: share one Event with the pool, search the chunks, close the pool")
