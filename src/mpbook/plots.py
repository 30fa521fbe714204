"""Pictures of parallel runs: a timeline of who ran what, and speedup against its limits.

Two questions the chapters keep asking are easier to answer by looking than by reading numbers:

- *What did the pool actually do?* `timeline` draws the `TaskRecord`s from `mpbook.trace` as a
  Gantt chart: one row per worker, one bar per task, coloured by the chunk the task travelled
  in. Idle time is the empty part of a row, and each row says how busy that worker was.
- *How far is this from perfect?* `speedup_plot` puts the measured speedup T1/Tn beside the
  ideal line (n workers, n times faster) and Amdahl's law, with the serial fraction fitted to
  the measurements, so the reader sees both the gap and the ceiling it implies.

This module imports matplotlib at the top, which is fine: only the notebook imports it, never
a worker process. Every function returns a `matplotlib.figure.Figure` and never calls
``plt.show()``. A figure this module creates is closed in pyplot right away, so in Jupyter it
appears exactly once, as the value of the cell that returns it (pyplot would otherwise also
show every open figure at the end of the cell). Save one with ``fig.savefig("timeline.png")``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from mpbook.trace import TaskRecord

if TYPE_CHECKING:
    from matplotlib.typing import ColorType  # matplotlib 3.8 and newer

__all__ = [
    "amdahl_speedup",
    "fit_serial_fraction",
    "speedup_plot",
    "timeline",
]

DEFAULT_TIMELINE_TITLE = "Which worker ran which task, when"
DEFAULT_SPEEDUP_TITLE = "Measured speedup against the ideal and Amdahl's law"

# Up to this many chunks each gets its own colour and legend entry (tab10 has ten distinct
# colours); beyond it the colours run along a colormap explained by a colorbar instead.
MAX_CHUNKS_IN_LEGEND = 10
# Task numbers are written inside bars at least this wide, as a fraction of the whole run,
# and only when there are at most this many tasks: below either, the text would overlap.
LABEL_MIN_WIDTH_FRACTION = 0.035
LABEL_MAX_TASKS = 120
# Thin white edges separate back-to-back tasks; with more tasks than this the edges would
# cover the bars themselves, so they are dropped.
EDGE_MAX_TASKS = 400
# Height of a bar in a worker's row (rows are 1 apart): the rest is space between rows.
BAR_HEIGHT = 0.72
# Colour of bars whose chunk is unknown (a lone Process, apply_async), and of idle time.
UNCHUNKED_COLOR = "tab:blue"
IDLE_COLOR = "0.93"


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """Return (figure, axes), created through pyplot and already closed there.

    Closing detaches the figure from pyplot's list of open figures, so Jupyter's inline
    backend does not draw it at the end of the cell; it is drawn once, when returned.
    Creating it through pyplot (not Figure()) makes sure the notebook's backend is loaded.
    """
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    plt.close(fig)
    return fig, ax


def _natural_key(text: str) -> list[object]:
    """Return a sort key that orders "Worker-2" before "Worker-10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _check_records(records: object) -> list[TaskRecord]:
    """Return records as a list if it is a non-empty iterable of sound TaskRecords; else raise."""
    if isinstance(records, (str, bytes)) or not isinstance(records, Iterable):
        raise TypeError(
            f"records must be a list of TaskRecord, got {type(records).__name__}; "
            "get one from mpbook.trace.traced_map: results, records = traced_map(pool, func, items)"
        )
    records = list(records)
    if not records:
        raise ValueError(
            "records is empty: pass the records of at least one task, "
            "e.g. results, records = traced_map(pool, func, items)"
        )
    for record in records:
        if not isinstance(record, TaskRecord):
            raise TypeError(f"records must hold TaskRecord objects, found {type(record).__name__} {record!r}")
        if not (math.isfinite(record.start) and math.isfinite(record.end)):
            raise ValueError(f"task {record.task} has a start or end that is not a finite number: {record}")
        if record.end < record.start:
            raise ValueError(
                f"task {record.task} ends before it starts (start {record.start}, end {record.end})"
            )
    return records


def _row_labels(rows: list[tuple[int, str, str]]) -> dict[tuple[int, str, str], str]:
    """Return a readable label per (pid, worker, thread) row, adding the pid only where names repeat."""
    base = {row: (row[1] if row[2] == "MainThread" else row[2]) for row in rows}
    counts: dict[str, int] = {}
    for name in base.values():
        counts[name] = counts.get(name, 0) + 1
    return {row: name if counts[name] == 1 else f"{name} (pid {row[0]})" for row, name in base.items()}


