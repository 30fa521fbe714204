"""What ex21's checks can only do inside the learner's process: make usable_cpus() answer a given count there.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. usable_cpus() is asked by the learner's code in its
own process, so only there can it be made to pretend. Code of the learner's that rewrote this
probe could fake its answer; that earns at most the one point of
test_candidate_counts_follow_usable_cpus, and the expected counts are in checks.py, which the
learner's user cannot read under a root grader.
"""

from __future__ import annotations

import mpbook
import mpbook.config


def candidate_counts_with(module, usable: int, cap: int):
    """Return module.candidate_counts(cap=cap) while mpbook.usable_cpus() answers `usable`, wherever it is got from."""
    places = [(mpbook, "usable_cpus"), (mpbook.config, "usable_cpus")]
    if callable(getattr(module, "usable_cpus", None)):
        places.append((module, "usable_cpus"))
    saved = [(place, name, getattr(place, name)) for place, name in places]
    for place, name in places:
        setattr(place, name, lambda: usable)
    try:
        return module.candidate_counts(cap=cap)
    finally:
        for place, name, original in saved:
            setattr(place, name, original)
