"""The chapter 03 targets: shared counters, primitives, shared memory and managers, in real child processes."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import threading
import time
from multiprocessing import shared_memory
from multiprocessing.managers import SharedMemoryManager

import numpy as np
import pytest

from mpbook import demos, sharing

TIMEOUT_S = (
    60  # each test starts at most a few spawn children (~0.1-0.3 s each); margin for a loaded CI machine
)


def start_all(processes):
    """Start every process in the list, then return it."""
    for process in processes:
        process.start()
    return processes


def join_all(processes):
    """Join every process with a timeout, kill any straggler, and return the exit codes."""
    for process in processes:
        process.join(timeout=TIMEOUT_S)
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(timeout=TIMEOUT_S)
    return [process.exitcode for process in processes]


@pytest.fixture
def shared_block():
    """A 1 MB shared memory block, closed and unlinked after the test whatever happens."""
    block = shared_memory.SharedMemory(create=True, size=1024 * 1024)
    yield block
    block.close()
    with contextlib.suppress(FileNotFoundError):  # the test may have unlinked it itself
        block.unlink()


def block_exists(name):
    """Return True if a shared memory block called `name` exists."""
    try:
        shared_memory.SharedMemory(name=name).close()
    except FileNotFoundError:
        return False
    return True


# --- Value and Array ---------------------------------------------------------------------


def test_locked_increments_from_several_processes_lose_nothing(book_context):
    """Four children running increment_with_lock on one Value reach exactly 4 x times."""
    counter = book_context.Value("i", 0)
    children = start_all(
        [book_context.Process(target=sharing.increment_with_lock, args=(counter, 20_000)) for _ in range(4)]
    )
    assert join_all(children) == [0] * 4
    assert counter.value == 80_000


def test_unsafe_increment_is_a_separate_read_and_write():
    """increment_unsafely reads the value and then writes read + 1, two steps another process could split."""

    class RecordingCounter:
        """A counter that records every read and write of .value."""

        def __init__(self):
            self._value = 0
            self.operations = []

        @property
        def value(self):
            self.operations.append(("read", self._value))
            return self._value

        @value.setter
        def value(self, new):
            self.operations.append(("write", new))
            self._value = new

    counter = RecordingCounter()
    sharing.increment_unsafely(counter, 2)
    assert counter.operations[-4:] == [("read", 0), ("write", 1), ("read", 1), ("write", 2)]


def test_increments_in_this_process_are_exact():
    """Both increment functions add exactly `times` when nobody else writes, also to a RawValue."""
    value = multiprocessing.Value("i", 5)
    sharing.increment_with_lock(value, 10)
    raw = multiprocessing.RawValue("i", 0)
    sharing.increment_unsafely(raw, 7)
    assert (value.value, raw.value) == (15, 7)


def test_fill_with_squares_writes_through_to_the_parent(book_context):
    """A child writing through a NumPy view of an Array changes the parent's NumPy view of it."""
    shared = book_context.Array("d", 6)
    view = np.frombuffer(shared.get_obj())
    [child] = start_all([book_context.Process(target=sharing.fill_with_squares, args=(shared,))])
    assert join_all([child]) == [0]
    assert view.tolist() == [0.0, 1.0, 4.0, 9.0, 16.0, 25.0]


def test_fill_with_squares_accepts_a_raw_array():
    """fill_with_squares also works on a RawArray, which has no lock."""
    raw = multiprocessing.RawArray("d", 3)
    sharing.fill_with_squares(raw)
    assert list(raw) == [0.0, 1.0, 4.0]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: sharing.increment_unsafely(3, 1), TypeError, "Value or RawValue"),
        (lambda: sharing.increment_with_lock(multiprocessing.RawValue("i", 0), 1), TypeError, "get_lock"),
        (
            lambda: sharing.increment_with_lock(multiprocessing.Value("i", 0), -1),
            ValueError,
            "times must be >= 0",
        ),
        (
            lambda: sharing.increment_with_lock(multiprocessing.Value("i", 0), 1.0),
            TypeError,
            "times must be an int",
        ),
        (lambda: sharing.fill_with_squares(multiprocessing.Array("i", 3)), TypeError, "Array('d', n)"),
        (lambda: sharing.fill_with_squares([0.0, 1.0]), TypeError, "Array('d', n)"),
    ],
)
def test_value_targets_reject_bad_arguments(call, error, message):
    """The Value/Array targets raise a clear TypeError or ValueError for arguments they cannot use."""
    with pytest.raises(error, match=re.escape(message)):
        call()


