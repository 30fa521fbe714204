"""The argument checks of the book's public functions: one place, one wording, one rule per name.

Why a module of its own: the same check ("an int >= 0", "a number of seconds") used to be
written a dozen times with small differences (one ``_require_seconds`` accepted 0, another
did not). Each function here says its rule in its name and keyword arguments, raises
TypeError for the wrong kind of value and ValueError for a value out of range, and names
the argument in a sentence a learner can act on: ``times must be >= 0, got -1``.

Where they are used: at the learner's boundary (a public function called with arguments a
learner typed), never inside a measured hot loop. A pool target that a chapter times per
task, such as ``workers.square``, does not check: its cost would be the checks.

Standard library only, and nothing but ``math`` at import time: every spawned child imports
the worker modules, which import this one.
"""

from __future__ import annotations

import math
import numbers

__all__ = ["flag", "has", "index_range", "integer", "number", "optional_integer", "real_numbers", "seconds"]


def _kind(value: object) -> str:
    """Return "type value" for an error message, such as ``str '3'``."""
    return f"{type(value).__name__} {value!r}"


def integer(name: str, value: object, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return value if it is an int (not a bool) in [minimum, maximum]; else raise."""
    return _integer(name, value, minimum, maximum, or_none=False)


def optional_integer(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """Return None for None, else what integer() returns (its message then says None is allowed too)."""
    return None if value is None else _integer(name, value, minimum, maximum, or_none=True)


def _integer(name: str, value: object, minimum: int | None, maximum: int | None, *, or_none: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        wanted = "an int"
        if or_none:
            wanted = f"an int >= {minimum} or None" if minimum is not None else "an int or None"
        raise TypeError(f"{name} must be {wanted}, got {_kind(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        lower = "" if minimum is None else f">= {minimum}"
        upper = "" if maximum is None else f"<= {maximum}"
        raise ValueError(f"{name} must be {' and '.join(filter(None, (lower, upper)))}, got {value}")
    return value


def number(name: str, value: object, *, minimum: float | None = None) -> int | float:
    """Return value if it is a real number (not a bool, not NaN) at least minimum; else raise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {_kind(value)}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got NaN")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def seconds(
    name: str,
    value: object,
    *,
    allow_zero: bool,
    allow_infinite: bool = True,
    allow_none: bool = False,
) -> float | None:
    """Return value as a float if it is a number of seconds > 0 (>= 0 if allow_zero); else raise.

    NaN is always refused; infinity unless allow_infinite; None is returned only if allow_none.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        wanted = "a number of seconds or None" if allow_none else "a number of seconds"
        raise TypeError(f"{name} must be {wanted}, got {_kind(value)}")
    if not (value >= 0 if allow_zero else value > 0):  # written so that NaN fails too
        shown = "NaN" if math.isnan(value) else value
        rule = ">= 0 seconds" if allow_zero else "> 0 seconds (a positive number)"
        raise ValueError(f"{name} must be {rule}, got {shown}")
    if not allow_infinite and math.isinf(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value}")
    return float(value)


def flag(name: str, value: object) -> bool:
    """Return value if it is True or False; else raise TypeError (1 and "yes" are refused)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {_kind(value)}")
    return value


def has(name: str, value: object, *attributes: str, what: str) -> object:
    """Return value if it has every one of attributes; else raise TypeError saying `what` was expected."""
    missing = [attribute for attribute in attributes if not hasattr(value, attribute)]
    if missing:
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} (no {', '.join(missing)})")
    return value


def index_range(start: object, stop: object, *, length: int | None = None) -> tuple[int, int]:
    """Return (start, stop) if they are ints with 0 <= start <= stop (<= length if given); else raise."""
    first, last = integer("start", start, minimum=0), integer("stop", stop)
    if length is not None and not first <= last <= length:
        raise ValueError(f"need 0 <= start <= stop <= {length}, got start={first}, stop={last}")
    if last < first:
        raise ValueError(f"stop must be >= start, got start={first}, stop={last}")
    return first, last


def real_numbers(name: str, values: object) -> list:
    """Return values as a list if it is a list, tuple or range of real numbers (not bools, not NaN); else raise."""
    if not isinstance(values, (list, tuple, range)):
        raise TypeError(f"{name} must be a list, tuple or range of numbers, got {type(values).__name__}")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"every item of {name} must be a real number, got {type(value).__name__}")
        if isinstance(value, float) and math.isnan(value):
            raise ValueError(f"{name} must not contain NaN")
    return list(values)
