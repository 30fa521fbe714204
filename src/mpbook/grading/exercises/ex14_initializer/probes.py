"""What ex14's checks can only do inside the learner's process: read the learner's LIMIT, shorten RESULT_TIMEOUT_S.

Runs in the learner's process (see mpbook.grading.learner) and returns plain data; checks.py, in
the trusted process, judges it. Code of the learner's that rewrote this probe could give the checks
another LIMIT; that earns nothing: the checks then ask for, and expect, the counts over that range.
Rewriting with_slow_tables could report the TimeoutError a right answer raises: that earns the one
point of test_gives_up_when_the_results_are_late.
"""

from __future__ import annotations

import time

from mpbook.grading import probing
from mpbook.pooling import build_prime_table

SLOW_BUILD_S = 0.7  # longer than the shortened RESULT_TIMEOUT_S (SHORT_RESULT_S in checks.py)


def limit(module) -> int:
    """Return module.LIMIT, the end of the range the learner's prime table covers."""
    return module.LIMIT


def build_slowly(limit: int):
    """Return build_prime_table(limit) after SLOW_BUILD_S: a table whose build outlasts a short RESULT_TIMEOUT_S."""
    time.sleep(SLOW_BUILD_S)
    return build_prime_table(limit)


def with_slow_tables(module, seconds: float, ranges: list, workers: int) -> tuple:
    """Call module.count_with_table(ranges, workers, build_slowly) with RESULT_TIMEOUT_S = seconds.

    Return ("returned", value) or ("raised", "module.QualifiedName", message): the trusted side tells
    concurrent.futures.TimeoutError from any other exception by its full name.
    """
    with probing.replaced(module, RESULT_TIMEOUT_S=seconds):
        return probing.outcome(module.count_with_table, ranges, workers, build_slowly)
