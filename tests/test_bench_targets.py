"""The benchmark's targets, records and reports on made-up results: fast, no process started.

Each workload's `judge` is fed a `WorkloadResult` built here with chosen medians and spreads, so
the rules are checked where a real run could never be steered: a goal just met, just missed, a
faster limit that must not count as a peer, labels renamed without any target moving.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mpbook.bench import WORKLOADS, counters, cpu, data, harness, reports, suite, tiny
from mpbook.bench.records import LIMIT, PEER, RECIPE, Goal, Measure, Report, Variant, WorkloadResult

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
# the run the README and chapter 06 quote
COMMITTED_JSON = RESULTS / "linux-x86_64-2cpu-py3.11.json"
COMMITTED_MD = RESULTS / "linux-x86_64-2cpu-py3.11.md"


def _measure(
    variant_id: str, median: float, role: str = PEER, *, spread: float = 0.0, workers=None, **figures
):
    """Return a made-up Measure: three repetitions around `median`, (max - min) / median = spread."""
    low, high = median * (1 - spread / 2), median * (1 + spread / 2)
    return Measure(
        variant_id,
        f"label of {variant_id}",
        role,
        (low, median, high),
        median,
        low,
        high,
        True,
        workers,
        figures,
    )


def _result(workload_id: str, *measures: Measure, **facts) -> WorkloadResult:
    return WorkloadResult(workload_id, "made up", measures, facts)


def _by_id(found):
    return {t.id: t for t in found}


# --- the goals' rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comparison", "measured", "met"),
    [(">=", 5.0, True), (">=", 4.99, False), ("<=", 5.0, True), ("<=", 5.01, False)],
)
def test_a_goal_is_met_on_its_threshold_and_missed_past_it(comparison, measured, met):
    """Goal.judge compares with >= or <= as declared, the threshold itself counting as met."""
    target = Goal("g", "a goal on {workers} CPUs", comparison, 5).judge(measured, "why", workers=2)
    assert target.met is met
    assert (target.measured, target.threshold, target.comparison) == (measured, 5, comparison)
    assert target.description == "a goal on 2 CPUs"


def test_a_goal_without_a_threshold_needs_one_from_the_run():
    """The best-peer goal has no fixed threshold: judging it without one is refused."""
    with pytest.raises(ValueError, match="threshold"):
        harness.best_peer_goal("tiny").judge(1.0, "why", workers=2)


def test_best_peer_allows_the_noise_floor_and_no_more_on_steady_runs():
    """With steady repetitions, the recipe may be up to 5 % slower than the best peer, not more."""
    goal = harness.best_peer_goal("tiny")
    peer = _measure("fast_peer", 1.0)
    for median, met in [(1.05, True), (1.06, False)]:
        target = harness.versus_best_peer(goal, _measure("recipe", median, RECIPE), [peer], workers=2)
        assert target.met is met
        assert target.threshold == pytest.approx(1.05)


def test_best_peer_widens_with_the_noisier_of_the_two():
    """A peer whose repetitions spread by 40 % makes the threshold 1.4."""
    target = harness.versus_best_peer(
        harness.best_peer_goal("cpu"),
        _measure("recipe", 1.3, RECIPE, spread=0.1),
        [_measure("peer", 1.0, spread=0.4)],
        workers=2,
    )
    assert target.threshold == pytest.approx(1.4)
    assert target.met is True
    assert "label of peer" in target.detail


def test_best_peer_ignores_limits_and_other_recipes():
    """A serial loop or memcpy faster than the recipe is a limit, not a peer: only role PEER competes."""
    measures = [
        _measure("serial", 0.1, LIMIT),
        _measure("recipe_prebuilt", 0.2, RECIPE),
        _measure("slow_peer", 2.0),
        _measure("fast_peer", 1.0),
    ]
    target = harness.versus_best_peer(
        harness.best_peer_goal("data"), _measure("recipe", 1.0, RECIPE), measures, workers=2
    )
    assert target.measured == 1.0
    assert "best peer label of fast_peer" in target.detail


# --- each workload's judge -----------------------------------------------------------------


def _cpu_result(recipe_efficiency: float, workers: int = 2) -> WorkloadResult:
    serial = 1.0
    recipe = serial / (workers * recipe_efficiency)
    return _result(
        "cpu",
        _measure("serial", serial, LIMIT, workers=workers),
        _measure(
            "pool_starmap", recipe, workers=workers, speedup=serial / recipe, efficiency=recipe_efficiency
        ),
        _measure(
            "recipe", recipe, RECIPE, workers=workers, speedup=serial / recipe, efficiency=recipe_efficiency
        ),
        _measure("recipe", 9.0, RECIPE, workers=1, speedup=0.1, efficiency=0.1),  # another pool size: ignored
    )


@pytest.mark.parametrize(("efficiency", "met"), [(0.95, True), (0.9, True), (0.89, False)])
def test_cpu_efficiency_is_judged_on_all_usable_cpus(efficiency, met):
    """cpu_recipe_efficiency reads the recipe's efficiency on all usable CPUs, not on fewer workers."""
    found = _by_id(cpu.judge(_cpu_result(efficiency), workers=2))
    assert found["cpu_recipe_efficiency"].met is met
    assert found["cpu_recipe_efficiency"].measured == efficiency
    assert found["cpu_recipe_vs_best_peer"].measured == 1.0


