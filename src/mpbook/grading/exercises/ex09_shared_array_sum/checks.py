"""Checks for ex09_shared_array_sum.

The learner's module runs in a process of its own (mpbook.grading.boundary). The trusted side checks the
sums, watches the learner's processes through the process tree and scans /dev/shm for blocks left
behind. What can only be seen from inside comes from probes.py: a spy on the blocks parallel_sum
creates, every byte multiprocessing pickles to send to another process and the arguments of every
process it starts (under fork they are inherited, not pickled), so the checks see what a worker was
sent (the name, or the array itself) without timing anything.

Copies are seen with tracemalloc, which counts NumPy's array buffers and every bytes object but not
shared memory: the learner's process's peak during parallel_sum, and a worker's peak during
sum_slice (run by the probe in a child of its own, on a block the probe made).

The big arrays are built from a seed on both sides, not sent: the learner's process reads a call's
arguments with the channel's answer limit (8 MB), and a bigger request ends it (see the report).
"""

import contextlib
import os
import sys

import numpy as np

from mpbook import _leaks
from mpbook.grading.boundary import LearnerProcess, ProcessWatch
from mpbook.grading.checking import deadline, exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex09_shared_array_sum import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit

ex = exercise("ex09_shared_array_sum")

BIG_ITEMS = 5_000_000  # 40 MB of float64: pickling it, or half of it, to a worker cannot go unnoticed
PICKLED_LIMIT = 1_000_000  # bytes; start-up data and a few tasks holding a name weigh a few kilobytes
# Peak bytes allocated (tracemalloc) during a call, as a share of the data it reads: a view and a sum
# allocate a few kilobytes; one copy of the data (np.array(view), .copy(), tobytes()) is 100%.
COPY_SHARE = 0.25
SHORT_RESULT_S = 0.2  # RESULT_TIMEOUT_S in the test of the timeout: lost results never come, so any will do
LIMIT_S = 8  # a pool of 2 starts in well under a second; the get() then gives up after 0.2 s
MP_TIMEOUT = "multiprocessing.context.TimeoutError"  # what get(timeout=...) raises, by its full name


def watchable_learner() -> LearnerProcess:
    """Return the test's learner process, its module imported and the resource tracker running.

    So a watch of its process tree that starts now counts only the learner's own processes.
    """
    learner = learner_process()
    in_learner_process(probes.start_helpers)
    return learner


def blocks_on_disk() -> set[str]:
    """Return the names of the shared memory blocks in /dev/shm, named semaphores left out."""
    return {name for name in _leaks.shm_segments() if not name.startswith("sem.")}


def learner_tree(learner: LearnerProcess) -> set[int]:
    """Return the pids of this process and the learner's process tree: the code under test's own."""
    import psutil

    ours = {os.getpid()}
    if learner.process is not None:
        ours.add(learner.process.pid)
        with contextlib.suppress(psutil.Error):
            ours.update(child.pid for child in psutil.Process(learner.process.pid).children(recursive=True))
    return ours


def left_behind(learner: LearnerProcess, created: list[str], before: set[str]) -> list[str]:
    """Return the blocks this call created (in the learner's process, or in a worker) that still exist.

    Seen here, in /dev/shm: a new block that a program other than the learner's maps right now (a
    concurrent run) is not counted.
    """
    after = blocks_on_disk()
    elsewhere = _leaks.orphaned(after - before - set(created), ignoring=learner_tree(learner))
    return sorted((set(created) & after) | elsewhere)


def linux_only() -> bool:
    """Return True where blocks are files in /dev/shm and can be listed (Linux)."""
    return sys.platform.startswith("linux") and _leaks.SHM_DIR.is_dir()


def describe(array: np.ndarray) -> str:
    return f"a {array.dtype} array of {array.size:,} items"


@points(1)
@deadline(40)
def test_sums_like_numpy():
    """Arrays of several sizes and dtypes sum to what NumPy says, on pools of two and three workers."""
    learner = watchable_learner()
    for case, (array, workers) in enumerate(probes.sum_cases()):
        with ProcessWatch(learner) as watch:
            seen = in_learner_process(probes.starts, case)
        got, started = seen["got"], max(seen["started"], watch.started)
        expected = float(array.sum(dtype=np.float64))
        call = f"Called parallel_sum({describe(array)}, workers={workers})"
        assert np.isclose(got, expected, rtol=1e-5, atol=1e-6), (
            f"{call}; got {got!r}, expected {expected!r}. "
            "Does every item belong to exactly one slice, and does each worker read the dtype it was given?"
        )
        assert started == workers, (
            f"{call}; the sum was right, but {started} process(es) were started, expected {workers}: "
            f"a pool of `workers` processes, mp.Pool(processes=workers). (mp.Pool() alone starts one per CPU, "
            f"{os.cpu_count()} here, whatever `workers` says.)"
        )