def _text_color(color: ColorType) -> str:
    """Return "white" or "black", whichever reads better on a bar of this colour."""
    red, green, blue = to_rgb(color)
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.6 else "white"


def timeline(
    records: Iterable[TaskRecord],
    title: str = DEFAULT_TIMELINE_TITLE,
    ax: Axes | None = None,
) -> Figure:
    """Return a Figure with a Gantt chart of records: one row per worker, one bar per task.

    Times are seconds since the earliest task started. Bars are coloured by chunk when the
    records know it (`traced_map` fills it in), grey bands behind them show the whole run so
    idle time stands out, and each row is labelled with its worker, task count and how busy it
    was. Pass ax to draw into your own axes; the figure is then yours (not closed here).
    """
    records = _check_records(records)
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    t0 = min(r.start for r in records)
    span = max(r.end for r in records) - t0
    span = span if span > 0 else 1e-9  # all tasks instantaneous: keep the axis non-degenerate
    rows = sorted(
        {_row_of(r) for r in records},
        key=lambda row: (_natural_key(row[1]), _natural_key(row[2]), row[0]),
    )
    if ax is None:
        fig, ax = _new_figure(9.5, max(2.8, 1.4 + 0.65 * len(rows)))
    else:
        fig = ax.figure.figure  # the whole Figure, also when ax is in a SubFigure

    _draw_idle_bands(ax, len(rows), span)
    key = _chunk_colors(records)
    by_row = _draw_task_bars(ax, records, rows, key.colors, t0)
    if len(records) <= LABEL_MAX_TASKS:
        _number_wide_bars(ax, records, rows, key.colors, t0, span)
    _label_rows_and_axes(ax, records, rows, by_row, span, title)
    _draw_key(fig, ax, key)
    return fig


def _row_of(record: TaskRecord) -> tuple[int, str, str]:
    """Return the timeline row a record belongs to: (pid, worker, thread)."""
    return (record.pid, record.worker, record.thread)


def _draw_idle_bands(ax: Axes, n_rows: int, span: float) -> None:
    """Draw a grey band for the whole run behind each row: what no bar covers is idle time."""
    for i in range(n_rows):
        ax.broken_barh(
            [(0, span)], (i - BAR_HEIGHT / 2, BAR_HEIGHT), facecolors=IDLE_COLOR, zorder=0, gid="idle"
        )


class _ChunkKey(NamedTuple):
    """The colour of each record's bar, and how the figure explains them: legend entries or a colorbar."""

    colors: list
    legend: list[Patch]
    colorbar_norm: Normalize | None


def _chunk_colors(records: list[TaskRecord]) -> _ChunkKey:
    """Return the bar colours: one colour (no chunks), tab10 with a legend (few chunks), viridis (many)."""
    chunks = sorted({r.chunk for r in records if r.chunk is not None})
    if not chunks:
        return _ChunkKey([UNCHUNKED_COLOR] * len(records), [], None)
    if len(chunks) > MAX_CHUNKS_IN_LEGEND:
        norm = Normalize(vmin=chunks[0], vmax=chunks[-1])
        cmap = plt.get_cmap("viridis")
        return _ChunkKey(
            [cmap(norm(r.chunk)) if r.chunk is not None else UNCHUNKED_COLOR for r in records], [], norm
        )
    palette = plt.get_cmap("tab10")
    chunk_color = {chunk: palette(k % 10) for k, chunk in enumerate(chunks)}
    legend = []
    for chunk in chunks:
        tasks = sorted(r.task for r in records if r.chunk == chunk)
        span_text = f"task {tasks[0]}" if len(tasks) == 1 else f"tasks {tasks[0]}–{tasks[-1]}"
        legend.append(Patch(color=chunk_color[chunk], label=f"chunk {chunk}: {span_text}"))
    return _ChunkKey(
        [chunk_color[r.chunk] if r.chunk is not None else UNCHUNKED_COLOR for r in records], legend, None
    )


def _draw_task_bars(
    ax: Axes, records: list[TaskRecord], rows: list[tuple[int, str, str]], colors: list, t0: float
) -> dict[tuple[int, str, str], list[int]]:
    """Draw one bar per task in its worker's row; return {row: indices of its records}.

    One collection of bars per worker (broken_barh), not one patch per task (barh): for
    20 000 tasks that takes 0.2 s here instead of 10 s.
    """
    edge = {"edgecolor": "white", "linewidth": 0.8} if len(records) <= EDGE_MAX_TASKS else {"linewidth": 0}
    by_row: dict[tuple[int, str, str], list[int]] = {row: [] for row in rows}
    for k, record in enumerate(records):
        by_row[_row_of(record)].append(k)
    for i, indices in enumerate(by_row.values()):  # in the order of rows: row i
        ax.broken_barh(
            [(records[k].start - t0, records[k].end - records[k].start) for k in indices],
            (i - BAR_HEIGHT / 2, BAR_HEIGHT),
            facecolors=[colors[k] for k in indices],
            zorder=2,
            gid="tasks",
            **edge,
        )
    return by_row