def _tiny_result(recipe: float, chunksize_1: float, serial: float) -> WorkloadResult:
    return _result(
        "tiny",
        _measure("serial", serial, LIMIT),
        _measure("pool_map_default", recipe),
        _measure("pool_map_chunksize_1", chunksize_1),
        _measure("recipe", recipe, RECIPE),
    )


def test_tiny_targets_are_ratios_of_medians():
    """The recipe against chunksize=1 is their ratio of medians (>= 50), against the serial loop (<= 5)."""
    found = _by_id(tiny.judge(_tiny_result(recipe=0.01, chunksize_1=0.6, serial=0.004), workers=2))
    assert found["tiny_recipe_vs_chunksize_1"].measured == pytest.approx(60)
    assert found["tiny_recipe_vs_chunksize_1"].met is True
    assert found["tiny_recipe_vs_serial"].measured == pytest.approx(2.5)
    assert found["tiny_recipe_vs_serial"].met is True
    missed = _by_id(tiny.judge(_tiny_result(recipe=0.01, chunksize_1=0.4, serial=0.001), workers=2))
    assert missed["tiny_recipe_vs_chunksize_1"].met is False
    assert missed["tiny_recipe_vs_serial"].met is False


def _data_result(nbytes: int) -> WorkloadResult:
    return _result(
        "data",
        _measure("memcpy", 0.02, LIMIT),
        _measure("queue", 1.0),
        _measure("joblib", 0.3),
        _measure("recipe", 0.25, RECIPE),
        _measure("recipe_prebuilt", 0.02, RECIPE),
        nbytes=nbytes,
        workers=2,
    )


def test_data_target_says_when_the_array_was_smaller_than_the_goal():
    """Shared memory against the Queue is judged at any size, and the detail says when the run used less than 256 MB."""
    full = _by_id(data.judge(_data_result(256_000_000), workers=2))["data_shared_memory_vs_queue"]
    assert (full.measured, full.met) == (4.0, False)
    assert "this run used less" not in full.detail
    assert "50x" in full.detail  # the array made in shared memory from the start
    quick = _by_id(data.judge(_data_result(32_000_000), workers=2))["data_shared_memory_vs_queue"]
    assert "the target is set for 256 MB: this run used less" in quick.detail


def test_counters_compare_time_per_increment():
    """The Manager's workers count 100 times less: the recipe is compared per increment, not per run."""
    result = _result(
        "counters",
        _measure("plain_dict", 0.01, LIMIT, increments=100_000),
        _measure("manager", 0.5, increments=1_000),  # fastest run, slowest per increment
        _measure("value", 0.2, increments=100_000),
        _measure("recipe", 0.1, RECIPE, increments=100_000),
        workers=2,
    )
    (target,) = counters.judge(result, workers=2)
    assert target.measured == pytest.approx(0.5)  # 0.1 s against the Value's 0.2 s
    assert "best peer label of value" in target.detail


def test_renaming_labels_moves_no_target():
    """Targets find measures by id: new labels change the detail text only, never a value or a verdict."""
    original = _tiny_result(recipe=0.01, chunksize_1=0.6, serial=0.004)
    renamed = dataclasses.replace(
        original, measures=tuple(dataclasses.replace(m, label=f"renamed {m.id}") for m in original.measures)
    )
    before, after = tiny.judge(original, workers=2), tiny.judge(renamed, workers=2)
    assert [(t.id, t.measured, t.threshold, t.met) for t in before] == [
        (t.id, t.measured, t.threshold, t.met) for t in after
    ]


