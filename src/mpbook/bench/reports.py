"""The benchmark's reports: ``<stem>.json``, a Markdown table per workload, and PNG plots.

    Report --> <stem>.json    every repetition, the environment, the targets (records.Report.to_json)
           --> <stem>.md      the targets, the conditions, one table per workload (labels, not ids)
           --> <stem>-*.png   one plot per workload that ran

Plots are drawn on a `matplotlib.figure.Figure` with the Agg backend, never through pyplot: no
window, no global state. Colours come from the measures' roles (the recipe green, the limits grey,
the peers blue), never from their labels. matplotlib is imported where used.
"""

from __future__ import annotations

import json

from mpbook.bench.records import LIMIT, RECIPE, Measure, Report, WorkloadResult
from mpbook.bench.suite import WORKLOADS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path

ROLE_COLORS = {RECIPE: "tab:green", LIMIT: "0.55"}
PEER_COLOR = "tab:blue"
# The cpu plot: one line per runner, in this order, nudged sideways so their error bars stay apart.
CPU_STYLES = {
    "pool_starmap": ("tab:blue", "o"),
    "executor_map": ("tab:orange", "s"),
    "joblib": ("tab:purple", "^"),
    "dask": ("tab:red", "v"),
    "recipe": ("tab:green", "D"),
}
DPI = 110


def write(report: Report, out_dir: Path) -> Report:
    """Write the plots, the Markdown and the JSON of `report` to out_dir; return it with its file names."""
    import dataclasses

    stem = report.stem
    report = dataclasses.replace(report, files=(f"{stem}.json", f"{stem}.md", *plots(report, out_dir)))
    (out_dir / f"{stem}.md").write_text(markdown(report) + "\n", encoding="utf-8")
    (out_dir / f"{stem}.json").write_text(json.dumps(report.to_json(), indent=1) + "\n", encoding="utf-8")
    return report


# --- Markdown ------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    """Return seconds for reading: 35 µs, 4.2 ms, 1.07 s."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_x(ratio: float) -> str:
    """Return a ratio for reading, with a multiplication sign: 0.62, 2.4, 310, 6,260 and the sign."""
    if ratio < 10:
        return f"{ratio:.2g}×" if ratio < 1 else f"{ratio:.1f}×"
    return f"{ratio:,.0f}×"


def _row(m: Measure, *extra: str) -> str:
    return "| " + " | ".join([m.label, fmt_s(m.median), fmt_s(m.min), fmt_s(m.max), *extra]) + " |"


def _table(header: str, rows: list[str]) -> list[str]:
    columns = header.count("|") - 1
    return [header, "|" + " --- |" * columns, *rows]


def _start_rows(w: WorkloadResult) -> list[str]:
    return _table("| what | median | min | max |", [_row(m) for m in w.measures])


def _cpu_rows(w: WorkloadResult) -> list[str]:
    rows = [
        f"| {m.label} | {m.workers} | {fmt_s(m.median)} | {fmt_s(m.min)} | {fmt_s(m.max)} | "
        f"{m.figures['speedup']:.2f} | {m.figures['efficiency']:.2f} |"
        for m in w.measures
        if m.id != "serial"
    ]
    return _table("| runner | workers | median | min | max | speedup | efficiency |", rows)


def _tiny_rows(w: WorkloadResult) -> list[str]:
    rows = [
        _row(
            m,
            f"{m.figures['per_task_us']:.2f} µs",
            fmt_x(m.figures["vs_serial"]),
            fmt_x(m.figures["vs_recipe"]),
        )
        for m in w.measures
    ]
    return _table("| runner | median | min | max | per task | × serial loop | × recipe |", rows)


def _data_rows(w: WorkloadResult) -> list[str]:
    rows = [_row(m, f"{m.figures['gb_per_s']:.2f}", fmt_x(m.figures["vs_memcpy"])) for m in w.measures]
    return _table("| way | median | min | max | GB/s | × memcpy time |", rows)


def _counters_rows(w: WorkloadResult) -> list[str]:
    rows = [
        f"| {m.label} | {m.figures['increments']:,} | {fmt_s(m.median)} | {fmt_s(m.min)} | {fmt_s(m.max)} | "
        f"{m.figures['per_increment_us']:.3g} µs | {fmt_x(m.figures['vs_plain_dict'])} |"
        for m in w.measures
    ]
    return _table("| way | increments | median | min | max | per increment | × plain dict |", rows)


TABLES = {
    "start": _start_rows,
    "cpu": _cpu_rows,
    "tiny": _tiny_rows,
    "data": _data_rows,
    "counters": _counters_rows,
}


