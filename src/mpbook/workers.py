"""Pool targets the chapters import.

Why a module and not notebook cells: a child started with spawn (Windows, macOS, and the
book's default everywhere) begins in a fresh interpreter. It receives the function to run
*by name* (module + qualified name) and imports that module to find it. A function typed
into a notebook cell lives in the kernel's ``__main__``, which a spawned child cannot
import, so the child fails. Functions here are importable, so every start method works.

    parent --pickle("mpbook.workers", "count_primes") + args--> child
    child: import mpbook.workers; count_primes(*args) --pickle(result)--> parent

This module stays standard-library only at import time: every spawned child imports it,
and a light import keeps process start in the tens of milliseconds. NumPy is imported
inside the functions that need it.
"""

from __future__ import annotations

import math
import os
import random
import time

from mpbook import _arguments

__all__ = [
    "append_and_return",
    "count_primes",
    "estimate_pi",
    "is_prime",
    "raise_if_negative",
    "sleep_and_return",
    "square",
    "sum_squares",
    "whoami",
]


# practice.py still imports this name; it goes once practice.py calls _arguments.integer itself.
_require_int = _arguments.integer


def square(x: int | float) -> int | float:
    """Return x * x. The smallest possible task: its cost is all overhead.

    No argument check here: chapter 06 and the tiny-task benchmark time this call per task,
    and a check would cost more than the multiplication. A bad x fails in ``x * x`` anyway.
    """
    return x * x


def is_prime(n: int) -> bool:
    """Return True if n is a prime number, by trial division (deliberately CPU-bound)."""
    _arguments.integer("n", n)
    return _is_prime(n)


def _is_prime(n: int) -> bool:
    """Return True if n is a prime number; n is an int already (count_primes calls this per number)."""
    if n < 2:
        return False
    if n < 4:
        return True
    if n % 2 == 0:
        return False
    return all(n % divisor != 0 for divisor in range(3, math.isqrt(n) + 1, 2))


def count_primes(start: int, stop: int) -> int:
    """Return how many primes lie in range(start, stop): pure-Python CPU-bound work.

    The cost grows with the size and the height of the range, so equal-sized ranges
    higher up take longer: useful for showing uneven tasks.
    """
    _arguments.index_range(start, stop)
    return sum(1 for n in range(start, stop) if _is_prime(n))


def estimate_pi(n_samples: int, seed: int = 0) -> float:
    """Return a Monte Carlo estimate of pi from n_samples random points, reproducible by seed.

    Each call has its own random generator, so parallel calls with different seeds are
    independent and the result does not depend on which process ran it.
    """
    _arguments.integer("n_samples", n_samples, minimum=1)
    _arguments.integer("seed", seed)
    rng = random.Random(seed)
    inside = 0
    for _ in range(n_samples):
        x = rng.random()
        y = rng.random()
        if x * x + y * y <= 1.0:
            inside += 1
    return 4.0 * inside / n_samples


def sum_squares(n: int) -> int:
    """Return 0**2 + 1**2 + ... + (n-1)**2, computed by a loop: CPU-bound for large n."""
    _arguments.integer("n", n, minimum=0)
    total = 0
    for i in range(n):
        total += i * i
    return total


def sleep_and_return(seconds: float, value: object = None) -> object:
    """Return value after sleeping `seconds`: stands in for I/O such as a download or a query.

    While it sleeps the process (or thread) uses no CPU, which is why threads speed up
    this kind of work as well as processes do.
    """
    _arguments.seconds("seconds", seconds, allow_zero=True)
    time.sleep(seconds)
    return value


def raise_if_negative(x: int | float) -> int | float:
    """Return x unchanged; raise ValueError if x is negative (for the chapters on errors)."""
    _arguments.number("x", x)
    if x < 0:
        raise ValueError(f"negative input: {x}")
    return x


def append_and_return(items: list, value: object) -> list:
    """Return items with value appended, changing the list this process holds.

    In a child that list is the child's own copy (it arrived pickled), so the parent's
    list is untouched: processes do not share memory unless you ask for it.
    """
    if not isinstance(items, list):
        raise TypeError(f"items must be a list, got {type(items).__name__}")
    items.append(value)
    return items


def whoami(task: object = None, seconds: float = 0) -> tuple[object, int, str]:
    """Return (task, pid, process name) of the process that ran it, after sleeping `seconds`.

    The sleep lets several workers take part: instant tasks all go to whichever worker
    asks first.
    """
    import multiprocessing  # here, not at the top: the parent rarely needs it

    _arguments.seconds("seconds", seconds, allow_zero=True)
    time.sleep(seconds)
    return task, os.getpid(), multiprocessing.current_process().name
