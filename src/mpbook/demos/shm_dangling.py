"""Close a shared memory block while a NumPy array still uses it, the safe way and the crashing way.

`block.close()` unmaps the block from this process. A NumPy array still pointing into
it would then read and write memory that is no longer there. How NumPy was asked for
the view decides what happens:

  frombuffer  np.frombuffer(block.buf, ...) holds the buffer, so close() refuses with
              BufferError: the mistake is caught, and the process carries on
  ndarray     np.ndarray(shape, dtype, buffer=block.buf), the pattern in Python's own
              documentation, does not hold it: close() succeeds and the next access to
              the array crashes the whole process (a segmentation fault on Linux)

Usage: python shm_dangling.py frombuffer|ndarray
"""

import sys
from multiprocessing import shared_memory

import numpy as np

SIZE = 64 * 1024 * 1024  # large enough that nothing else is mapped in its place after close()


def main(mode: str) -> None:
    """Make a view of a fresh block the way `mode` says, close the block under it, then touch the view."""
    if mode not in ("frombuffer", "ndarray"):
        sys.exit(f"unknown mode {mode!r}: use frombuffer or ndarray")
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not leave a core file behind
    except (ImportError, ValueError, OSError):
        pass  # Windows has no resource module, and writes no core files anyway
    block = shared_memory.SharedMemory(create=True, size=SIZE)
    assert block.buf is not None  # None only once closed
    count = SIZE // 8
    if mode == "frombuffer":
        view = np.frombuffer(block.buf, dtype=np.float64, count=count)
    else:
        view = np.ndarray((count,), dtype=np.float64, buffer=block.buf)
    try:
        block.close()
    except BufferError as error:
        print(f"{mode}: close() refused: BufferError: {error}")
        del view
        block.close()
        block.unlink()
        print(f"{mode}: after `del view`, close() and unlink() worked")
        return
    block.unlink()
    print(f"{mode}: close() succeeded with the view still alive; now writing through the view...", flush=True)
    view[:] = 1.0  # memory that is no longer mapped: the process dies here
    print(f"{mode}: still alive (this line is not expected to print)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "frombuffer")