@points(1)
def test_empty_array_and_more_workers_than_items():
    """An empty array sums to 0.0, and three items on four workers still sum right."""
    got = ex.parallel_sum(np.array([], dtype=np.float64), 2)
    assert got == 0.0, (
        f"Called parallel_sum(an empty float64 array, workers=2); got {got!r}, expected 0.0. "
        "SharedMemory(size=0) raises ValueError: return 0.0 before creating a block."
    )
    got = ex.parallel_sum(np.array([1.5, 2.5, 3.0]), 4)
    assert got == 7.0, (
        f"Called parallel_sum(np.array([1.5, 2.5, 3.0]), workers=4); got {got!r}, expected 7.0. "
        "With more workers than items some slices are empty; their sum is 0."
    )


@points(2)
@deadline(40)
def test_only_the_name_travels():
    """A 40 MB array reaches the workers as a block's name: the array is copied into shared memory, not pickled."""
    array = probes.big_array(8, BIG_ITEMS)
    seen = in_learner_process(probes.travels, 8, BIG_ITEMS, 2)
    got, pickled, created, peak = seen["got"], seen["pickled_bytes"], seen["blocks"], seen["peak"]
    expected = float(array.sum())
    assert np.isclose(got, expected, rtol=1e-9), (
        f"Called parallel_sum({describe(array)}, workers=2); got {got!r}, expected {expected!r}."
    )
    called = f"Called parallel_sum({describe(array)} ({array.nbytes / 1e6:.0f} MB), workers=2)"
    assert pickled < PICKLED_LIMIT, (
        f"{called}; {pickled / 1e6:.1f} MB were pickled and sent to other processes, expected a few "
        "kilobytes. Send each worker the block's name, the dtype and its bounds, never the array or a slice of it."
    )
    blocks = [block for block in created if block["size"] >= array.nbytes]
    assert blocks, (
        f"{called}; it created no shared memory block big enough for the array here "
        f"(blocks created: {[block['size'] for block in created]} bytes). "
        "Create one with shared_memory.SharedMemory(create=True, size=array.nbytes) and copy the array into it."
    )
    assert any(block["sent"] for block in blocks), (
        f"{called}; it created block {blocks[0]['name']!r}, but no worker process was sent its name. "
        "The workers must do the summing: give each one the name and its slice's bounds."
    )
    assert peak < COPY_SHARE * array.nbytes, (
        f"{called}; its process allocated up to {peak / 1e6:.0f} MB during the call, expected a few kilobytes: "
        "the array was copied on its way into the block. Copy it once, straight into a NumPy view of "
        "block.buf (`shared = np.frombuffer(block.buf, ...)`, then `shared[:] = array`), not through "
        "array.tobytes() or array.copy()."
    )


@points(1)
@deadline(40)
def test_sum_slice_reads_in_place_and_leaves_the_block():
    """sum_slice, run alone in a child on a 40 MB block, copies nothing, closes the block and does not unlink it."""
    array = probes.big_array(9, BIG_ITEMS)
    start, stop = BIG_ITEMS // 4, 3 * BIG_ITEMS // 4
    seen = in_learner_process(probes.sum_slice_alone, 9, BIG_ITEMS, start, stop)
    if seen["outcome"] == "waiting":
        raise AssertionError(
            f"Ran sum_slice(name, '<f8', {start}, {stop}) in a child; it had not returned after "
            f"{probes.CHILD_TIMEOUT_S} s. Attach with SharedMemory(name=name), sum a view, close: nothing waits."
        )
    outcome, got, peak, held, exists = (seen[key] for key in ("outcome", "got", "peak", "held", "exists"))
    call = f"Ran sum_slice(name, '<f8', {start:,}, {stop:,}) in a child, on a block holding {describe(array)}"
    if outcome == "raised" and got.startswith("NotImplementedError"):
        raise AssertionError(
            f"not done yet: sum_slice still raises {got}. Replace the `raise NotImplementedError` lines with your "
            "code (look for # TODO:)."
        )
    assert outcome == "returned", f"{call}; it {outcome}: {got}."
    expected = float(array[start:stop].sum())
    assert np.isclose(got, expected, rtol=1e-9), f"{call}; got {got!r}, expected {expected!r}."
    slice_bytes = (stop - start) * array.itemsize
    assert peak < COPY_SHARE * slice_bytes, (
        f"{call}; it allocated up to {peak / 1e6:.0f} MB, for a slice of {slice_bytes / 1e6:.0f} MB: it copied "
        "the data out of the block. np.frombuffer(block.buf, ...) and a slice of it are views, they copy "
        "nothing; np.array(view), view.copy() and bytes(block.buf) copy it all."
    )
    assert exists, (
        f"{call}; afterwards the block was gone: sum_slice unlinked it. Only the process that created the "
        "block unlinks it, once, when every worker is done; a worker only closes it."
    )
    assert not held, (
        f"{call}; when it had returned, the child still held the block ({' and '.join(held)}). Close it in "
        "sum_slice, in a `finally:`, after your views of it are gone."
    )


