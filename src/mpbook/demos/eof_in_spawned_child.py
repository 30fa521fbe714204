"""Where `EOFError: Ran out of input` comes from: the parent failed to send a spawned child its task.

On Windows, spawn starts the child first and only then pickles the Process object (its
target and arguments) down a pipe to it. When an argument cannot be pickled (a lock, an
open file, a generator), the parent raises the real error, and the child, already running,
finds the pipe closed before its task arrived: it prints a second traceback ending in
`EOFError: Ran out of input`. Linux and macOS pickle everything before they start the
child, so there you only ever see the first error.

This script reproduces Windows' order on any platform, with the pieces multiprocessing
itself uses (spawn's command line and preparation data, its pickler), so the child's
message is the real one. The parent prints on stdout; the child writes its traceback on
stderr.

Usage: python eof_in_spawned_child.py
"""

import multiprocessing
import os
import subprocess
import sys
import threading
from multiprocessing import context, reduction, spawn

from mpbook.failures import describe_argument


def main() -> None:
    """Start a spawn child, fail to pickle its Process, and report both sides."""
    process = multiprocessing.get_context("spawn").Process(target=describe_argument, args=(threading.Lock(),))
    child_reads, parent_writes = os.pipe()
    # The command line spawn uses: python -c 'from multiprocessing.spawn import spawn_main; ...'
    child = subprocess.Popen(spawn.get_command_line(pipe_handle=child_reads), pass_fds=[child_reads])
    os.close(child_reads)
    # What popen_spawn_win32 does next: send the preparation data, then the Process object.
    # marks "we are spawning": lets the authkey be pickled (any object will do: only tested for None)
    context.set_spawning_popen(child)  # type: ignore[arg-type]
    try:
        with open(parent_writes, "wb") as to_child:
            reduction.dump(spawn.get_preparation_data(process.name), to_child)
            reduction.dump(process, to_child)
    except TypeError as exc:
        print(f"parent: {type(exc).__name__}: {exc}", flush=True)
    finally:
        context.set_spawning_popen(None)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=60)
    print(f"child: exit code {child.returncode}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    main()
