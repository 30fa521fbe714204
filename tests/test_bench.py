"""The benchmark harness (mpbook.bench): its quick mode runs, writes sound results, and rejects bad arguments.

Timings are never asserted: they depend on the machine and on what else it is doing. What is
asserted is structure and sanity: the files exist, every median lies between its min and max,
speedups are positive, every parallel result equals the serial one, and each target is computed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mpbook import bench

QUICK_TIMEOUT_S = 240  # quick mode takes about 35 s on 2 idle cores; generous for a busy CI machine


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mpbook.bench", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess, dict]:
    """Run `python -m mpbook.bench --quick` once into a temporary folder; return (folder, process, report)."""
    out = tmp_path_factory.mktemp("bench")
    done = _run("--quick", "--out", str(out), timeout=QUICK_TIMEOUT_S)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / f"{bench.machine_stem(quick=True)}.json").read_text(encoding="utf-8"))
    return out, done, report


def _measures(node):
    """Yield every measure (a dict with "repetitions") anywhere in the report."""
    if isinstance(node, dict):
        if "repetitions" in node:
            yield node
        for value in node.values():
            yield from _measures(value)
    elif isinstance(node, list):
        for value in node:
            yield from _measures(value)


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_quick_run_writes_json_markdown_and_plots(quick_run):
    out, _done, report = quick_run
    stem = bench.machine_stem(quick=True)
    assert report["stem"] == stem
    for name in report["files"]:
        assert (out / name).is_file(), name
        assert (out / name).stat().st_size > 0, name
    for workload in ("cpu", "tiny", "data"):
        assert f"{stem}-{workload}.png" in report["files"]
        assert (out / f"{stem}-{workload}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / f"{stem}.md").read_text(encoding="utf-8")
    assert "| target | measured | threshold | met |" in markdown
    assert "recipe_map" in markdown


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_quick_run_records_the_environment(quick_run):
    _out, _done, report = quick_run
    env = report["environment"]
    assert env["quick"] is True
    assert env["python_version"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert env["start_method"] in ("spawn", "forkserver", "fork")
    assert env["usable_cpus"] >= 1
    assert env["cpu_count"] >= env["usable_cpus"]
    assert {"numpy", "joblib", "dask", "distributed", "psutil"} <= set(env["packages"])
    assert set(report["workloads"]) == set(bench.WORKLOADS)


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_every_measure_is_a_median_of_repetitions_between_min_and_max(quick_run):
    _out, _done, report = quick_run
    measures = list(_measures(report["workloads"]))
    assert len(measures) > 20
    for stats in measures:
        assert len(stats["repetitions"]) >= 1
        assert all(t > 0 for t in stats["repetitions"])
        assert stats["min"] <= stats["median"] <= stats["max"]
        assert stats["min"] == min(stats["repetitions"])
        assert stats["max"] == max(stats["repetitions"])


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_parallel_results_equal_serial_results(quick_run):
    _out, _done, report = quick_run
    for name, workload in report["workloads"].items():
        assert workload["correct"] is True, name
    for stats in _measures(report["workloads"]):
        assert stats["correct"] is True


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_speedups_and_ratios_are_positive(quick_run):
    _out, _done, report = quick_run
    cpu = report["workloads"]["cpu"]
    assert set(cpu["workers"]) == {str(n) for n in range(1, report["environment"]["usable_cpus"] + 1)}
    for measures in cpu["workers"].values():
        assert {"Pool.starmap (default chunksize)", "ProcessPoolExecutor.map", "joblib Parallel"} <= set(
            measures
        )
        assert {"Dask client.map", "recipe_map"} <= set(measures)
        for stats in measures.values():
            assert stats["speedup"] > 0
            assert stats["efficiency"] > 0
    for stats in report["workloads"]["tiny"]["measures"].values():
        assert stats["vs_serial"] > 0
        assert stats["per_task_us"] > 0
    for stats in report["workloads"]["data"]["measures"].values():
        assert stats["gb_per_s"] > 0
    for stats in report["workloads"]["counters"]["measures"].values():
        assert stats["per_increment_us"] > 0


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_targets_are_computed_from_the_run(quick_run):
    _out, _done, report = quick_run
    ids = {t["id"] for t in report["targets"]}
    assert {
        "cpu_recipe_efficiency",
        "tiny_recipe_vs_chunksize_1",
        "tiny_recipe_vs_serial",
        "data_shared_memory_vs_queue",
    } <= ids
    assert {f"{w}_recipe_vs_best_peer" for w in ("cpu", "tiny", "data", "counters")} <= ids
    for target in report["targets"]:
        assert isinstance(target["met"], bool), target
        assert target["measured"] > 0
        assert target["comparison"] in (">=", "<=")
        if target["comparison"] == ">=":
            assert target["met"] is (target["measured"] >= target["threshold"]), target
        else:
            assert target["met"] is (target["measured"] <= target["threshold"]), target


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_outputs_name_no_host_and_no_absolute_path(quick_run):
    import platform

    out, _done, report = quick_run
    text = (out / f"{report['stem']}.json").read_text(encoding="utf-8")
    text += (out / f"{report['stem']}.md").read_text(encoding="utf-8")
    assert str(out) not in text
    assert str(Path.home()) not in text
    node = platform.node()
    if len(node) >= 3 and node not in ("localhost", "linux"):
        assert not re.search(rf"\b{re.escape(node)}\b", text), f"the host name {node!r} is in the report"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--only", "nonsense"], "unknown workload"),
        (["--only", ""], "unknown workload"),
        (["--frobnicate"], "unrecognized arguments"),
        (["--quick", "extra"], "unrecognized arguments"),
        (["--wait-quiet", "-1"], "must be a number of seconds"),
        (["--wait-quiet", "soon"], "must be a number of seconds"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, expected):
    done = _run(*args)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.timeout(60)
def test_out_that_is_a_file_exits_2(tmp_path):
    existing = tmp_path / "a-file"
    existing.write_text("not a folder")
    done = _run("--only", "counters", "--out", str(existing))
    assert done.returncode == 2
    assert "not a folder" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.timeout(60)
def test_a_bad_start_method_exits_2(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mpbook.bench", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MPBOOK_START_METHOD": "teleport"},
    )
    assert done.returncode == 2
    assert "MPBOOK_START_METHOD" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.timeout(60)
def test_recipe_chunksize_gives_a_few_chunks_per_worker():
    assert bench.recipe_chunksize(20_000, 2) == 2_500
    assert bench.recipe_chunksize(3, 2) == 1
    assert bench.recipe_chunksize(0, 4) == 1
    with pytest.raises(ValueError, match="workers"):
        bench.recipe_chunksize(10, 0)


@pytest.mark.timeout(120)
def test_recipe_map_and_share_array_give_the_serial_results():
    import numpy as np

    from mpbook.tuning import sum_shared_rows
    from mpbook.workers import square

    data = np.arange(1_000, dtype=np.float64)
    with bench.recipe_pool(2) as pool:
        assert bench.recipe_map(pool, square, range(100), timeout=60) == [x * x for x in range(100)]
        with bench.share_array(data) as ref:
            sums = bench.recipe_map(
                pool, sum_shared_rows, [(ref, 0, 500), (ref, 500, 1_000)], star=True, timeout=60
            )
    assert sum(sums) == float(data.sum())


def test_bench_imports_only_the_standard_library_at_the_top():
    code = (
        "import sys, mpbook.bench; "
        "print(sorted(m for m in ('numpy', 'joblib', 'dask', 'distributed', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
