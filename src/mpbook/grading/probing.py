"""What the exercises' probes share: they run inside the learner's process (see learner.py).

A probe changes a constant or a function of the learner's module for one call (a short timeout, a
task that kills its worker), makes the call, and hands back what happened as plain data for the
trusted side to judge:

    with replaced(module, RESULT_TIMEOUT_S=0.2):
        return outcome(module.parallel_sum, array, 2)   # ("returned", value) or ("raised", name, message)
"""

from __future__ import annotations

import contextlib
import multiprocessing


@contextlib.contextmanager
def replaced(module, **values):
    """Give module's attributes these values for the block, then put back what they were."""
    saved = {name: getattr(module, name, None) for name in values}
    for name, value in values.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def outcome(func, *args, **kwargs) -> tuple:
    """Return ("returned", func(*args, **kwargs)) or ("raised", "module.QualifiedName", message).

    The trusted side tells multiprocessing.TimeoutError from the built-in one by the full name.
    NotImplementedError (the untouched stub) is raised, for the grader to say "not done yet".
    """
    try:
        return ("returned", func(*args, **kwargs))
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - what was raised is the answer
        kind = type(exc)
        return ("raised", f"{kind.__module__}.{kind.__qualname__}", str(exc))


def stop_children() -> None:
    """Terminate the processes a call left waiting (a pool whose task was lost), so the next call starts clean."""
    for child in multiprocessing.active_children():
        child.terminate()
        child.join(timeout=5)
