"""ex09 · A parallel shared-memory sum: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "A parallel shared-memory sum"
CHAPTER = "03-shared-state"
SECTION = "`shared_memory`: a big NumPy array shared by name, and its clean-up"
CONCEPT = "shared_memory by name, np.frombuffer views, close() everywhere and unlink() once"
TRY = "parallel_sum(np.arange(10.0), workers=2)"
HINTS = (
    (
        "A worker gets only the block's name (a short str), the dtype and the bounds of its "
        "slice. It attaches with shared_memory.SharedMemory(name=name) and views block.buf with "
        "np.frombuffer: nothing is copied."
    ),
    (
        "Put everything after creating the block in `try:` and end with `finally: block.close(); "
        "block.unlink()`, so a failing worker cannot leak it. close() raises BufferError while a "
        "NumPy view of the block is alive: `del` your views first. A worker closes its block too,"
        " and never unlinks it."
    ),
    (
        "bounds = [array.size * k // workers for k in range(workers + 1)]; one task (block.name, "
        "array.dtype.str, bounds[k], bounds[k + 1]) per worker, run with "
        "mp.Pool(workers).starmap_async(sum_slice, tasks).get(timeout=RESULT_TIMEOUT_S). "
        "sum_slice: attach, then in try/finally close(); return float(np.frombuffer(block.buf, "
        "dtype=dtype, count=stop)[start:stop].sum())."
    ),
)
