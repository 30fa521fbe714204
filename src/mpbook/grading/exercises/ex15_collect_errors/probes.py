"""What ex15's checks can only do inside the learner's process: change RESULT_TIMEOUT_S.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote this probe could
fake its answer: that earns at most test_gives_up_on_a_late_result (1 point); the other tests call
map_collecting_errors itself and see its worker processes from the trusted side.
"""

from __future__ import annotations

from mpbook.grading import probing


def with_result_timeout(module, seconds, func, items, workers):
    """Call module.map_collecting_errors(func, items, workers=workers) with RESULT_TIMEOUT_S = seconds.

    Return ("returned", value) or ("raised", "module.QualifiedName", message); NotImplementedError
    (the untouched stub) is raised, for the grader to say "not done yet".
    """
    with probing.replaced(module, RESULT_TIMEOUT_S=seconds):
        return probing.outcome(module.map_collecting_errors, func, items, workers=workers)