def _description(w: WorkloadResult) -> str:
    if w.id != "cpu":
        return w.description + "."
    serial = ", ".join(
        f"{fmt_s(m.median)} (min {fmt_s(m.min)}, max {fmt_s(m.max)})" for m in w.measures if m.id == "serial"
    )
    return w.description + ". Serial loop, measured beside each number of workers: " + serial + "."


def markdown(report: Report) -> str:
    """Return the Markdown report: the run, the targets, the conditions, one table per workload."""
    env = report.environment
    lines = [
        f"# mpbook benchmarks: {report.stem}",
        "",
        f"Python {env['python_version']} ({env['implementation']}) on {env['platform']}, start method "
        f"`{env['start_method']}`, {env['usable_cpus']} usable CPUs (os.cpu_count() {env['cpu_count']}), "
        f"{'quick' if env['quick'] else 'full'} run of {report.duration_s:.0f} s, "
        f"load average {report.load_average['before']} before, {report.load_average['after']} after.",
        "Packages: " + ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v) + ".",
        "Every figure: median of the repetitions, with min and max. Generated by `python -m mpbook.bench`.",
        "",
        "## Targets",
        "",
    ]
    target_rows = []
    for t in report.targets:
        met = "n/a" if t.met is None else ("yes" if t.met else "**no**")
        measured = "-" if t.measured is None else f"{t.measured:.3g}"
        threshold = "-" if t.threshold is None else f"{t.comparison} {t.threshold:.3g}"
        target_rows.append(f"| {t.description} | {measured} | {threshold} | {met} |")
    lines += [*_table("| target | measured | threshold | met |", target_rows), ""]
    lines += [
        "## Conditions",
        "",
        "How busy the machine was: the 1-minute load average around each workload (other programs count too),",
        "and, with `--wait-quiet`, how many rounds of repetitions started on quiet CPUs.",
        "",
    ]
    condition_rows = []
    for name, w in report.workloads.items():
        load = w.load_average
        rounds = f"{load['rounds_started_quiet']} of {load['rounds']}" if "rounds" in load else "-"
        condition_rows.append(
            f"| {name} | {w.duration_s:.0f} | {load.get('before')} | {load.get('after')} | {rounds} |"
        )
    lines += [
        *_table("| workload | seconds | load before | load after | rounds started quiet |", condition_rows),
        "",
    ]
    for number, (name, module) in enumerate(WORKLOADS.items(), start=1):
        if name in report.workloads:
            w = report.workloads[name]
            lines += [f"## {number} · {module.TITLE}", "", _description(w), "", *TABLES[name](w), ""]
    return "\n".join(lines)


# --- plots ---------------------------------------------------------------------------------


def _figure(width: float, height: float):
    """Return (figure, axes) drawn by the Agg backend, without pyplot (no window, no global state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _hbar_plot(
    path, title: str, bars: list[dict], xlabel: str, *, log: bool, scale: float, line=None
) -> None:
    """Draw one horizontal bar per entry {"name", "median", "min", "max", "text", "color"}, top to bottom."""
    fig, ax = _figure(10, 0.5 * len(bars) + 1.6)
    values = [b["median"] * scale for b in bars]
    errors = [
        [(b["median"] - b["min"]) * scale for b in bars],
        [(b["max"] - b["median"]) * scale for b in bars],
    ]
    drawn = ax.barh(
        [b["name"] for b in bars],
        values,
        xerr=errors,
        color=[b["color"] for b in bars],
        capsize=3,
        ecolor="0.3",
    )
    ax.bar_label(drawn, [b["text"] for b in bars], padding=6, fontsize=9)
    ax.invert_yaxis()
    if log:
        ax.set_xscale("log")
        ax.set_xlim(min(b["min"] * scale for b in bars) / 2, max(b["max"] * scale for b in bars) * 8)
    else:
        ax.set_xlim(0, max(max(b["max"] * scale for b in bars), line[0] if line else 0) * 1.3)
    if line is not None:
        ax.axvline(line[0], color="tab:red", linestyle="--", label=line[1])
        ax.legend(loc="upper right", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=DPI)


def _bar(m: Measure, text: str, *, color: str | None = None, per: float = 1.0) -> dict:
    """Return one bar: a measure's median, min and max divided by `per`, its label and colour."""
    return {
        "name": m.label,
        "median": m.median / per,
        "min": m.min / per,
        "max": m.max / per,
        "text": text,
        "color": color or ROLE_COLORS.get(m.role, PEER_COLOR),
    }


def _plot_start(w: WorkloadResult, path, tag: str) -> None:
    bars = [
        _bar(m, fmt_s(m.median), color=PEER_COLOR if m.id.startswith("process_") else "tab:orange")
        for m in w.measures
    ]
    title = f"What starting costs (median, bars: min to max)\n{tag}"
    _hbar_plot(path, title, bars, "milliseconds (log scale)", log=True, scale=1e3)


