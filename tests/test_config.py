"""Choosing the start method for the whole book, and counting usable CPUs."""

from __future__ import annotations

import multiprocessing
import os

import pytest

import mpbook
import mpbook.config
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
    if hasattr(os, "sched_getaffinity") and mpbook.config.cgroup_cpu_quota() is None:
        assert count == len(os.sched_getaffinity(0))


def _fake_cgroup(tmp_path, cgroup_lines, files):
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text("\n".join(cgroup_lines) + "\n")
    for relative, text in files.items():
        path = tmp_path / "sys/fs/cgroup" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_cgroup_v2_quota_is_read_and_the_smallest_ancestor_wins(tmp_path):
    """cpu.max of the process's cgroup and of its parents: 1.5 CPUs under a parent allowing 4."""
    root = _fake_cgroup(
        tmp_path,
        ["0::/hub/user-ana"],
        {
            "cpu.max": "max 100000\n",
            "hub/cpu.max": "400000 100000\n",
            "hub/user-ana/cpu.max": "150000 100000\n",
        },
    )
    assert mpbook.config.cgroup_cpu_quota(root) == 1.5


def test_cgroup_v1_quota_and_no_quota(tmp_path):
    """cgroup v1 reads cfs_quota_us / cfs_period_us; -1 and "max" mean no quota."""
    v1 = _fake_cgroup(
        tmp_path / "v1",
        ["4:cpu,cpuacct:/docker/abc", "3:memory:/docker/abc"],
        {
            "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000\n",
            "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
        },
    )
    assert mpbook.config.cgroup_cpu_quota(v1) == 2.0
    unlimited = _fake_cgroup(tmp_path / "none", ["0::/"], {"cpu.max": "max 100000\n"})
    assert mpbook.config.cgroup_cpu_quota(unlimited) is None
    assert mpbook.config.cgroup_cpu_quota(tmp_path / "no-proc") is None


def test_usable_cpus_honours_a_quota(monkeypatch):
    """A quota of 1.5 CPUs on a machine with more allows 2 workers; a quota never raises the count."""
    monkeypatch.setattr(mpbook.config, "cgroup_cpu_quota", lambda root=None: 1.5)
    assert mpbook.usable_cpus() == min(2, mpbook.config.os.cpu_count() or 1)
    monkeypatch.setattr(mpbook.config, "cgroup_cpu_quota", lambda root=None: 0.2)
    assert mpbook.usable_cpus() == 1


def test_public_names_are_exported():
    """Everything in mpbook.__all__ exists, and importing mpbook pulls in no plotting or grading code."""
    for name in mpbook.__all__:
        assert hasattr(mpbook, name), name
