"""The Process, Queue and Pipe targets of chapter 02: what they send, how they end, and their argument checks."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from multiprocessing.connection import wait

import pytest

from mpbook import messaging, start_method
from mpbook.workers import sleep_and_return

TIMEOUT_S = 60  # a spawn child starts in ~0.1 s here; the margin covers a loaded CI machine


@pytest.fixture
def started(book_context):
    """Start processes of the book's context; after the test, join them and kill any still alive."""
    processes = []

    def start(target, *args, daemon=None):
        process = book_context.Process(target=target, args=args, daemon=daemon)
        process.start()
        processes.append(process)
        return process

    yield start
    for process in processes:  # a failed test may leave a child running: never let it outlive the test
        if process.is_alive():
            process.kill()
            process.join(timeout=TIMEOUT_S)


@pytest.mark.parametrize(("code", "expected"), [(0, 0), (3, 3), (None, 0), ("bye", 1)])
def test_exit_with_code_sets_the_exitcode(started, code, expected):
    """sys.exit(N) in a child gives exitcode N; None gives 0 and a message gives 1."""
    child = started(messaging.exit_with_code, code)
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == expected


def test_an_uncaught_exception_gives_exitcode_1(started):
    """A child whose target raises ends with exitcode 1; the parent gets no exception."""
    child = started(messaging.fail_with_error, "boom")
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == 1


def test_terminate_and_kill_give_negative_signal_numbers(started):
    """terminate() gives -SIGTERM on every platform; kill() gives -SIGKILL where it exists (-SIGTERM on Windows)."""
    terminated = started(sleep_and_return, 30)
    killed = started(sleep_and_return, 30)
    terminated.terminate()
    killed.kill()
    terminated.join(timeout=TIMEOUT_S)
    killed.join(timeout=TIMEOUT_S)
    assert terminated.exitcode == -signal.SIGTERM
    assert killed.exitcode == -getattr(signal, "SIGKILL", signal.SIGTERM)


@pytest.mark.skipif(os.name != "posix", reason="on Windows terminate() cannot be ignored")
def test_a_child_ignoring_sigterm_survives_terminate_but_not_kill(book_context, started):
    """A child that ignores SIGTERM is still alive after terminate(); kill() ends it with -SIGKILL."""
    ready = book_context.Event()
    child = started(messaging.ignore_sigterm_and_sleep, 30, ready)
    assert ready.wait(timeout=TIMEOUT_S), "the child never installed its SIGTERM handler"
    child.terminate()
    child.join(timeout=0.5)
    assert child.is_alive()
    child.kill()
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == -signal.SIGKILL


@pytest.mark.parametrize(
    ("daemon", "expected"),
    [
        (False, "started a child, its exitcode 0"),
        (True, "AssertionError: daemonic processes are not allowed to have children"),
    ],
)
def test_only_a_non_daemon_process_may_start_children(book_context, started, daemon, expected):
    """report_starting_a_child starts a grandchild from a normal process, and reports the AssertionError from a daemon."""
    answers = book_context.Queue()
    child = started(messaging.report_starting_a_child, answers, daemon=daemon)
    assert answers.get(timeout=TIMEOUT_S) == expected
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == 0