# --- acquired and the primitives ---------------------------------------------------------


def test_acquired_holds_and_releases_the_lock():
    """acquired holds the lock inside the block and releases it after, even when the block raises."""
    lock = multiprocessing.Lock()
    with sharing.acquired(lock, timeout=1):
        assert not lock.acquire(timeout=0.01)
    assert lock.acquire(timeout=0.01)
    lock.release()
    with pytest.raises(KeyError), sharing.acquired(lock, timeout=1):
        raise KeyError("boom")
    assert lock.acquire(timeout=0.01), "the lock was released despite the exception"
    lock.release()


def test_acquired_times_out_instead_of_hanging():
    """acquired raises TimeoutError after `timeout` seconds when someone else holds the lock."""
    lock = multiprocessing.Lock()
    lock.acquire()
    try:
        started = time.perf_counter()
        with pytest.raises(TimeoutError, match="could not acquire"), sharing.acquired(lock, timeout=0.2):
            pass
        assert time.perf_counter() - started < 5
    finally:
        lock.release()


def test_acquired_rejects_non_locks_and_bad_timeouts():
    """acquired raises TypeError for an object without acquire/release and ValueError for a negative timeout."""
    with pytest.raises(TypeError, match="a lock"), sharing.acquired(object()):
        pass
    with pytest.raises(ValueError, match="timeout must be >= 0"), sharing.acquired(threading.Lock(), -1):
        pass


def test_transfer_keeps_the_total_and_the_balances(book_context):
    """Two children moving units in opposite directions under one Lock leave the balances as they started."""
    accounts = book_context.RawArray("i", [50, 50])
    lock = book_context.Lock()
    movers = start_all(
        [
            book_context.Process(target=sharing.transfer, args=(lock, accounts, 0, 1, 5_000)),
            book_context.Process(target=sharing.transfer, args=(lock, accounts, 1, 0, 5_000)),
        ]
    )
    assert join_all(movers) == [0, 0]
    assert list(accounts) == [50, 50]


def test_transfer_rejects_an_index_out_of_range():
    """transfer raises ValueError naming the bad index before moving anything."""
    accounts = multiprocessing.RawArray("i", [1, 1])
    with pytest.raises(ValueError, match="destination must be < len"):
        sharing.transfer(multiprocessing.Lock(), accounts, 0, 2, 1)
    assert list(accounts) == [1, 1]


def test_pay_with_fee_needs_a_reentrant_lock(book_context):
    """With an RLock every payment goes through; with a plain Lock the nested acquire times out and the child exits 1."""
    balance = book_context.RawValue("i", 100)
    lock = book_context.RLock()  # keep a reference: start() drops the args, and a collected lock is unlinked
    [payer] = start_all(
        [book_context.Process(target=sharing.pay_with_fee, args=(lock, balance, 5, 1, 10, 5.0))]
    )
    assert join_all([payer]) == [0]
    assert balance.value == 100 - 10 * 6

    with pytest.raises(TimeoutError):
        sharing.pay_with_fee(multiprocessing.Lock(), multiprocessing.RawValue("i", 100), 5, 1, 1, 0.1)


def test_semaphore_caps_the_number_of_active_workers(book_context):
    """Five children sharing Semaphore(2) are never more than two at once, and two do overlap."""
    slots = book_context.Semaphore(2)
    active, peak = book_context.Value("i", 0), book_context.Value("i", 0)
    workers = start_all(
        [
            book_context.Process(target=sharing.work_in_limited_slots, args=(slots, active, peak, 0.3))
            for _ in range(5)
        ]
    )
    assert join_all(workers) == [0] * 5
    assert peak.value == 2
    assert active.value == 0


def test_event_stops_every_worker_after_the_first_failure(book_context):
    """The worker with a negative item reports failed, the others stop early instead of finishing."""
    stop = book_context.Event()
    results = book_context.Queue()
    shares = [[1] * 500 for _ in range(3)]
    shares[1][3] = -1
    workers = start_all(
        [
            book_context.Process(
                target=sharing.check_items_until_stopped, args=(stop, results, i, share, 0.01)
            )
            for i, share in enumerate(shares)
        ]
    )
    outcomes = sorted(results.get(timeout=TIMEOUT_S) for _ in workers)
    assert join_all(workers) == [0] * 3
    assert [(worker, outcome) for worker, outcome, _ in outcomes] == [
        (0, "stopped"),
        (1, "failed"),
        (2, "stopped"),
    ]
    assert outcomes[1][2] == 3, "the failing worker checked the three good items before the bad one"
    assert stop.is_set()


