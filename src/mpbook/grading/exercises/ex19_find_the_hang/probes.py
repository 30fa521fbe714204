"""What ex19's checks can only see from inside the learner's process: how many worker processes square_all starts.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. square_all's workers square a few numbers each and
end within milliseconds under fork, too soon for the process tree's watch to see them, so their
starts are counted here. Code of the learner's that rewrote this probe could fake that count; that
earns at most the one point of test_square_all_uses_workers, and only for code whose squares are
right and that leaves no worker running, which the trusted side sees for itself.
"""

from __future__ import annotations

from mpbook.grading.checking import counting_process_starts


def starts(module, numbers: list, workers: int) -> dict:
    """Call module.square_all(numbers, workers=workers); return what it returned and how many processes it started."""
    with counting_process_starts() as started:
        got = module.square_all(numbers, workers=workers)
    return {"got": got, "started": len(started)}
