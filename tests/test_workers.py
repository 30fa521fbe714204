"""The pool targets the chapters import: right answers, clear errors, and usable from a spawned child."""

from __future__ import annotations

import math
import pickle

import pytest

from mpbook import workers

TIMEOUT_S = 60  # a spawn pool of 2 starts in ~0.2 s here; the margin covers a loaded CI machine


@pytest.mark.parametrize(
    ("start", "stop", "expected"),
    [(0, 0, 0), (0, 2, 0), (0, 10, 4), (0, 100, 25), (10, 20, 4), (0, 10_000, 1229)],
)
def test_count_primes_matches_known_counts(start, stop, expected):
    """count_primes returns the number of primes in [start, stop), checked against known values."""
    assert workers.count_primes(start, stop) == expected


def test_is_prime_on_small_numbers():
    """is_prime agrees with a sieve for every n below 1000."""
    sieve = [True] * 1000
    sieve[0] = sieve[1] = False
    for n in range(2, 32):
        for multiple in range(n * n, 1000, n):
            sieve[multiple] = False
    assert [workers.is_prime(n) for n in range(1000)] == sieve


def test_estimate_pi_is_close_and_reproducible():
    """estimate_pi is within 0.05 of pi for 100 000 samples and returns the same value for the same seed."""
    first = workers.estimate_pi(100_000, seed=7)
    assert abs(first - math.pi) < 0.05
    assert workers.estimate_pi(100_000, seed=7) == first
    assert workers.estimate_pi(100_000, seed=8) != first


def test_small_workers_return_what_they_promise():
    """square, sum_squares, sleep_and_return, raise_if_negative and append_and_return return their documented values."""
    assert workers.square(7) == 49
    assert workers.square(1.5) == 2.25
    assert workers.sum_squares(4) == 0 + 1 + 4 + 9
    assert workers.sleep_and_return(0, "x") == "x"
    assert workers.raise_if_negative(3) == 3
    items = [1, 2]
    assert workers.append_and_return(items, 3) == [1, 2, 3]
    assert items == [1, 2, 3], "called in the same process, it changes the very list it was given"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: workers.count_primes(-1, 5), ValueError, "start must be >= 0"),
        (lambda: workers.count_primes(10, 5), ValueError, "stop must be >= start"),
        (lambda: workers.count_primes("0", 5), TypeError, "start must be an int"),
        (lambda: workers.count_primes(0, 5.0), TypeError, "stop must be an int"),
        (lambda: workers.estimate_pi(0), ValueError, "n_samples must be >= 1"),
        (lambda: workers.estimate_pi(True), TypeError, "n_samples must be an int"),
        (lambda: workers.sleep_and_return(-1), ValueError, "seconds must be >= 0"),
        (lambda: workers.sleep_and_return(float("nan")), ValueError, "NaN"),
        # square has no check of its own (it is timed per task); Python's own TypeError tells.
        (lambda: workers.square("3"), TypeError, "can't multiply sequence"),
        (lambda: workers.sum_squares(-5), ValueError, "n must be >= 0"),
        (lambda: workers.raise_if_negative(-2), ValueError, "negative input: -2"),
        (lambda: workers.append_and_return("abc", 1), TypeError, "items must be a list"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    """Bad arguments raise ValueError or TypeError whose message names the argument and the rule."""
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("name", workers.__all__)
def test_every_worker_pickles_by_reference(name):
    """Every public worker pickles as a reference to mpbook.workers, which a spawned child can import."""
    payload = pickle.dumps(getattr(workers, name))
    assert b"mpbook.workers" in payload
    assert pickle.loads(payload) is getattr(workers, name)


def test_workers_run_in_a_pool_of_the_book_start_method(book_context):
    """A pool started with the book's start method runs the workers and returns their results in order."""
    with book_context.Pool(2) as pool:
        squares = pool.map_async(workers.square, range(10)).get(timeout=TIMEOUT_S)
        primes = pool.starmap_async(workers.count_primes, [(0, 100), (100, 200)]).get(timeout=TIMEOUT_S)
        task, pid, name = pool.apply_async(workers.whoami, ("t",)).get(timeout=TIMEOUT_S)
    assert squares == [x * x for x in range(10)]
    assert primes == [25, 21]
    assert task == "t"
    assert isinstance(pid, int)
    assert "PoolWorker" in name


def test_a_child_changes_only_its_own_copy(book_context):
    """A list sent to a child arrives as a copy: the child's append does not reach the parent's list."""
    items = [1, 2]
    with book_context.Pool(1) as pool:
        returned = pool.apply_async(workers.append_and_return, (items, 3)).get(timeout=TIMEOUT_S)
    assert returned == [1, 2, 3]
    assert items == [1, 2]


def test_worker_errors_reach_the_parent(book_context):
    """An exception raised in a worker is re-raised in the parent with its type and message."""
    with book_context.Pool(1) as pool, pytest.raises(ValueError, match="negative input: -1"):
        pool.map_async(workers.raise_if_negative, [1, -1]).get(timeout=TIMEOUT_S)


def test_importing_workers_stays_light(tmp_path):
    """Importing mpbook.workers loads no NumPy, matplotlib or Jupyter: every spawned child pays for it."""
    import subprocess
    import sys

    code = (
        "import sys, mpbook.workers; "
        "heavy = [m for m in ('numpy', 'matplotlib', 'ipywidgets', 'IPython') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
    )
    assert out.stdout.strip() == "", f"importing mpbook.workers pulled in: {out.stdout.strip()}"