def _plot_cpu(w: WorkloadResult, path, tag: str) -> None:
    fig, ax = _figure(8, 5)
    ns = sorted({m.workers for m in w.measures if m.workers is not None})  # every cpu measure has one
    ax.plot(
        [0, max(ns) + 0.3], [0, max(ns) + 0.3], color="0.55", linestyle="--", label="ideal: speedup = workers"
    )
    for i, (variant_id, (color, marker)) in enumerate(CPU_STYLES.items()):
        xs = [n + (i - 2) * 0.04 for n in ns]  # side by side, not on top of each other
        stats = [w.measure(variant_id, n) for n in ns]
        t1s = [w.measure("serial", n).median for n in ns]
        ys = [t1 / s.median for t1, s in zip(t1s, stats, strict=True)]
        lower = [y - t1 / s.max for y, t1, s in zip(ys, t1s, stats, strict=True)]
        upper = [t1 / s.min - y for y, t1, s in zip(ys, t1s, stats, strict=True)]
        ax.errorbar(
            xs,
            ys,
            yerr=[lower, upper],
            color=color,
            marker=marker,
            capsize=3,
            label=f"{stats[-1].label} (eff. {stats[-1].figures['efficiency']:.2f} on {ns[-1]})",
            linewidth=2.5 if variant_id == "recipe" else 1.2,
        )
    ax.set_xticks(ns)
    ax.set_xlim(0.5, max(ns) + 0.5)
    ax.set_ylim(0, max(ns) + 0.5)
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup over the serial loop")
    ax.set_title(
        f"{w.facts['tasks']} CPU-bound tasks: speedup (median, bars: min to max)\n{tag}", fontsize=11
    )
    ax.legend(loc="upper left", fontsize=8.5)
    ax.grid(alpha=0.3)
    fig.savefig(path, dpi=DPI)


def _plot_tiny(w: WorkloadResult, path, tag: str) -> None:
    ranked = sorted(w.measures, key=lambda m: m.median)
    bars = [_bar(m, f"{fmt_s(m.median)}  ({fmt_x(m.figures['vs_serial'])} serial)") for m in ranked]
    title = f"{w.facts['tasks']:,} tiny tasks on {w.facts['workers']} workers: wall time (median, bars: min to max)\n{tag}"
    _hbar_plot(path, title, bars, "seconds for all tasks (log scale)", log=True, scale=1.0)


def _plot_data(w: WorkloadResult, path, tag: str) -> None:
    nbytes = w.facts["nbytes"]
    memcpy = w.measure("memcpy").figures["gb_per_s"]
    bars = []
    for m in w.measures:
        if m.id == "memcpy":
            continue  # drawn as the line every bar is read against
        # GB/s: the max time gives the lowest rate
        rate = {"median": nbytes / m.median / 1e9, "min": nbytes / m.max / 1e9, "max": nbytes / m.min / 1e9}
        bars.append({**_bar(m, f"{rate['median']:.2f} GB/s  ({fmt_s(m.median)})"), **rate})
    title = f"A {nbytes / 1e6:.0f} MB array to {w.facts['workers']} workers: GB/s of array delivered and summed\n{tag}"
    line = (memcpy, f"memcpy, one core: {memcpy:.1f} GB/s")
    _hbar_plot(path, title, bars, "GB/s (median, bars: min to max)", log=False, scale=1.0, line=line)


def _plot_counters(w: WorkloadResult, path, tag: str) -> None:
    bars = []
    for m in w.measures:
        per = m.figures["increments"]
        bars.append(_bar(m, f"{m.median / per * 1e6:.3g} µs", per=per))
    title = f"A shared counter, {w.facts['workers']} workers: time per increment (median, bars: min to max)\n{tag}"
    _hbar_plot(path, title, bars, "microseconds per increment (log scale)", log=True, scale=1e6)


PLOTS = {
    "start": _plot_start,
    "cpu": _plot_cpu,
    "tiny": _plot_tiny,
    "data": _plot_data,
    "counters": _plot_counters,
}


def plots(report: Report, out_dir: Path) -> list[str]:
    """Write the PNG plot of each workload that ran; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    env = report.environment
    tag = (
        f"{report.stem} · Python {env['python_version']} · {env['start_method']} · {env['usable_cpus']} CPUs"
    )
    files = []
    for name in WORKLOADS:
        if name in report.workloads:
            files.append(f"{report.stem}-{name}.png")
            PLOTS[name](report.workloads[name], out_dir / files[-1], tag)
    return files