def _number_wide_bars(
    ax: Axes,
    records: list[TaskRecord],
    rows: list[tuple[int, str, str]],
    colors: list,
    t0: float,
    span: float,
) -> None:
    """Write each task's number inside its bar, where the bar is wide enough to hold it."""
    row_index = {row: i for i, row in enumerate(rows)}
    for record, color in zip(records, colors, strict=True):
        if (record.end - record.start) >= LABEL_MIN_WIDTH_FRACTION * span:
            ax.text(
                (record.start + record.end) / 2 - t0,
                row_index[_row_of(record)],
                str(record.task),
                ha="center",
                va="center",
                fontsize=8,
                color=_text_color(color),
                zorder=3,
            )


def _label_rows_and_axes(
    ax: Axes,
    records: list[TaskRecord],
    rows: list[tuple[int, str, str]],
    by_row: dict[tuple[int, str, str], list[int]],
    span: float,
    title: str,
) -> None:
    """Label each row with its worker, task count and busy share; set the axes' limits, labels and grid."""
    labels = _row_labels(rows)
    tick_labels = []
    for row in rows:
        mine = [records[k] for k in by_row[row]]
        busy = sum(r.end - r.start for r in mine) / span
        noun = "task" if len(mine) == 1 else "tasks"
        tick_labels.append(f"{labels[row]}\n{len(mine)} {noun}, busy {busy:.0%}")
    ax.set_yticks(range(len(rows)), tick_labels, fontsize=9)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first worker on top
    ax.set_xlim(0, span * 1.01)
    ax.set_xlabel("seconds since the first task started")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3, zorder=1)
    ax.set_axisbelow(True)


def _draw_key(fig: Figure, ax: Axes, key: _ChunkKey) -> None:
    """Explain the colours: a legend of chunks, a colorbar of many chunks, or "task" and "idle"."""
    if key.legend:
        ax.legend(
            handles=[*key.legend, Patch(color=IDLE_COLOR, label="idle")],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=9,
            frameon=False,
        )
    elif key.colorbar_norm is not None:
        mappable = plt.cm.ScalarMappable(norm=key.colorbar_norm, cmap="viridis")
        fig.colorbar(mappable, ax=ax, label="chunk", pad=0.01)
    else:
        ax.legend(
            handles=[Patch(color=UNCHUNKED_COLOR, label="task"), Patch(color=IDLE_COLOR, label="idle")],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=9,
            frameon=False,
        )


def _check_measurements(measurements: object) -> dict[int, float]:
    """Return measurements as {workers: seconds} sorted by workers, if sound; else raise saying what to pass."""
    example = "e.g. {1: 4.1, 2: 2.2} (workers -> wall seconds)"
    if not isinstance(measurements, Mapping):
        raise TypeError(
            f"measurements must be a dict of workers -> wall seconds, {example}; got {type(measurements).__name__}"
        )
    clean: dict[int, float] = {}
    for workers, seconds in measurements.items():
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
            raise TypeError(
                f"worker counts must be ints, got {type(workers).__name__} {workers!r}; {example}"
            )
        if workers < 1:
            raise ValueError(f"worker counts must be >= 1, got {workers}; {example}")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float, np.floating, np.integer)):
            raise TypeError(
                f"the time for {workers} workers must be a number of seconds, got {type(seconds).__name__} {seconds!r}"
            )
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(
                f"the time for {workers} workers must be a positive number of seconds, got {seconds}"
            )
        clean[int(workers)] = float(seconds)
    if 1 not in clean:
        raise ValueError(
            f"measurements has no 1-worker baseline: speedup is T1 / Tn, so pass the time with 1 worker too, {example}"
        )
    if len(clean) < 2:
        raise ValueError(
            f"measurements needs at least one run with more than 1 worker besides the baseline, {example}"
        )
    return dict(sorted(clean.items()))


