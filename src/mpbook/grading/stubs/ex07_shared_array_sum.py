"""Exercise 07 · A parallel shared-memory sum (chapter 03-shared-state, sections 12 and 13).

Sum a 1-D NumPy array on a pool of `workers` processes without sending them the array. Copy it
once into a multiprocessing.shared_memory block; each worker gets only the block's name, the dtype
and the bounds of its slice, attaches, and returns the sum of its slice:

    parent: array --one copy--> block "psm_..." --(name, dtype, start, stop)--> worker 1, worker 2
    parent <--partial sums-- workers;  parent: close(), unlink()

Afterwards no block is left, even when a worker fails: close() in every process, unlink() once.
An empty array has nothing to share: return 0.0 (SharedMemory refuses size=0).

Learning goals: shared_memory by name; NumPy views with np.frombuffer (no copy); close vs unlink.
Out of scope: Value and Array (ex06); arrays of more than one dimension.
Check your work: `mpbook check ex07`, or check("ex07") in a notebook.
"""

import numpy as np

RESULT_TIMEOUT_S = (
    60  # summing 100 MB takes a fraction of a second; 60 s covers a spawn pool on a busy machine
)


def sum_slice(name: str, dtype: str, start: int, stop: int) -> float:
    """Return the sum of items start:stop of the array of `dtype` in the shared memory block called `name`."""
    # TODO: attach to the block by name: shared_memory.SharedMemory(name=name)
    # TODO: sum items start:stop of a NumPy view of block.buf (np.frombuffer), as a float
    # TODO: close the block before returning, whatever happens (try/finally); never unlink it here
    raise NotImplementedError("sum_slice: attach to the block by name, sum your slice, close the block")


def parallel_sum(array: np.ndarray, workers: int = 2) -> float:
    """Return the sum of a 1-D array, computed by a pool of `workers` processes reading it from shared memory."""
    if array.size == 0:
        return 0.0  # SharedMemory(size=0) raises ValueError: nothing to share, nothing to add
    # TODO: create a block of array.nbytes bytes, and copy the array into a NumPy view of it, once
    # TODO: drop that view (del) before you close the block: close() refuses while a view holds its buffer
    # TODO: split range(array.size) into `workers` slices; one task (block.name, dtype, start, stop) each
    # TODO: run sum_slice on mp.Pool(workers): starmap_async(...).get(timeout=RESULT_TIMEOUT_S)
    # TODO: close and unlink the block even if a worker failed (try/finally); return the total as a float
    raise NotImplementedError("parallel_sum: share the array by name, sum the slices on a pool, clean up")
