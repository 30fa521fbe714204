"""Fixtures for the package tests."""

from __future__ import annotations

import multiprocessing
import os

import pytest

import mpbook
from mpbook import _leaks, _processes


@pytest.fixture
def book_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of the start method the suite runs under (MPBOOK_START_METHOD)."""
    return mpbook.get_context()


@pytest.fixture(autouse=True, scope="module")
def nothing_left_behind(request):
    """After each test module: no child process alive and no orphaned /dev/shm segment created by it."""
    before = _leaks.shm_segments()
    yield
    children = _processes.leftover_children(settle_s=5)  # pool workers take a moment to exit
    segments = _leaks.orphaned(_leaks.shm_segments() - before)
    segments = _leaks.set_aside_semaphores(segments, request.module.__name__)
    if children or segments:
        description = _processes.describe(children)
        _processes.kill(children)
        _leaks.remove_segments(segments)
        pytest.fail(
            f"left behind: {len(children)} process(es) [{description}], shared-memory segments {sorted(segments)} "
            "(now cleaned up)"
        )


@pytest.fixture(autouse=True, scope="module")
def environment_restored():
    """Restore os.environ after each test module: chapters run later inherit it.

    Dask's nanny writes OMP_NUM_THREADS=1 (and friends) into the environment of the process that
    starts a local cluster; without this, chapter 06 would measure one BLAS thread where a
    learner's kernel has several.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
