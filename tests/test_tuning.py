"""The targets of chapter 06: process start, payloads, sharing a large array, BLAS threads and CPU counts."""

from __future__ import annotations

import os
import subprocess
import sys
from multiprocessing import shared_memory

import numpy as np
import pytest

from mpbook import tuning
from mpbook.sharing import SharedArrayRef

TIMEOUT_S = 60  # a spawn pool of 2 starts in well under a second; the margin covers a loaded CI machine


def test_importing_tuning_pulls_in_neither_numpy_nor_typing():
    """A spawned worker importing mpbook.tuning stays light: no NumPy, no typing, no mpbook.sharing."""
    code = "import sys, mpbook.tuning; print(sorted(m for m in ('numpy', 'typing', 'mpbook.sharing') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
    )
    assert out.stdout.strip() == "[]"


def test_do_nothing_runs_in_a_process_that_exits_cleanly(book_context):
    """A Process running do_nothing starts, ends by itself and exits with code 0."""
    assert tuning.do_nothing() is None
    process = book_context.Process(target=tuning.do_nothing)
    process.start()
    process.join(timeout=TIMEOUT_S)
    assert process.exitcode == 0


def test_import_modules_returns_seconds_and_checks_names():
    """import_modules imports what it is told and returns a duration; bad names raise."""
    assert tuning.import_modules("json", "math") >= 0.0
    assert "json" in sys.modules
    with pytest.raises(TypeError):
        tuning.import_modules("")
    with pytest.raises(TypeError):
        tuning.import_modules(3)
    with pytest.raises(ModuleNotFoundError):
        tuning.import_modules("no_such_module_for_mpbook")


def test_payload_length_counts_bytes_here_and_in_a_worker(book_context):
    """payload_length returns the byte count of bytes-like payloads, also after the trip to a worker."""
    assert tuning.payload_length(b"abc") == 3
    assert tuning.payload_length(bytearray(10)) == 10
    assert tuning.payload_length(memoryview(np.zeros(4))) == 32
    with pytest.raises(TypeError):
        tuning.payload_length("abc")
    with book_context.Pool(1) as pool:
        assert pool.apply_async(tuning.payload_length, (bytes(100_000),)).get(timeout=TIMEOUT_S) == 100_000


def test_the_three_ways_to_share_an_array_give_the_same_sums(book_context):
    """sum_array (pickled), load_array + sum_loaded_rows (initializer) and sum_shared_rows agree with NumPy."""
    data = np.arange(10_000, dtype=np.float64)
    halves = [(0, 5_000), (5_000, 10_000)]
    expected = [float(data[a:b].sum()) for a, b in halves]

    with book_context.Pool(2) as pool:
        pickled = pool.map_async(tuning.sum_array, [data[a:b] for a, b in halves]).get(timeout=TIMEOUT_S)
    with book_context.Pool(2, initializer=tuning.load_array, initargs=(data,)) as pool:
        loaded = pool.starmap_async(tuning.sum_loaded_rows, halves).get(timeout=TIMEOUT_S)
    block = shared_memory.SharedMemory(create=True, size=data.nbytes)
    try:
        view = np.frombuffer(block.buf, dtype=data.dtype, count=data.size)
        view[:] = data
        del view
        ref = SharedArrayRef(block.name, data.shape, str(data.dtype))
        with book_context.Pool(2) as pool:
            shared = pool.starmap_async(tuning.sum_shared_rows, [(ref, a, b) for a, b in halves]).get(
                timeout=TIMEOUT_S
            )
    finally:
        block.close()
        block.unlink()
    assert pickled == loaded == shared == expected


