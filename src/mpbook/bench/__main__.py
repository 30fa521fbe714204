"""The command line of the benchmarks: ``python -m mpbook.bench`` (``make bench``, ``make bench-quick``).

parse the options --> for each workload asked for: wait for quiet CPUs (--wait-quiet),
measure, note the load around it --> judge the targets --> write .json, .md and .png
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mpbook.bench import WORKLOADS, harness, reports
from mpbook.bench.records import Report
from mpbook.bench.suite import WORKLOADS as MODULES
from mpbook.bench.suite import targets
from mpbook.config import StartMethodError, start_method, usable_cpus


def default_out_dir() -> Path:
    """Return benchmarks/results of the mpbook checkout this runs from, else ./mpbook-bench-results."""
    here = Path(__file__).resolve().parents[3]  # src/mpbook/bench/__main__.py -> the checkout
    for root in (here, Path.cwd()):
        if (root / "benchmarks").is_dir() and (root / "src" / "mpbook").is_dir():
            return root / "benchmarks" / "results"
    return Path.cwd() / "mpbook-bench-results"


def _parse_only(text: str) -> list[str]:
    names = [part.strip().lower() for part in text.replace(" ", ",").split(",") if part.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"unknown workload {', '.join(map(repr, unknown)) or '(none given)'}; choose from: {', '.join(WORKLOADS)}"
        )
    return [name for name in WORKLOADS if name in names]


def _non_negative_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mpbook.bench",
        description="Measure the book's recipes against Pool, ProcessPoolExecutor, joblib and Dask, and the limits.",
        epilog="Writes <stem>.json, <stem>.md and <stem>-*.png; the start method comes from MPBOOK_START_METHOD "
        "(default spawn).",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, two repetitions (about 15 s)")
    parser.add_argument(
        "--out", metavar="DIR", help="output folder (default: benchmarks/results of the checkout)"
    )
    parser.add_argument(
        "--wait-quiet",
        metavar="SECONDS",
        type=_non_negative_seconds,
        default=0.0,
        help=f"before each workload and each round of repetitions, wait up to SECONDS for the CPUs to be "
        f"under {harness.QUIET_CPU_PERCENT:.0f}%% busy (default 0: do not wait)",
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        type=_parse_only,
        default=list(WORKLOADS),
        help=f"comma-separated workloads to run, of: {','.join(WORKLOADS)} (default: all)",
    )
    return parser


def _run_workload(name: str, settings: harness.Settings):
    """Measure one workload; return its result with the time it took and the load around it."""
    print(f"  {name} ...", end="", flush=True)
    started = time.perf_counter()
    load = harness.wait_for_quiet(settings.wait_quiet) if settings.wait_quiet > 0 else {}
    load["before"] = harness.load_average()
    settings.rounds = []
    result = MODULES[name].measure(settings)
    if settings.rounds:
        load["rounds"] = len(settings.rounds)
        load["rounds_started_quiet"] = sum(r["quiet"] for r in settings.rounds)
        load["rounds_waited_s"] = round(sum(r["waited_s"] for r in settings.rounds), 1)
    duration = round(time.perf_counter() - started, 2)
    load["after"] = harness.load_average()
    print(f" {duration:.1f} s (correct: {result.correct})", flush=True)
    return result.with_conditions(duration, load)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks the command line asks for; return 0, or 2 for bad arguments."""
    parser = _parser()
    args = parser.parse_args(argv)  # bad arguments: usage and message, exit 2
    try:
        method = start_method()
    except StartMethodError as exc:
        parser.error(str(exc))
    out_dir = Path(args.out) if args.out else default_out_dir()
    if out_dir.exists() and not out_dir.is_dir():
        parser.error(f"--out {args.out}: exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        parser.error(f"--out {args.out or out_dir}: cannot create the folder ({exc.strerror})")

    settings = harness.Settings(args.quick, usable_cpus(), args.wait_quiet)
    stem = harness.machine_stem(args.quick)
    began = time.perf_counter()
    load_before = harness.load_average()
    print(f"mpbook bench: {stem}, start method {method}, {'quick' if args.quick else 'full'} run", flush=True)
    results = {name: _run_workload(name, settings) for name in args.only}
    report = Report(
        stem=stem,
        created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        environment=harness.environment(args.quick, method),
        workloads=results,
        targets=tuple(targets(results, settings.workers)),
        load_average={"before": load_before, "after": harness.load_average()},
        duration_s=round(time.perf_counter() - began, 2),
    )
    report = reports.write(report, out_dir)
    for target in report.targets:
        verdict = "n/a" if target.met is None else ("met" if target.met else "NOT met")
        print(f"  target {target.id}: {target.measured} ({target.comparison} {target.threshold}): {verdict}")
    print(f"wrote {', '.join(report.files)} to {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
