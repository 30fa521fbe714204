"""The helpers of chapter 08: a map over any Executor, a Dask client (local or by address), closing it."""

from __future__ import annotations

import concurrent.futures
import math
import time
import urllib.error
import urllib.request
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

import pytest

from mpbook import distributed
from mpbook.distributed import close_dask, dask_client, dask_scheduler_address, describe_array, map_with
from mpbook.workers import count_primes, raise_if_negative, sleep_and_return, square

TIMEOUT_S = 60  # a local Dask cluster starts in 1-3 s here; the margin covers a loaded CI machine


@pytest.fixture(scope="module")
def local_client():
    """A client of a local cluster of 2 workers without a dashboard, shared by this module's Dask tests."""
    client = dask_client(n_workers=2, timeout=TIMEOUT_S, dashboard=False)
    yield client
    close_dask(client, timeout=30)


@pytest.fixture(autouse=True)
def no_scheduler_variable(monkeypatch):
    """Each test starts with MPBOOK_DASK_SCHEDULER unset, whatever the environment of the run."""
    monkeypatch.delenv(distributed.DASK_SCHEDULER_VAR, raising=False)


def test_map_with_returns_results_in_input_order_on_threads_and_processes(book_context):
    """The same call gives [func(item) ...] in input order on a ThreadPoolExecutor and a ProcessPoolExecutor."""
    bounds = [4_000, 1_000, 3_000, 2_000]
    expected = [count_primes(0, bound) for bound in bounds]
    with ThreadPoolExecutor(max_workers=2) as threads:
        assert map_with(threads, partial(count_primes, 0), bounds, timeout=TIMEOUT_S) == expected
    with ProcessPoolExecutor(max_workers=2, mp_context=book_context) as processes:
        assert map_with(processes, partial(count_primes, 0), bounds, timeout=TIMEOUT_S) == expected
    with ThreadPoolExecutor(max_workers=1) as threads:
        assert map_with(threads, square, iter([]), timeout=TIMEOUT_S) == []


def test_map_with_times_out_and_cancels_what_has_not_started():
    """Past the timeout map_with raises TimeoutError at once, and the tasks still queued are cancelled."""
    with ThreadPoolExecutor(max_workers=1) as threads:
        submitted = []
        original_submit = threads.submit

        def recording_submit(fn, *args):
            future = original_submit(fn, *args)
            submitted.append(future)
            return future

        threads.submit = recording_submit
        started = time.monotonic()
        with pytest.raises(concurrent.futures.TimeoutError):
            map_with(threads, sleep_and_return, [1.0, 1.0, 1.0, 1.0], timeout=0.2)
        assert time.monotonic() - started < 0.8  # it did not wait for the first task to finish
        assert [future.cancelled() for future in submitted[1:]] == [True, True, True]
    assert not submitted[0].cancelled()  # the running one could not be cancelled; shutdown waited for it


def test_map_with_reraises_a_task_exception():
    """A task that raises makes map_with raise the same exception in the caller."""
    with ThreadPoolExecutor(max_workers=2) as threads, pytest.raises(ValueError, match="negative input: -2"):
        map_with(threads, raise_if_negative, [1, -2, 3], timeout=TIMEOUT_S)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"executor": "not an executor"}, TypeError),
        ({"func": 42}, TypeError),
        ({"items": "abc"}, TypeError),
        ({"items": 3}, TypeError),
        ({"timeout": 0}, ValueError),
        ({"timeout": -1}, ValueError),
        ({"timeout": math.nan}, ValueError),
        ({"timeout": math.inf}, ValueError),
        ({"timeout": True}, TypeError),
        ({"timeout": "1"}, TypeError),
    ],
)
def test_map_with_rejects_bad_arguments(kwargs, error):
    """Wrong types raise TypeError and impossible values ValueError, before any task is submitted."""
    with ThreadPoolExecutor(max_workers=1) as threads:
        arguments = {"executor": threads, "func": square, "items": [1, 2], "timeout": 5} | kwargs
        with pytest.raises(error):
            map_with(**arguments)