def test_sum_loaded_rows_needs_the_initializer_first(monkeypatch):
    """Without load_array, sum_loaded_rows raises RuntimeError naming the fix; rows out of range raise ValueError."""
    monkeypatch.setattr(tuning, "_ARRAY", None)
    with pytest.raises(RuntimeError, match="load_array"):
        tuning.sum_loaded_rows(0, 1)
    tuning.load_array(np.ones(5))
    assert tuning.sum_loaded_rows(1, 4) == 3.0
    with pytest.raises(ValueError, match="start <= stop"):
        tuning.sum_loaded_rows(2, 6)
    with pytest.raises(ValueError, match="start <= stop"):
        tuning.sum_loaded_rows(3, 2)
    with pytest.raises(TypeError):
        tuning.load_array([1, 2, 3])


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: tuning.sum_array([1.0, 2.0]), TypeError),
        (lambda: tuning.sum_shared_rows("name", 0, 1), TypeError),
        (lambda: tuning.sum_shared_rows(SharedArrayRef("", (4,), "float64"), 0, 1), TypeError),
        (lambda: tuning.sum_shared_rows(SharedArrayRef("x", (4,), "float64"), 0, 5), ValueError),
        (lambda: tuning.multiply_matrices(0, 1), ValueError),
        (lambda: tuning.multiply_matrices(10, 1.5), TypeError),
        (lambda: tuning.limit_blas_threads(0), ValueError),
        (lambda: tuning.count_cpus(restrict_to=0), ValueError),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error):
    """Wrong types raise TypeError and impossible values ValueError, before any work is done."""
    with pytest.raises(error):
        call()


def test_multiply_matrices_returns_seconds_and_a_thread_count():
    """multiply_matrices times its products and reports at least one OS thread in this process."""
    seconds, threads = tuning.multiply_matrices(32, 3)
    assert seconds >= 0.0
    assert threads is None or threads >= 1
    assert tuning.count_threads() is None or tuning.count_threads() >= 1


def test_limit_blas_threads_sets_every_variable(monkeypatch):
    """limit_blas_threads writes the thread count into each BLAS variable of this process's environment."""
    for variable in tuning.BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)  # restored after the test
    tuning.limit_blas_threads(3)
    assert {os.environ[v] for v in tuning.BLAS_THREAD_VARIABLES} == {"3"}


def test_set_blas_thread_variables_restores_what_was_there(monkeypatch):
    """Inside the block every variable is set; after it, set ones get their old value back and unset ones vanish."""
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    with tuning.set_blas_thread_variables(1):
        assert {os.environ[v] for v in tuning.BLAS_THREAD_VARIABLES} == {"1"}
    assert os.environ["OMP_NUM_THREADS"] == "7"
    assert "OPENBLAS_NUM_THREADS" not in os.environ


def test_a_spawn_worker_started_with_the_variables_uses_one_blas_thread():
    """Under spawn, a worker started inside set_blas_thread_variables(1), or with the initializer, has one thread."""
    pytest.importorskip("psutil")
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")  # the environment route works only for spawn: see chapter 06
    with tuning.set_blas_thread_variables(1):
        pool = spawn.Pool(1)
    with pool:
        _seconds, threads = pool.apply_async(tuning.multiply_matrices, (200, 1)).get(timeout=TIMEOUT_S)
    assert threads == 1
    with spawn.Pool(1, initializer=tuning.limit_blas_threads, initargs=(1,)) as pool:
        _seconds, threads = pool.apply_async(tuning.multiply_matrices, (200, 1)).get(timeout=TIMEOUT_S)
    assert threads == 1


def test_count_cpus_reports_counts_and_refuses_to_restrict_the_main_process():
    """count_cpus() answers in the main process; count_cpus(restrict_to=1) there raises RuntimeError."""
    counts = tuning.count_cpus()
    assert counts["cpu_count"] == os.cpu_count()
    assert 1 <= counts["usable"] <= (os.cpu_count() or counts["usable"])
    assert counts["restricted"] is False
    with pytest.raises(RuntimeError, match="child process"):
        tuning.count_cpus(restrict_to=1)


def test_count_cpus_in_a_restricted_worker_sees_one_usable_cpu(book_context):
    """A worker that restricts itself to one CPU still sees the machine's cpu_count, but one usable CPU."""
    with book_context.Pool(1) as pool:
        counts = pool.apply_async(tuning.count_cpus, (1,)).get(timeout=TIMEOUT_S)
    assert counts["cpu_count"] == os.cpu_count()
    if counts["restricted"]:
        assert counts["usable"] == 1
    else:  # no sched_setaffinity on this platform (macOS, Windows)
        assert not hasattr(os, "sched_setaffinity")
