"""What ex08's checks can only see from inside the learner's process: its pool workers' exit codes.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote this probe could
fake the exit codes; that earns at most the one point of test_workers_end_by_themselves, and only
for code that also finds the hit with workers the trusted side sees start, through the process tree,
and sees ended when first_hit returns.
"""

from __future__ import annotations

from mpbook.grading.checking import counting_process_starts


def exit_codes(module, items, is_hit, workers: int) -> dict:
    """Call module.first_hit(items, is_hit, workers=workers); return what it returned and its processes' exit codes.

    An exit code is None for a process still running when first_hit returned (the trusted side
    sees those for itself, and the grader stops them after the test).
    """
    with counting_process_starts() as started:
        got = module.first_hit(items, is_hit, workers=workers)
    return {"got": got, "codes": [process.exitcode for process in started]}
