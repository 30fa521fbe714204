# breaks: results are waited for at most RESULT_TIMEOUT_S — caught by test_gives_up_when_the_results_never_come
"""Exercise 09 · A parallel shared-memory sum (chapter 03-shared-state, section 11).

Sum a 1-D NumPy array on a pool of `workers` processes without sending them the array. Copy it
once into a multiprocessing.shared_memory block; each worker gets only the block's name, the dtype
and the bounds of its slice, attaches, and returns the sum of its slice. Afterwards no block is
left, even when a worker fails: close() in every process, unlink() once.

    parent: array --one copy--> block "psm_..." --(name, dtype, start, stop)--> worker 1, worker 2
    parent <--partial sums-- workers;  parent: close(), unlink()

Contract: parallel_sum(array, workers=2) returns float(array.sum()) (0.0 for an empty array:
SharedMemory refuses size=0), computed by a pool of `workers` processes running sum_slice, whose
results are waited for at most RESULT_TIMEOUT_S. sum_slice(name, dtype, start, stop) returns the
sum of items start:stop of the array of `dtype` in the block called `name`, as a float, and
closes what it attached to without unlinking it.

Learning goals: shared_memory by name; NumPy views with np.frombuffer (no copy); close vs unlink.
Out of scope: Value and Array (ex07); arrays of more than one dimension.
Try it: `mpbook try ex09`. Check it: `mpbook check ex09` (in a notebook: mpbook.check("ex09")).
Stuck: `mpbook hint ex09`.
"""

import multiprocessing as mp
from multiprocessing import shared_memory

import numpy as np

RESULT_TIMEOUT_S = (
    60  # summing 100 MB takes a fraction of a second; 60 s covers a spawn pool on a busy machine
)


def sum_slice(name: str, dtype: str, start: int, stop: int) -> float:
    """Return the sum of items start:stop of the array of `dtype` in the shared memory block called `name`."""
    block = shared_memory.SharedMemory(name=name)  # attach: maps the block into this process, copies nothing
    try:
        # A view of the block's first `stop` items, sliced: the temporary view is gone after this line.
        return float(np.frombuffer(block.buf, dtype=dtype, count=stop)[start:stop].sum())
    finally:
        block.close()  # every process closes; only the creator unlinks


def parallel_sum(array: np.ndarray, workers: int = 2) -> float:
    """Return the sum of a 1-D array, computed by a pool of `workers` processes reading it from shared memory."""
    if array.size == 0:
        return 0.0  # SharedMemory(size=0) raises ValueError: nothing to share, nothing to add
    block = shared_memory.SharedMemory(create=True, size=array.nbytes)
    try:
        shared = np.frombuffer(block.buf, dtype=array.dtype, count=array.size)
        shared[:] = array  # the one and only copy of the data
        del shared  # close() refuses while a NumPy view holds the block's buffer
        bounds = [array.size * k // workers for k in range(workers + 1)]
        tasks = [(block.name, array.dtype.str, bounds[k], bounds[k + 1]) for k in range(workers)]
        with mp.Pool(processes=workers) as pool:
            partial_sums = pool.starmap_async(sum_slice, tasks).get()  # wrong: waits forever
    finally:
        # Runs even when a worker failed: without it the block would outlive this call.
        block.close()
        block.unlink()
    return float(sum(partial_sums))