def amdahl_speedup(workers: float | np.ndarray, serial_fraction: float) -> float | np.ndarray:
    """Return Amdahl's speedup on `workers` workers: 1 / (s + (1 - s) / workers) for serial fraction s."""
    if not 0 <= serial_fraction <= 1:
        raise ValueError(f"serial_fraction must be between 0 and 1, got {serial_fraction}")
    return 1 / (serial_fraction + (1 - serial_fraction) / np.asarray(workers, dtype=float))


def fit_serial_fraction(measurements: Mapping[int, float]) -> float:
    """Return the serial fraction s in [0, 1] that best fits measurements {workers: seconds} by least squares.

    Amdahl's law in time is Tn / T1 = s + (1 - s) / n, which is a straight line in s:
    Tn / T1 - 1/n = s * (1 - 1/n). Least squares on that line has a closed form,
    s = sum(x * y) / sum(x * x) with x = 1 - 1/n and y = Tn / T1 - 1/n. Clipped to [0, 1]:
    a superlinear run gives s = 0, a run that gets slower with more workers s = 1.
    """
    return float(np.clip(_least_squares_fraction(_check_measurements(measurements)), 0.0, 1.0))


def _least_squares_fraction(clean: dict[int, float]) -> float:
    """Return the unclipped least-squares serial fraction for checked measurements (see fit_serial_fraction)."""
    n = np.array(list(clean), dtype=float)
    times = np.array(list(clean.values()))
    x = 1 - 1 / n
    y = times / clean[1] - 1 / n
    return float(np.dot(x, y) / np.dot(x, x))


def _format_fraction(fraction: float) -> str:
    """Return the serial fraction with two significant digits: 0.07, 0.0042, 0."""
    return f"{fraction:.2g}"


def speedup_plot(
    measurements: Mapping[int, float],
    title: str = DEFAULT_SPEEDUP_TITLE,
    ax: Axes | None = None,
) -> Figure:
    """Return a Figure of measured speedup T1/Tn beside the ideal line and the fitted Amdahl curve.

    measurements maps worker counts to wall-clock seconds and must include 1 worker, the
    baseline, e.g. ``{1: 4.1, 2: 2.2, 4: 1.3}``. The legend names the fitted serial fraction
    and the ceiling it implies. Pass ax to draw into your own axes (the figure is then yours).
    """
    clean = _check_measurements(measurements)
    if not isinstance(title, str):
        raise TypeError(f"title must be a str, got {type(title).__name__}")
    raw_fraction = _least_squares_fraction(clean)
    fraction = min(1.0, max(0.0, raw_fraction))
    ns = np.array(list(clean), dtype=float)
    speedups = clean[1] / np.array(list(clean.values()))
    n_max = ns.max()

    if ax is None:
        fig, ax = _new_figure(6.4, 4.6)
    else:
        fig = ax.figure.figure  # the whole Figure, also when ax is in a SubFigure

    # zorder above the Amdahl curve: with a serial fraction of 0 the two coincide
    ax.plot(
        [1, n_max],
        [1, n_max],
        linestyle="--",
        color="0.35",
        zorder=2.5,
        label="ideal: n workers, n times faster",
    )
    fine = np.linspace(1, n_max, 200)
    amdahl_label = f"Amdahl, serial fraction {_format_fraction(fraction)}"
    if raw_fraction > 1:
        # No serial fraction explains runs that got slower: overhead outgrew the work.
        amdahl_label += " (more workers ran slower)"
    elif raw_fraction < 0:
        # Faster than ideal: usually noise, or the work fitting in the caches of more cores.
        amdahl_label += " (measured beat the ideal)"
    elif fraction > 0:
        amdahl_label += f" (ceiling {1 / fraction:.3g}×)"
    ax.plot(fine, amdahl_speedup(fine, fraction), color="tab:orange", linewidth=2, label=amdahl_label)
    # markers only: a line through them would hide the Amdahl curve when the fit is close
    ax.plot(
        ns, speedups, marker="o", markersize=7, linestyle="none", color="tab:blue", label="measured", zorder=3
    )
    if len(ns) <= 12:
        for n, speedup in zip(ns, speedups, strict=True):
            ax.annotate(
                f"{speedup:.2f}×",
                (n, speedup),
                textcoords="offset points",
                xytext=(0, -15),
                ha="center",
                fontsize=9,
                color="tab:blue",
            )

    ax.set_xlabel("worker processes (n)")
    ax.set_ylabel("speedup  T1 / Tn")
    ax.set_title(title)
    if n_max <= 16:
        ax.set_xticks(np.arange(1, n_max + 1))
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    top = max(n_max, float(speedups.max()))
    ax.set_xlim(0.7, n_max + 0.3)
    ax.set_ylim(0, top * 1.12 + 0.2)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    return fig