def test_daemon_children_are_terminated_when_the_parent_exits():
    """A script whose main code ends does not wait for its daemon child: the child is terminated (-SIGTERM)."""
    script = (
        "import atexit\n"
        "atexit.register(lambda: print('exitcode', child.exitcode))\n"
        "import multiprocessing as mp, sys\n"
        "from mpbook.workers import sleep_and_return\n"
        "if __name__ == '__main__':\n"
        "    mp.set_start_method(sys.argv[1])\n"
        "    child = mp.Process(target=sleep_and_return, args=(60,), daemon=True)\n"
        "    child.start()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, start_method()], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert run.stdout.strip() == f"exitcode {-signal.SIGTERM}", run.stderr


@pytest.mark.parametrize("n_consumers", [1, 3])
def test_consumers_stop_on_one_sentinel_each(book_context, started, n_consumers):
    """A producer with one sentinel per consumer: every item is squared once and every consumer stops with 0."""
    tasks, results = book_context.Queue(), book_context.Queue()
    producer = started(messaging.produce_items, list(range(20)), tasks, n_consumers)
    consumers = [started(messaging.square_until_sentinel, tasks, results) for _ in range(n_consumers)]
    pairs, stopped = [], 0
    while stopped < n_consumers:
        item = results.get(timeout=TIMEOUT_S)
        if item is None:
            stopped += 1
        else:
            pairs.append(item)
    for process in [producer, *consumers]:
        process.join(timeout=TIMEOUT_S)
    assert sorted(pairs) == [(x, x * x) for x in range(20)]
    assert [process.exitcode for process in [producer, *consumers]] == [0] * (n_consumers + 1)


def test_a_consumer_without_its_sentinel_gives_up_after_its_timeout(book_context, started):
    """square_until_sentinel with no sentinel waits `timeout` seconds, then exits 1 (queue.Empty) instead of hanging."""
    tasks, results = book_context.Queue(), book_context.Queue()
    consumer = started(messaging.square_until_sentinel, tasks, results, 0.5)
    consumer.join(timeout=TIMEOUT_S)
    assert consumer.exitcode == 1


def _join_queue(joinable_queue, timeout):
    """Return True if joinable_queue.join() returned within timeout seconds."""
    waiter = threading.Thread(target=joinable_queue.join, daemon=True)
    waiter.start()
    waiter.join(timeout)
    return not waiter.is_alive()


def test_joinable_tasks_are_all_marked_done(book_context, started):
    """square_joinable_tasks calls task_done for every item and sentinel, so join() returns."""
    tasks, results = book_context.JoinableQueue(), book_context.Queue()
    workers = [started(messaging.square_joinable_tasks, tasks, results) for _ in range(2)]
    for x in [1, 2, 3, 4, None, None]:
        tasks.put(x)
    assert _join_queue(tasks, TIMEOUT_S)
    assert sorted(results.get(timeout=TIMEOUT_S) for _ in range(4)) == [(1, 1), (2, 4), (3, 9), (4, 16)]
    for worker in workers:
        worker.join(timeout=TIMEOUT_S)
    assert [worker.exitcode for worker in workers] == [0, 0]


def test_a_crashed_joinable_worker_leaves_join_waiting(book_context, started):
    """A worker that crashes on a bad item never calls task_done for it, so join() does not return."""
    tasks, results = book_context.JoinableQueue(), book_context.Queue()
    worker = started(messaging.square_joinable_tasks, tasks, results)
    for x in [1, "oops", None]:
        tasks.put(x)
    assert results.get(timeout=TIMEOUT_S) == (1, 1)
    worker.join(timeout=TIMEOUT_S)
    assert worker.exitcode == 1
    assert not _join_queue(tasks, 0.5)
    assert tasks.get(timeout=TIMEOUT_S) is None  # the sentinel nobody took
    tasks.task_done()
    tasks.task_done()  # for "oops" and the sentinel: now the waiter thread is released
    assert _join_queue(tasks, TIMEOUT_S)


def test_joining_before_getting_a_large_payload_deadlocks(book_context, started):
    """A child that put 1 MB cannot exit until it is read: join(timeout) returns with it alive; get then join works."""
    results = book_context.Queue()
    child = started(messaging.put_payload, results, 1_000_000)
    child.join(timeout=2)
    assert child.is_alive()
    assert child.exitcode is None
    assert len(results.get(timeout=TIMEOUT_S)) == 1_000_000
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == 0


def test_a_small_payload_does_not_deadlock(book_context, started):
    """A payload that fits in the pipe buffer lets the child exit before anyone reads it."""
    results = book_context.Queue()
    child = started(messaging.put_payload, results, 100)
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == 0
    assert results.get(timeout=TIMEOUT_S) == bytes(100)


def test_put_square_sends_a_square_or_crashes_before_putting(book_context, started):
    """put_square puts x*x; with a non-number the child exits 1 and the queue stays empty."""
    results = book_context.Queue()
    good = started(messaging.put_square, results, 9)
    assert results.get(timeout=TIMEOUT_S) == 81
    bad = started(messaging.put_square, results, "oops")
    good.join(timeout=TIMEOUT_S)
    bad.join(timeout=TIMEOUT_S)
    assert (good.exitcode, bad.exitcode) == (0, 1)
    with pytest.raises(queue.Empty):
        results.get(timeout=0.5)


def test_echo_messages_answers_until_the_sentinel(book_context, started):
    """echo_messages answers each message with ('echo', message) and stops at None."""
    parent_end, child_end = book_context.Pipe()
    child = started(messaging.echo_messages, child_end)
    child_end.close()
    replies = []
    for message in ["a", 1, [2]]:
        parent_end.send(message)
        assert parent_end.poll(TIMEOUT_S)
        replies.append(parent_end.recv())
    parent_end.send(None)
    child.join(timeout=TIMEOUT_S)
    parent_end.close()
    assert replies == [("echo", "a"), ("echo", 1), ("echo", [2])]
    assert child.exitcode == 0


def test_echo_messages_stops_at_end_of_file():
    """echo_messages returns normally when the other end is closed instead of sending None."""
    parent_end, child_end = multiprocessing.Pipe()
    parent_end.close()
    assert messaging.echo_messages(child_end, 1) == 0
    assert child_end.closed, "echo_messages closes its end when it returns"


@pytest.mark.skipif(start_method() != "fork", reason="only a forked child inherits ends it was not given")
def test_a_forked_child_inherits_the_parents_end(book_context, started):
    """Under fork the child inherits the parent's end too, so closing the parent's copy gives the child no EOF."""
    parent_end, child_end = book_context.Pipe()
    child = started(messaging.echo_messages, child_end, 0.5)
    child_end.close()
    parent_end.close()
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == 1, "the child should have timed out waiting for an end of file that never comes"


@pytest.mark.parametrize(("close_unused", "expected_exitcode"), [(True, 0), (False, 1)])
def test_count_until_eof_needs_the_child_to_close_its_send_end(
    book_context, started, close_unused, expected_exitcode
):
    """A child given both ends sees EOF only if it closes its copy of the send end; otherwise it times out."""
    receive_end, send_end = book_context.Pipe(duplex=False)
    counts = book_context.Queue()
    child = started(messaging.count_until_eof, receive_end, counts, send_end, close_unused, 0.5)
    receive_end.close()
    for number in range(3):
        send_end.send(number)
    send_end.close()
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == expected_exitcode
    if close_unused:
        assert counts.get(timeout=TIMEOUT_S) == 3


def test_send_numbers_then_end_of_file(book_context, started):
    """send_numbers sends 0..n-1 and closes its end; once the parent closes its copy too, recv raises EOFError."""
    receive_end, send_end = book_context.Pipe(duplex=False)
    child = started(messaging.send_numbers, send_end, 4)
    received = []
    while receive_end.poll(1):
        received.append(receive_end.recv())
    assert received == [0, 1, 2, 3]
    assert not receive_end.poll(0.2), "the parent's own send end still keeps the pipe open"
    send_end.close()
    assert receive_end.poll(TIMEOUT_S)
    with pytest.raises(EOFError):
        receive_end.recv()
    receive_end.close()
    child.join(timeout=TIMEOUT_S)
    assert child.exitcode == 0


def test_send_after_works_with_connection_wait(book_context, started):
    """connection.wait sees each send_after value, then end of file, then the child's sentinel."""
    readers, children = [], []
    for seconds, value in [(0.2, "b"), (0.0, "a")]:
        receive_end, send_end = book_context.Pipe(duplex=False)
        children.append(started(messaging.send_after, send_end, seconds, value))
        send_end.close()
        readers.append(receive_end)
    messages, pending = [], [*readers, *(child.sentinel for child in children)]
    while pending:
        ready_list = wait(pending, timeout=TIMEOUT_S)
        assert ready_list, "nothing became ready"
        for ready in ready_list:
            if ready in readers:
                try:
                    messages.append(ready.recv())
                    continue
                except EOFError:
                    ready.close()
            pending.remove(ready)
    assert sorted(messages) == ["a", "b"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: messaging.exit_with_code(1.5), TypeError, "code must be an int"),
        (lambda: messaging.fail_with_error(3), TypeError, "message must be a str"),
        (lambda: messaging.ignore_sigterm_and_sleep(-1, None), ValueError, "seconds must be >= 0"),
        (lambda: messaging.ignore_sigterm_and_sleep(1, object()), TypeError, "ready must be an Event"),
        (lambda: messaging.report_starting_a_child([]), TypeError, "results must be a queue"),
        (lambda: messaging.produce_items("abc", queue.Queue(), 1), TypeError, "items must be a list"),
        (lambda: messaging.produce_items([1], [], 1), TypeError, "tasks must be a queue"),
        (lambda: messaging.produce_items([1], queue.Queue(), -1), ValueError, "n_sentinels must be >= 0"),
        (lambda: messaging.produce_items([1, None], queue.Queue(), 1), ValueError, "must not contain None"),
        (lambda: messaging.square_until_sentinel(queue.Queue(), None), TypeError, "results must be a queue"),
        (lambda: messaging.square_until_sentinel(queue.Queue(), queue.Queue(), "1"), TypeError, "timeout"),
        (lambda: messaging.square_joinable_tasks(FakeQueue(), queue.Queue()), TypeError, "JoinableQueue"),
        (lambda: messaging.put_payload(queue.Queue(), -1), ValueError, "n_bytes must be >= 0"),
        (lambda: messaging.put_payload(queue.Queue(), 1.0), TypeError, "n_bytes must be an int"),
        (lambda: messaging.put_square(queue.Queue(), "x"), TypeError, "can only square numbers"),
        (lambda: messaging.echo_messages(queue.Queue()), TypeError, "conn must be a Pipe connection"),
        (lambda: messaging.send_numbers(object(), 3), TypeError, "conn must be a Pipe connection"),
        (lambda: messaging.send_after(object(), 0, "x"), TypeError, "conn must be a Pipe connection"),
        (
            lambda: messaging.send_after(FakeConnection(), float("nan"), "x"),
            ValueError,
            "seconds must be >= 0",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    """Bad arguments raise ValueError or TypeError whose message names the argument and the rule."""
    with pytest.raises(error, match=message):
        call()


class FakeQueue:
    """Something with put and get but no task_done: a plain Queue, not a JoinableQueue."""

    def put(self, item):
        raise AssertionError("not used")

    def get(self, timeout=None):
        raise AssertionError("not used")


class FakeReceiver:
    """Something with send and recv, standing in for a Pipe end in argument checks."""

    def send(self, item):
        raise AssertionError("not used")

    def recv(self):
        raise AssertionError("not used")


class FakeConnection:
    """Something with send, standing in for a Pipe end in argument checks."""

    def send(self, item):
        raise AssertionError("not used")


def test_targets_work_in_process_with_plain_queues():
    """The queue targets run in one process with queue.Queue: the same protocol, no child needed."""
    tasks, results = queue.Queue(), queue.Queue()
    messaging.produce_items([3, 1], tasks, 1)
    assert messaging.square_until_sentinel(tasks, results, 1) == 2
    assert [results.get(timeout=1) for _ in range(3)] == [(3, 9), (1, 1), None]


@pytest.mark.parametrize("name", [name for name in messaging.__all__ if callable(getattr(messaging, name))])
def test_every_target_pickles_by_reference(name):
    """Every public target pickles as a reference to mpbook.messaging, which a spawned child can import."""
    payload = pickle.dumps(getattr(messaging, name))
    assert b"mpbook.messaging" in payload
    assert pickle.loads(payload) is getattr(messaging, name)


def test_importing_messaging_stays_light():
    """Importing mpbook.messaging loads no NumPy, matplotlib or Jupyter: every spawned child pays for it."""
    code = (
        "import sys, mpbook.messaging; "
        "heavy = [m for m in ('numpy', 'matplotlib', 'ipywidgets', 'IPython') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
    )
    assert out.stdout.strip() == "", f"importing mpbook.messaging pulled in: {out.stdout.strip()}"
