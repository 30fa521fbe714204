"""What ex14's checks can only read inside the learner's process: the learner's LIMIT.

Runs in the learner's process (see mpbook.grading.learner) and returns plain data; checks.py, in
the trusted process, judges it. Code of the learner's that rewrote this probe could give the checks
another LIMIT; that earns nothing: the checks then ask for, and expect, the counts over that range.
"""

from __future__ import annotations


def limit(module) -> int:
    """Return module.LIMIT, the end of the range the learner's prime table covers."""
    return module.LIMIT
