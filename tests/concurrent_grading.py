"""Grade load-safe files a few at a time: the tests that only expect a file to score nothing, fail or hang.

Only for gradings whose expected outcome can only get more certain under load: an untouched stub or
a cheat (score 0), a wrong answer (its test fails), a hang (TIMEOUT). A reference solution, or anything
expected to pass, is graded alone, as its checks measure speed-ups and wait for workers to start
together. Each grading runs in its own process tree (runner.grade_file), so two threads may grade at once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

# 2: this machine's CPUs (each test costs ~0.17 s of CPU to start and stop); more only for jobs that just wait
CONCURRENT = 2
JOB_TIMEOUT_S = 300  # a file's grading ends in well under this: each of its tests has a deadline


def grade_concurrently(
    jobs: Iterable[Hashable], grade: Callable[[Any], Any], workers: int = CONCURRENT
) -> dict[Any, Any]:
    """Return {job: grade(job)}, graded `workers` at a time; a job that raised maps to its exception.

    The exception is raised again by result_of in that job's own test, so a failure names its case.
    """
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grading")
    futures = {job: executor.submit(grade, job) for job in jobs}
    results = {}
    try:
        for job, future in futures.items():
            try:
                results[job] = future.result(timeout=JOB_TIMEOUT_S)
            except BaseException as exc:  # noqa: BLE001 - raised again in its own test (pytest.skip too)
                results[job] = exc
    finally:
        executor.shutdown(wait=False, cancel_futures=True)  # only a hung grading is still running here
    return results


def result_of(results: dict[Any, Any], job: Hashable) -> Any:
    """Return job's result from grade_concurrently; raise here what its grading raised."""
    result = results[job]
    if isinstance(result, BaseException):
        raise result
    return result


def selected(request: pytest.FixtureRequest, test: Callable) -> list[dict[str, Any]]:
    """The parameters of the cases of test that this session runs (pytest -k or a node id may pick a few)."""
    return [
        item.callspec.params
        for item in request.session.items
        if getattr(item, "function", None) is test and hasattr(item, "callspec")
    ]