def test_dask_scheduler_address_reads_the_variable(monkeypatch):
    """The address comes from MPBOOK_DASK_SCHEDULER, stripped; unset or blank means None."""
    assert dask_scheduler_address() is None
    monkeypatch.setenv(distributed.DASK_SCHEDULER_VAR, "   ")
    assert dask_scheduler_address() is None
    monkeypatch.setenv(distributed.DASK_SCHEDULER_VAR, " tcp://10.0.0.5:8786 ")
    assert dask_scheduler_address() == "tcp://10.0.0.5:8786"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n_workers": 0}, ValueError),
        ({"n_workers": "2"}, TypeError),
        ({"n_workers": True}, TypeError),
        ({"dashboard": "yes"}, TypeError),
        ({"timeout": -5}, ValueError),
    ],
)
def test_dask_client_rejects_bad_arguments(kwargs, error):
    """Bad arguments are refused before any cluster is started or any connection attempted."""
    with pytest.raises(error):
        dask_client(**kwargs)


def test_local_cluster_has_the_workers_asked_for(local_client):
    """Unset variable: a local cluster of 2 single-threaded worker processes on 127.0.0.1, no dashboard when asked."""
    assert local_client.cluster is not None
    info = local_client.scheduler_info()
    assert sorted(worker["nthreads"] for worker in info["workers"].values()) == [1, 1]
    assert info["address"].startswith("tcp://127.0.0.1:")
    status_page = local_client.dashboard_link  # the web server runs, on a free port, without the dashboard
    assert status_page.startswith("http://127.0.0.1:")
    assert not status_page.startswith("http://127.0.0.1:8787/")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(status_page, timeout=10)
    assert missing.value.code == 404


def test_map_with_runs_unchanged_on_dasks_executor(local_client):
    """map_with on client.get_executor() gives the same results as on a thread pool, and re-raises errors."""
    bounds = [1_000, 2_000, 3_000]
    on_dask = map_with(local_client.get_executor(), partial(count_primes, 0), bounds, timeout=TIMEOUT_S)
    assert on_dask == [count_primes(0, bound) for bound in bounds]
    with pytest.raises(ValueError, match="negative input: -1"):
        map_with(local_client.get_executor(), raise_if_negative, [2, -1], timeout=TIMEOUT_S)


def test_dask_client_connects_by_address_and_close_leaves_that_cluster_running(local_client, monkeypatch):
    """With the variable set, the client connects to that scheduler; close_dask closes only the client."""
    monkeypatch.setenv(distributed.DASK_SCHEDULER_VAR, local_client.scheduler.address)
    remote = dask_client(timeout=TIMEOUT_S)
    try:
        assert remote.cluster is None
        assert map_with(remote.get_executor(), square, range(4), timeout=TIMEOUT_S) == [0, 1, 4, 9]
    finally:
        close_dask(remote, timeout=30)
    assert remote.status == "closed"
    assert local_client.status == "running"
    assert local_client.submit(square, 5).result(timeout=TIMEOUT_S) == 25


def test_dask_client_gives_up_on_an_unreachable_scheduler(monkeypatch):
    """An address where no scheduler listens raises OSError once the timeout has passed, not later."""
    monkeypatch.setenv(distributed.DASK_SCHEDULER_VAR, "tcp://127.0.0.1:1")
    started = time.monotonic()
    with pytest.raises(OSError, match="Timed out"):
        dask_client(timeout=1)
    assert time.monotonic() - started < 20


def test_close_dask_closes_the_client_and_its_local_cluster():
    """close_dask on a client of a local cluster closes both, and the workers are gone."""
    client = dask_client(n_workers=1, timeout=TIMEOUT_S, dashboard=False)
    cluster = client.cluster
    try:
        assert client.submit(square, 3).result(timeout=TIMEOUT_S) == 9
    finally:
        close_dask(client, timeout=30)
    assert client.status == "closed"
    assert cluster.status.name == "closed"
    assert not cluster.workers


def test_close_dask_rejects_what_is_not_a_client():
    """close_dask refuses an object without close() and cluster, and a bad timeout."""
    with pytest.raises(TypeError):
        close_dask(object())
    with pytest.raises(ValueError, match="positive"):
        close_dask(object(), timeout=0)


def test_describe_array_reports_type_writeability_and_sum():
    """describe_array returns (type name, writeable, sum) for an array and refuses anything else."""
    np = pytest.importorskip("numpy")
    values = np.arange(5.0)
    assert describe_array(values) == ("ndarray", True, 10.0)
    values.flags.writeable = False
    assert describe_array(values) == ("ndarray", False, 10.0)
    with pytest.raises(TypeError):
        describe_array([1, 2, 3])
