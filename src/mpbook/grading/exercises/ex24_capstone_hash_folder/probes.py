"""What ex24's checks can only see from inside the learner's process: how many processes a small job starts.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. A pool hashing a dozen small files can start, hash and
end in a few ms under fork, too soon for the process tree's watch to see every worker, so its starts
are counted here. Code of the learner's that rewrote this probe could fake that count; that earns at
most part of test_digests_are_right, and only for code whose digests are right, that the trusted side
never sees start more than `workers` processes, and that leaves none running.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import forkserver, resource_tracker

from mpbook.grading.checking import counting_process_starts


def starts(module, folder: str, workers: int) -> dict:
    """Call module.hash_folder(folder, workers=workers); return what it returned and how many processes it started."""
    with counting_process_starts() as started:
        got = module.hash_folder(folder, workers=workers)
    return {"got": got, "started": len(started)}


def start_helpers(module) -> None:
    """Start multiprocessing's helpers now (the resource tracker; the fork server under forkserver).

    Each is started by fork and exec: until the exec it shows the learner's own command line, so
    a watch of the process tree running then would count it as one of the learner's processes.
    Started before the watch begins, they are told apart as helpers. Under fork neither is needed.
    """
    method = multiprocessing.get_start_method()
    if method != "fork":
        resource_tracker.ensure_running()
    if method == "forkserver":
        forkserver.ensure_running()
