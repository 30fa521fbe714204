"""Fixtures for the package tests."""

from __future__ import annotations

import multiprocessing

import pytest

import mpbook


@pytest.fixture
def book_context() -> multiprocessing.context.BaseContext:
    """The multiprocessing context of the start method the suite runs under (MPBOOK_START_METHOD)."""
    return mpbook.get_context()
