"""The pool targets of chapter 04: per-worker setup, a worker that dies, and their argument checks."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import pytest

from mpbook import pooling, start_method
from mpbook.workers import count_primes

TIMEOUT_S = 60  # a spawn pool of 2 starts in ~0.3 s here; the margin covers a loaded CI machine


def test_build_prime_table_marks_exactly_the_primes():
    """build_prime_table(n) has a 1 at every prime below n and a 0 everywhere else."""
    table = pooling.build_prime_table(200)
    assert len(table) == 200
    primes_below_200 = [n for n in range(2, 200) if all(n % d for d in range(2, n))]
    assert [n for n in range(200) if table[n]] == primes_below_200
    assert pooling.build_prime_table(0) == b""


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: pooling.build_prime_table(-1), ValueError),
        (lambda: pooling.build_prime_table(10.0), TypeError),
        (lambda: pooling.load_prime_table(True), TypeError),
        (lambda: pooling.load_prime_table(10, counter=3), TypeError),
        (lambda: pooling.count_primes_in_table(5, 2), ValueError),
        (lambda: pooling.count_primes_in_table(-1, 2), ValueError),
        (lambda: pooling.count_primes_building_table(0, 20, 10), ValueError),
        (lambda: pooling.count_primes_building_table(0, "20", 30), TypeError),
        (lambda: pooling.sleep_for(-0.1), ValueError),
        (lambda: pooling.sleep_for(float("nan")), ValueError),
        (lambda: pooling.sleep_for("1"), TypeError),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error):
    """Wrong types raise TypeError and impossible values ValueError, before any work is done."""
    with pytest.raises(error):
        call()


def test_count_primes_in_table_needs_the_initializer_first(monkeypatch):
    """Without load_prime_table the lookup raises RuntimeError naming the fix; after it, it counts."""
    monkeypatch.setattr(pooling, "_TABLE", None)
    with pytest.raises(RuntimeError, match="load_prime_table"):
        pooling.count_primes_in_table(0, 10)
    pooling.load_prime_table(1_000)
    assert pooling.count_primes_in_table(0, 1_000) == count_primes(0, 1_000)
    assert pooling.count_primes_in_table(100, 200) == count_primes(100, 200)
    with pytest.raises(ValueError, match="beyond the table"):
        pooling.count_primes_in_table(0, 1_001)


def test_count_primes_building_table_agrees_with_count_primes():
    """Building the table inside the task gives the same counts as counting directly."""
    assert pooling.count_primes_building_table(0, 500, 500) == count_primes(0, 500)
    assert pooling.count_primes_building_table(250, 400, 1_000) == count_primes(250, 400)


def test_the_initializer_runs_once_per_worker_not_per_task(book_context):
    """A pool of 2 running 12 tasks with load_prime_table as initializer builds exactly 2 tables."""
    setups = book_context.Value("i", 0)
    ranges = [(start, start + 100) for start in range(0, 1_200, 100)]
    with book_context.Pool(2, initializer=pooling.load_prime_table, initargs=(1_200, setups)) as pool:
        counts = pool.starmap_async(pooling.count_primes_in_table, ranges, chunksize=1).get(timeout=TIMEOUT_S)
        pool.close()
        # Pool.join() takes no timeout: wait for the slower worker's setup with a deadline instead
        deadline = time.monotonic() + TIMEOUT_S
        while setups.value < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert counts == [count_primes(a, b) for a, b in ranges]
    assert setups.value == 2, f"expected one setup per worker (2), counted {setups.value}"


def test_sleep_for_returns_its_argument_after_sleeping():
    """sleep_for(s) sleeps about s seconds and returns s."""
    started = time.perf_counter()
    assert pooling.sleep_for(0.05) == 0.05
    assert time.perf_counter() - started >= 0.04
    assert pooling.sleep_for(0) == 0


def test_exit_abruptly_on_returns_other_values_unchanged():
    """exit_abruptly_on(x, doomed) returns x whenever x != doomed (called here, in the test process)."""
    assert pooling.exit_abruptly_on(2, 3) == 2
    assert pooling.exit_abruptly_on("a", "b") == "a"


def test_exit_abruptly_on_the_doomed_value_ends_the_process_with_exit_code(book_context):
    """A Process running exit_abruptly_on(3, 3) ends at once with exitcode EXIT_CODE, not 0 or 1."""
    child = book_context.Process(target=pooling.exit_abruptly_on, args=(3, 3))
    child.start()
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == pooling.EXIT_CODE


def test_a_worker_that_dies_breaks_a_process_pool_executor(book_context):
    """ProcessPoolExecutor raises BrokenProcessPool for the task whose worker died, instead of hanging."""
    with ProcessPoolExecutor(max_workers=2, mp_context=book_context) as executor:
        doomed = executor.submit(pooling.exit_abruptly_on, 3, 3)
        with pytest.raises(BrokenProcessPool):
            doomed.result(timeout=TIMEOUT_S)


def test_name_process_class_names_the_start_method(book_context):
    """In this process the answer is _MainProcess; in a worker it is the class of the context's start method."""
    assert pooling.name_process_class() == "_MainProcess"
    classes = {"spawn": "SpawnProcess", "forkserver": "ForkServerProcess", "fork": "ForkProcess"}
    expected = classes[start_method()]
    with ProcessPoolExecutor(max_workers=1, mp_context=book_context) as executor:
        assert executor.submit(pooling.name_process_class).result(timeout=TIMEOUT_S) == expected