@points(1)
def test_no_block_left_behind():
    """After parallel_sum returns, its block is unlinked and closed (Linux: nothing new in /dev/shm)."""
    if not linux_only():
        return  # other systems do not list their blocks as files
    array = np.arange(1_000, dtype=np.float64)
    learner = learner_process()
    before = blocks_on_disk()
    seen = in_learner_process(probes.blocks, array, 2)
    assert "raised" not in seen, (
        f"Called parallel_sum({describe(array)}, workers=2); it raised {seen.get('raised')}, expected "
        f"{float(array.sum())!r}."
    )
    got = seen["got"]
    assert got == float(array.sum()), f"Called parallel_sum({describe(array)}, workers=2); got {got!r}."
    leaked = left_behind(learner, [block["name"] for block in seen["blocks"]], before)
    assert not leaked, (
        f"Called parallel_sum({describe(array)}, workers=2); afterwards block(s) {leaked} were still in /dev/shm. "
        "The process that created the block must call unlink(), once, after the workers are done."
    )
    still_open = [block["name"] for block in seen["blocks"] if block["open"]]
    assert not still_open, (
        f"Called parallel_sum({describe(array)}, workers=2); it unlinked its block but never closed it here. "
        "Call close() in every process that used the block, the creator included, then unlink()."
    )


@points(1)
def test_no_block_left_behind_when_a_worker_fails():
    """A worker that fails (strings cannot be summed) makes parallel_sum raise, and the block is still unlinked."""
    if not linux_only():
        return  # other systems do not list their blocks as files
    array = np.array(["spam", "eggs", "ham"])
    learner = learner_process()
    before = blocks_on_disk()
    seen = in_learner_process(probes.blocks, array, 2)  # the learner's NotImplementedError: "not done yet"
    got, raised = seen.get("got"), seen.get("raised")
    assert raised is not None, (
        f"Called parallel_sum(np.array(['spam', 'eggs', 'ham']), workers=2); it returned {got!r}, expected the "
        "workers' error (NumPy cannot add strings) to be raised by get() in the parent."
    )
    leaked = left_behind(learner, [block["name"] for block in seen["blocks"]], before)
    assert not leaked, (
        f"Called parallel_sum(np.array(['spam', 'eggs', 'ham']), workers=2); it raised {raised}, "
        f"and its block(s) {leaked} were left in /dev/shm. Unlink in a `finally:` so a failing worker "
        "cannot leak the block."
    )


@points(1)
def test_gives_up_when_the_results_never_come():
    """When the workers die mid-task their sums never come: parallel_sum raises after RESULT_TIMEOUT_S, not hangs."""
    array = np.arange(10.0)
    called = (
        f"Called parallel_sum(np.arange(10.0), workers=2) with RESULT_TIMEOUT_S = {SHORT_RESULT_S}, and sum_slice "
        "replaced by a stand-in that kills the worker that runs it"
    )
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        outcome, _seconds = call_with_limit(
            LIMIT_S, in_learner_process, probes.with_lost_results, SHORT_RESULT_S, array, 2
        )
    except DidNotReturn:
        raise AssertionError(
            f"{called}; it had not returned after {LIMIT_S} s. Results are waited for at most RESULT_TIMEOUT_S: "
            "a pool replaces a dead worker, but the task it held is lost, and get() without a timeout waits for "
            "it forever. pool.starmap_async(sum_slice, tasks).get(timeout=RESULT_TIMEOUT_S) gives up, with the "
            "constant, not a number."
        ) from None
    if outcome[0] == "raised":
        _, type_name, message = outcome
        if type_name == MP_TIMEOUT:
            return  # the get() gave up, as it should
        if type_name == "builtins.RuntimeError" and "DiesWhenUsed" in message:
            raise AssertionError(
                f"{called}; sum_slice ran here, in the calling process, not on the pool. Hand every slice to "
                "the pool: pool.starmap_async(sum_slice, tasks)."
            )
        raise AssertionError(f"{called}; it raised {type_name.removeprefix('builtins.')}: {message}")
    raise AssertionError(
        f"{called}; got {outcome[1]!r}, expected multiprocessing.TimeoutError from get(timeout=RESULT_TIMEOUT_S). "
        "Sum each slice with the module's sum_slice, on the pool."
    )