def test_a_workload_that_did_not_run_has_its_goals_not_measured():
    """With only tiny run (--only tiny), every other goal is listed, in order, as not measured."""
    found = suite.targets({"tiny": _tiny_result(recipe=0.01, chunksize_1=0.6, serial=0.004)}, workers=2)
    assert [t.id for t in found] == [goal.id for module in suite.WORKLOADS.values() for goal in module.GOALS]
    for target in found:
        assert (target.met is None) == (not target.id.startswith("tiny")), target.id
    assert next(t for t in found if t.id == "cpu_recipe_efficiency").description.endswith(
        "all 2 usable CPUs is >= 0.9"
    )


# --- declarations and records ----------------------------------------------------------------


def test_every_workload_declares_unique_ids_and_one_recipe():
    """The workloads run in WORKLOADS order; each has unique variant ids, at most one id "recipe", unique goal ids."""
    assert tuple(suite.WORKLOADS) == WORKLOADS
    goal_ids = [goal.id for module in suite.WORKLOADS.values() for goal in module.GOALS]
    assert len(goal_ids) == len(set(goal_ids))
    for name, module in suite.WORKLOADS.items():
        ids = [v.id for v in module.VARIANTS]
        assert len(ids) == len(set(ids)), name
        assert name == module.ID
        assert name in reports.TABLES
        assert name in reports.PLOTS
        if module.GOALS:
            assert [v.role for v in module.VARIANTS if v.id == "recipe"] == [RECIPE], name


def test_a_variant_needs_a_known_role_and_fills_its_label():
    """A Variant refuses an unknown role; its label is filled in from the workload's facts."""
    with pytest.raises(ValueError, match="role"):
        Variant("x", "x", "champion")
    assert Variant("pool", "Pool({workers})", PEER).label_for({"workers": 4}) == "Pool(4)"


def test_measure_of_takes_median_min_and_max_of_the_repetitions():
    """Measure.of keeps every repetition and its median, min and max, rounded to 0.1 µs."""
    m = Measure.of(Variant("v", "v on {workers}", PEER), [0.3, 0.1, 0.2000000001], facts={"workers": 2})
    assert (m.median, m.min, m.max, m.label) == (0.2, 0.1, 0.3, "v on 2")
    assert m.repetitions == (0.3, 0.1, 0.2)
    assert m.spread == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no repetitions"):
        Measure.of(Variant("v", "v", PEER), [])


def test_a_missing_measure_is_named_with_what_there_is():
    """Asking a result for an id it lacks raises KeyError naming the ids it has."""
    with pytest.raises(KeyError, match=r"no measure 'recipe'.*'serial'"):
        _result("tiny", _measure("serial", 1.0, LIMIT)).measure("recipe")


def test_the_committed_results_round_trip_through_the_records():
    """The committed report reads back as records and writes the same JSON (schema 2)."""
    raw = json.loads(COMMITTED_JSON.read_text(encoding="utf-8"))
    assert raw["schema"] == 2
    assert Report.from_json(raw).to_json() == raw


def test_the_committed_targets_are_what_the_judges_say():
    """Judging the committed measures again gives the committed targets, value for value."""
    raw = json.loads(COMMITTED_JSON.read_text(encoding="utf-8"))
    report = Report.from_json(raw)
    assert suite.targets(report.workloads, report.environment["usable_cpus"]) == list(report.targets)


def test_the_committed_markdown_is_what_the_report_module_writes():
    """The committed .md is exactly reports.markdown of the committed .json: the two never drift apart."""
    report = Report.from_json(json.loads(COMMITTED_JSON.read_text(encoding="utf-8")))
    assert reports.markdown(report) + "\n" == COMMITTED_MD.read_text(encoding="utf-8")


def test_an_old_schema_is_refused_with_its_number():
    """A report of another schema is refused, naming the schema found and the one read."""
    with pytest.raises(ValueError, match="schema 1"):
        Report.from_json({"schema": 1})


@pytest.mark.parametrize(("seconds", "text"), [(3.2e-5, "32 µs"), (0.0043, "4.3 ms"), (1.07, "1.07 s")])
def test_seconds_are_written_in_a_readable_unit(seconds, text):
    """fmt_s picks µs, ms or s."""
    assert reports.fmt_s(seconds) == text


@pytest.mark.parametrize(
    ("ratio", "text"), [(0.62, "0.62×"), (2.4, "2.4×"), (310.2, "310×"), (6260.4, "6,260×")]
)
def test_ratios_are_written_with_a_multiplication_sign(ratio, text):
    """fmt_x writes two significant digits below 1, one decimal below 10, whole numbers above."""
    assert reports.fmt_x(ratio) == text