def test_event_worker_finishes_when_nothing_fails():
    """Without a bad item the worker checks every item and reports finished."""
    stop = multiprocessing.Event()
    results = multiprocessing.SimpleQueue()
    sharing.check_items_until_stopped(stop, results, 0, [1, 2, 3], 0)
    assert results.get() == (0, "finished", 3)


def test_condition_wakes_the_waiter_when_the_predicate_holds(book_context):
    """The parent's wait_for returns True once the producers have made enough items; all items arrive."""
    condition = book_context.Condition()
    ready = book_context.RawValue("i", 0)
    producers = start_all(
        [
            book_context.Process(target=sharing.produce_items, args=(condition, ready, 3, 0.05))
            for _ in range(2)
        ]
    )
    with sharing.acquired(condition, timeout=10):
        assert condition.wait_for(lambda: ready.value >= 4, timeout=TIMEOUT_S)
    assert join_all(producers) == [0, 0]
    assert ready.value == 6


def test_barrier_starts_no_phase_before_the_previous_one_ended(book_context):
    """With three workers of different speeds, every phase starts after every worker finished the one before."""
    barrier = book_context.Barrier(3)
    log = book_context.Queue()
    workers = start_all(
        [book_context.Process(target=sharing.run_phases, args=(barrier, log, i, 2, 0.05)) for i in range(3)]
    )
    records = [log.get(timeout=TIMEOUT_S) for _ in range(6)]
    assert join_all(workers) == [0] * 3
    first_start = min(started for _w, phase, started, _e in records if phase == 1)
    last_end = max(ended for _w, phase, _s, ended in records if phase == 0)
    assert first_start >= last_end


def test_barrier_breaks_instead_of_waiting_forever():
    """A barrier whose other party never comes raises BrokenBarrierError after the timeout."""
    with pytest.raises(threading.BrokenBarrierError):
        multiprocessing.Barrier(2).wait(timeout=0.1)


# --- shared_memory ---------------------------------------------------------------------


def test_workers_write_into_the_parents_shared_array(book_context, shared_block):
    """Two pool workers adding to their halves of a shared array change the parent's array in place."""
    ref = sharing.SharedArrayRef(shared_block.name, (64, 16), "float64")
    array = np.frombuffer(shared_block.buf, dtype=np.float64, count=64 * 16).reshape(64, 16)
    array[:] = 1.0
    with book_context.Pool(processes=2) as pool:
        seconds = pool.starmap_async(sharing.add_to_shared_rows, [(ref, 0, 32, 1.0), (ref, 32, 64, 2.0)]).get(
            timeout=TIMEOUT_S
        )
    assert all(0 <= s < 5 for s in seconds)
    assert (array[:32] == 2.0).all()
    assert (array[32:] == 3.0).all()
    del array


def test_serve_array_sums_answers_arrays_and_refs(book_context, shared_block):
    """The summing worker returns the same sum for an array sent by value and for a reference to shared memory."""
    data = np.arange(1000, dtype=np.float64)
    in_block = np.frombuffer(shared_block.buf, dtype=np.float64, count=data.size)
    in_block[:] = data
    inbox, outbox = book_context.Queue(), book_context.Queue()
    [server] = start_all([book_context.Process(target=sharing.serve_array_sums, args=(inbox, outbox))])
    try:
        inbox.put(data)
        by_value = outbox.get(timeout=TIMEOUT_S)
        inbox.put(sharing.SharedArrayRef(shared_block.name, (1000,), "float64"))
        by_ref = outbox.get(timeout=TIMEOUT_S)
    finally:
        inbox.put(None)
        exit_codes = join_all([server])
    del in_block
    assert by_value == by_ref == float(data.sum())
    assert exit_codes == [0]


def test_serve_array_sums_stops_after_a_silent_timeout():
    """The summing worker returns by itself when nothing arrives within its timeout."""
    started = time.perf_counter()
    sharing.serve_array_sums(multiprocessing.Queue(), multiprocessing.Queue(), timeout=0.1)
    assert time.perf_counter() - started < 5


def test_add_to_shared_rows_rejects_bad_references_and_rows(shared_block):
    """add_to_shared_rows raises TypeError for a malformed reference and ValueError for rows past the end."""
    with pytest.raises(TypeError, match="SharedArrayRef"):
        sharing.add_to_shared_rows("not a ref", 0, 1, 1.0)
    with pytest.raises(TypeError, match="shape must be a tuple"):
        sharing.add_to_shared_rows(sharing.SharedArrayRef(shared_block.name, [4], "float64"), 0, 1, 1.0)
    with pytest.raises(ValueError, match="stop must be <= 4"):
        sharing.add_to_shared_rows(sharing.SharedArrayRef(shared_block.name, (4,), "float64"), 0, 5, 1.0)


