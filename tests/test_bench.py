"""The benchmark harness (mpbook.bench): its quick mode runs, writes sound results, and rejects bad arguments.

Timings are never asserted: they depend on the machine and on what else it is doing. What is
asserted is structure and sanity: the files exist, every median lies between its min and max,
speedups are positive, every parallel result equals the serial one, and each target is computed.
The targets' logic on made-up results is in tests/test_bench_targets.py.
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
from mpbook.bench import suite
from mpbook.bench.harness import machine_stem
from mpbook.bench.records import PEER, RECIPE, Report

QUICK_TIMEOUT_S = 240  # quick mode takes about 15 s on 2 idle cores; generous for a busy CI machine


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
    report = json.loads((out / f"{machine_stem(quick=True)}.json").read_text(encoding="utf-8"))
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
    """A quick run writes its JSON, its Markdown with the targets table, and a PNG per plotted workload."""
    out, _done, report = quick_run
    stem = machine_stem(quick=True)
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
    """The report names the Python, the start method, the CPUs and the package versions it ran with."""
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
    """Every measure holds its positive repetitions, their median between their min and max."""
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
    """Every workload and every measure reports its results equal to the expected ones."""
    _out, _done, report = quick_run
    for name, workload in report["workloads"].items():
        assert workload["correct"] is True, name
    for stats in _measures(report["workloads"]):
        assert stats["correct"] is True


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_speedups_and_ratios_are_positive(quick_run):
    """Every runner of the cpu workload has a positive speedup on each pool size; every derived figure is positive."""
    _out, _done, report = quick_run
    results = Report.from_json(report).workloads
    cpu = results["cpu"]
    assert {m.workers for m in cpu.measures} == set(range(1, report["environment"]["usable_cpus"] + 1))
    for n in range(1, report["environment"]["usable_cpus"] + 1):
        runners = {m.id for m in cpu.select(workers=n)}
        assert runners == {"serial", "pool_starmap", "executor_map", "joblib", "dask", "recipe"}
        for m in cpu.select(workers=n):
            if m.id != "serial":
                assert m.figures["speedup"] > 0
                assert m.figures["efficiency"] > 0
    for name, figure in [
        ("tiny", "vs_serial"),
        ("tiny", "per_task_us"),
        ("data", "gb_per_s"),
        ("counters", "per_increment_us"),
    ]:
        for m in results[name].measures:
            assert m.figures[figure] > 0, (name, m.id)


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_measures_carry_the_ids_and_roles_their_workload_declares(quick_run):
    """The JSON reads back as records; each workload measured exactly its declared variants, one recipe among them."""
    _out, _done, report = quick_run
    results = Report.from_json(report).workloads
    for name, module in suite.WORKLOADS.items():
        declared = {v.id: v.role for v in module.VARIANTS}
        measured = {m.id: m.role for m in results[name].measures}
        if name == "start":  # one Process row per start method this platform offers
            declared = {k: v for k, v in declared.items() if not k.startswith("process_") or k in measured}
        assert measured == declared, name
        if name != "start":
            assert RECIPE in measured.values(), name
            assert PEER in measured.values(), name


@pytest.mark.timeout(QUICK_TIMEOUT_S + 30)
def test_targets_are_computed_from_the_run(quick_run):
    """Every goal is judged on a full quick run, and met agrees with the measured value and threshold."""
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
    """The JSON and Markdown name neither the host, nor the home folder, nor the output folder."""
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
    """A bad option exits with status 2 and a message, never a traceback."""
    done = _run(*args)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.timeout(60)
def test_out_that_is_a_file_exits_2(tmp_path):
    """--out naming a file, not a folder, exits with status 2 and says so."""
    existing = tmp_path / "a-file"
    existing.write_text("not a folder")
    done = _run("--only", "counters", "--out", str(existing))
    assert done.returncode == 2
    assert "not a folder" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.timeout(60)
def test_a_bad_start_method_exits_2(tmp_path):
    """An unknown MPBOOK_START_METHOD exits with status 2, naming the variable."""
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
    """recipe_chunksize cuts the items into about four chunks per worker, at least one item each."""
    assert bench.recipe_chunksize(20_000, 2) == 2_500
    assert bench.recipe_chunksize(3, 2) == 1
    assert bench.recipe_chunksize(0, 4) == 1
    with pytest.raises(ValueError, match="workers"):
        bench.recipe_chunksize(10, 0)


@pytest.mark.timeout(120)
def test_recipe_map_and_share_array_give_the_serial_results():
    """recipe_map on a recipe_pool, with an array shared by share_array, returns what a serial loop would."""
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


def test_chapter_06_finds_the_recipe_in_mpbook_bench():
    """The names chapter 06 and the README quote from mpbook.bench are chapter 06's own, from mpbook.tuning."""
    from mpbook import tuning

    for name in ("recipe_map", "recipe_pool", "recipe_chunksize", "share_array"):
        assert getattr(bench, name) is getattr(tuning, name), name


BENCH_MODULES = sorted(
    f"mpbook.bench.{path.stem}"
    for path in Path(bench.__file__).parent.glob("*.py")
    if path.stem not in ("__init__", "__main__")
)


@pytest.mark.parametrize("module", ["mpbook.bench", "mpbook.bench.__main__", *BENCH_MODULES])
def test_bench_modules_import_only_the_standard_library_at_the_top(module):
    """No module of the benchmarks imports NumPy, joblib, Dask or matplotlib when imported: they load where used."""
    code = (
        f"import sys, importlib; importlib.import_module({module!r}); "
        "print(sorted(m for m in ('numpy', 'joblib', 'dask', 'distributed', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_tasks_spawned_workers_import_stay_light():
    """mpbook.bench.tasks, which the start workload's children import, pulls in none of the records' modules."""
    code = (
        "import sys, mpbook.bench.tasks; "
        "print(sorted(m for m in ('dataclasses', 'statistics', 'inspect', 'mpbook.bench.records') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
