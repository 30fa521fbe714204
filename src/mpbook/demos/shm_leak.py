"""Create a shared memory block and exit: with clean-up, without it, killed, or let another program attach.

A block made by `SharedMemory(create=True)` outlives the process that made it until
someone calls `unlink()`. On Linux and macOS, Python's resource tracker (a helper process
started on first use) remembers every block a program created and did not unlink; when
the program ends it removes them and warns on stderr. Windows frees a block when its last
handle closes, so there is nothing to leak and no warning.

Usage: python shm_leak.py leak|clean|killed|attach

  leak    close() but never unlink(): the resource tracker warns and unlinks at exit
  clean   close() then unlink() once: no warning
  killed  print the block's name, then SIGKILL this program together with its resource
          tracker: nobody is left to unlink, so the block outlives them (POSIX only;
          whoever reads the name must unlink it)
  attach  an unrelated Python program (not our child) attaches by name and closes:
          its own resource tracker unlinks the block when it exits, under our feet
          (Python 3.13 added SharedMemory(..., track=False) to prevent that)
"""

import contextlib
import os
import signal
import subprocess
import sys
from multiprocessing import resource_tracker, shared_memory

MODES = ("leak", "clean", "killed", "attach")

ATTACH_AND_CLOSE = """
import sys
from multiprocessing import shared_memory
block = shared_memory.SharedMemory(name=sys.argv[1])
print("the other program read:", bytes(block.buf[:5]).decode())
block.close()
"""


def still_there(name: str) -> bool:
    """Return True if a shared memory block called `name` exists."""
    try:
        shared_memory.SharedMemory(name=name).close()
    except FileNotFoundError:
        return False
    return True


def main(mode: str) -> None:
    """Run one of the four scenarios and say what happened on stdout."""
    if mode not in MODES:
        sys.exit(f"unknown mode {mode!r}: use {', '.join(MODES)}")
    if mode == "killed" and hasattr(os, "setpgrp"):
        # our own process group, so the kill below reaches nobody else; PermissionError means
        # we already lead a new session (demos.run_script starts us that way)
        with contextlib.suppress(PermissionError):
            os.setpgrp()
    block = shared_memory.SharedMemory(create=True, size=1024 * 1024)
    block.buf[:5] = b"hello"
    if mode == "leak":
        block.close()
        print("leak: created a 1 MB block, closed it, did not unlink it")
    elif mode == "clean":
        block.close()
        block.unlink()
        print("clean: created a 1 MB block, closed it, unlinked it")
    elif mode == "killed":
        print(f"killed: created a 1 MB block; block name: {block.name}", flush=True)
        if hasattr(os, "killpg"):
            os.killpg(0, signal.SIGKILL)  # this program and the resource tracker it started
        os._exit(1)  # Windows: no process groups, and the block goes with its last handle anyway
    else:  # attach
        other = subprocess.run(
            [sys.executable, "-c", ATTACH_AND_CLOSE, block.name],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        print(other.stdout.strip())
        sys.stderr.write(other.stderr)  # the other program's resource tracker warning, if any
        print(
            "attach: our block still exists after the other program exited:",
            "yes" if still_there(block.name) else "no",
        )
        block.close()
        try:
            block.unlink()
        except FileNotFoundError:
            # Already removed by the other program's tracker; tell ours to forget it too, by the
            # private name it registered (with its leading "/" on POSIX), which typeshed does not list.
            resource_tracker.unregister(block._name, "shared_memory")  # type: ignore[attr-defined]
            print("attach: our unlink() raised FileNotFoundError")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "leak")