def test_shareable_list_item_set_by_a_child(book_context):
    """A child attaching to a ShareableList by name changes the item the parent reads; the manager unlinks it."""
    with SharedMemoryManager(ctx=book_context) as smm:
        items = smm.ShareableList([0, "pending"])
        name = items.shm.name
        [child] = start_all([book_context.Process(target=sharing.set_shareable_item, args=(name, 1, "done"))])
        assert join_all([child]) == [0]
        assert list(items) == [0, "done"]
        items.shm.close()
    assert not block_exists(name)


# --- Manager -----------------------------------------------------------------------------


def test_record_square_fills_the_manager_objects(book_context):
    """Pool workers given manager proxies fill the dict, the list and the Namespace counter exactly."""
    with book_context.Manager() as manager:
        results, log = manager.dict(), manager.list()
        status, lock = manager.Namespace(done=0), manager.Lock()
        with book_context.Pool(processes=2) as pool:
            squares = pool.starmap_async(
                sharing.record_square, [(i, results, log, status, lock) for i in range(8)]
            ).get(timeout=TIMEOUT_S)
        assert squares == [i * i for i in range(8)]
        assert dict(results) == {i: i * i for i in range(8)}
        assert sorted(log) == sorted(f"task {i} done" for i in range(8))
        assert status.done == 8


def test_record_square_rejects_a_namespace_without_done(book_context):
    """record_square raises TypeError when the Namespace has no `done` attribute to count on."""
    with book_context.Manager() as manager, pytest.raises(TypeError, match="done"):
        sharing.record_square(1, manager.dict(), manager.list(), manager.Namespace(), manager.Lock())


# --- the demo scripts --------------------------------------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="Windows has no resource tracker for shared memory")
def test_leak_demo_warns_and_clean_demo_does_not():
    """The leak script makes the resource tracker warn at exit; the clean script prints no warning."""
    leak = demos.run_script("shm_leak", "leak", timeout=TIMEOUT_S)
    clean = demos.run_script("shm_leak", "clean", timeout=TIMEOUT_S)
    assert leak.returncode == clean.returncode == 0
    assert "leaked shared_memory objects" in leak.stderr
    assert "leaked" not in clean.stderr


@pytest.mark.skipif(os.name != "posix", reason="Windows has no resource tracker for shared memory")
def test_attach_demo_shows_an_unrelated_program_unlinking_the_block():
    """An unrelated program that attaches and exits unlinks the block through its own resource tracker."""
    run = demos.run_script("shm_leak", "attach", timeout=TIMEOUT_S)
    assert run.returncode == 0, run.stderr
    assert "the other program read: hello" in run.stdout
    assert "still exists after the other program exited: no" in run.stdout


@pytest.mark.skipif(os.name != "posix", reason="needs process groups and POSIX shared memory")
def test_killed_demo_leaves_its_block_behind():
    """A program killed together with its resource tracker leaves its block; the test unlinks it by hand."""
    run = demos.run_script("shm_leak", "killed", timeout=TIMEOUT_S)
    assert run.returncode == -signal.SIGKILL
    name = run.stdout.split("block name: ")[1].split()[0]
    try:
        assert block_exists(name)
    finally:
        block = shared_memory.SharedMemory(name=name)
        block.close()
        block.unlink()
    assert not block_exists(name)


def test_dangling_demo_frombuffer_refuses_and_ndarray_crashes():
    """frombuffer makes close() raise BufferError; np.ndarray(buffer=...) lets close() succeed and the process crash."""
    safe = demos.run_script("shm_dangling", "frombuffer", timeout=TIMEOUT_S)
    assert safe.returncode == 0, safe.stderr
    assert "BufferError" in safe.stdout
    crash = demos.run_script("shm_dangling", "ndarray", timeout=TIMEOUT_S)
    assert "close() succeeded with the view still alive" in crash.stdout
    assert crash.returncode != 0
    assert "not expected to print" not in crash.stdout


def test_demo_scripts_reject_unknown_modes():
    """Both shared-memory demo scripts exit 1 with a usage message for an unknown mode."""
    for script in ("shm_leak", "shm_dangling"):
        run = demos.run_script(script, "bogus", timeout=TIMEOUT_S)
        assert run.returncode == 1
        assert "unknown mode 'bogus'" in run.stderr
