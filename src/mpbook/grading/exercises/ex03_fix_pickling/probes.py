"""What ex03's checks can only do inside the learner's process: change RESULT_TIMEOUT_S, start by spawn.

Runs in the learner's process (see mpbook.grading.learner), so it observes and returns plain data;
checks.py, in the trusted process, judges it. Code of the learner's that rewrote these probes could
fake their answers: that earns at most test_gives_up_when_a_worker_dies (1 point) and
test_works_under_spawn (2 points, by not switching to spawn), and only for functions that already
return the right numbers under the book's own start method (test_scale_all, test_clip_all). The
pool's size is seen from the trusted side, whatever a probe says.

SlowNumber is not a probe: it is a number the checks hand the learner's functions so that the
pool's workers live long enough (a tenth of a second a task) for the trusted side to see them.
"""

from __future__ import annotations

import multiprocessing
import time

from mpbook.practice import DiesWhenUsed

DIES = "DiesWhenUsed()"  # in a probe's numbers: stands for a DiesWhenUsed made here, in the learner's process
SLOW_S = 0.1


class SlowNumber(float):
    """A float that takes SLOW_S to multiply or compare: a pool's task on it lasts long enough to be seen."""

    def _slow(self):
        time.sleep(SLOW_S)
        return float(self)

    def __mul__(self, other):
        return self._slow() * other

    def __rmul__(self, other):
        return other * self._slow()

    def __lt__(self, other):
        return self._slow() < other

    def __le__(self, other):
        return self._slow() <= other

    def __gt__(self, other):
        return self._slow() > other

    def __ge__(self, other):
        return self._slow() >= other

    def __repr__(self) -> str:
        value = float(self)
        return repr(int(value)) if value.is_integer() else repr(value)


def with_result_timeout(module, seconds, name, numbers, *args):
    """Call module.<name>(numbers, *args) with RESULT_TIMEOUT_S = seconds, each DIES in numbers a DiesWhenUsed.

    Return ("returned", value) or ("raised", "module.QualifiedName", message): the trusted side tells
    multiprocessing.TimeoutError from any other exception by its full name.
    """
    numbers = [DiesWhenUsed() if number == DIES else number for number in numbers]
    saved = getattr(module, "RESULT_TIMEOUT_S", None)
    module.RESULT_TIMEOUT_S = seconds
    try:
        return ("returned", getattr(module, name)(numbers, *args))
    except Exception as exc:  # noqa: BLE001 - what was raised is the answer
        kind = type(exc)
        return ("raised", f"{kind.__module__}.{kind.__qualname__}", str(exc))
    finally:
        module.RESULT_TIMEOUT_S = saved


def under_spawn(module, name, *args, **kwargs):
    """Return module.<name>(*args, **kwargs) called with the spawn start method, whatever the book uses."""
    multiprocessing.set_start_method("spawn", force=True)
    return getattr(module, name)(*args, **kwargs)
