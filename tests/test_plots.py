"""mpbook.plots: timelines and speedup plots draw what they claim, and refuse bad input clearly."""

from __future__ import annotations

import multiprocessing
import time

import matplotlib

matplotlib.use("Agg")  # no display in tests; must come before pyplot is imported

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from mpbook import plots, trace, workers

TIMEOUT_S = 60  # a spawn pool of 2 starts in ~0.3 s here; the margin covers a loaded CI machine


def _records(n_tasks=8, chunksize=2, n_workers=2, *, chunked=True):
    """Return synthetic TaskRecords: task i on worker i % n_workers, 0.1 s each, back to back per worker."""
    records = []
    for task in range(n_tasks):
        worker = task % n_workers
        start = 100.0 + (task // n_workers) * 0.1
        records.append(
            trace.TaskRecord(
                task,
                1000 + worker,
                f"SpawnPoolWorker-{worker + 1}",
                start,
                start + 0.08,
                chunk=task // chunksize if chunked else None,
            )
        )
    return records


def _bars(ax):
    """Return the task bars of a timeline axes as (row, left, width, facecolor), one per task."""
    bars = []
    for collection in ax.collections:
        if collection.get_gid() != "tasks":
            continue  # the grey idle bands behind the rows
        colours = collection.get_facecolors()
        for k, path in enumerate(collection.get_paths()):
            extent = path.get_extents()
            row = round((extent.y0 + extent.y1) / 2)
            bars.append((row, extent.x0, extent.width, tuple(colours[k % len(colours)])))
    return bars


def _amdahl_times(fraction, t1=10.0, workers_up_to=8):
    """Return {n: seconds} that follow Amdahl's law exactly for the given serial fraction."""
    return {n: t1 * (fraction + (1 - fraction) / n) for n in range(1, workers_up_to + 1)}


def test_timeline_draws_one_bar_per_task_and_one_row_per_worker():
    """timeline returns a Figure with one bar per task, one labelled y tick per worker and a title."""
    records = _records(n_tasks=10, n_workers=3)
    fig = plots.timeline(records, title="ten tasks")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(_bars(ax)) == 10
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert len(labels) == 3
    assert [label.splitlines()[0] for label in labels] == [f"SpawnPoolWorker-{i}" for i in (1, 2, 3)]
    assert all("busy" in label for label in labels), "each row says how busy its worker was"
    assert ax.get_title() == "ten tasks"
    assert "seconds" in ax.get_xlabel()


def test_timeline_times_start_at_zero_and_keep_durations():
    """Bars start at 0 for the earliest task, and each bar is as wide as its task ran."""
    records = _records(n_tasks=4)
    ax = plots.timeline(records).axes[0]
    bars = _bars(ax)
    assert min(left for _, left, _, _ in bars) == pytest.approx(0.0)
    assert sorted(width for _, _, width, _ in bars) == pytest.approx([0.08] * 4)


def test_timeline_colours_by_chunk_with_a_legend():
    """With chunk info, tasks of one chunk share a colour, chunks differ, and the legend names each chunk."""
    records = _records(n_tasks=8, chunksize=2)
    ax = plots.timeline(records).axes[0]
    # match bars to records by row and start: task i runs on worker i % 2, the row of that worker
    colour_at = {(row, round(left, 9)): colour for row, left, _, colour in _bars(ax)}
    by_chunk = {}
    for record in records:
        key = (record.task % 2, round(record.start - 100.0, 9))
        by_chunk.setdefault(record.chunk, set()).add(colour_at[key])
    assert all(len(c) == 1 for c in by_chunk.values()), "one colour per chunk"
    assert len({next(iter(c)) for c in by_chunk.values()}) == 4, "a different colour for each chunk"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:4] == [
        "chunk 0: tasks 0–1",
        "chunk 1: tasks 2–3",
        "chunk 2: tasks 4–5",
        "chunk 3: tasks 6–7",
    ]
    assert "idle" in legend


def test_timeline_with_many_chunks_uses_a_colorbar():
    """More chunks than the legend can hold are explained by a colorbar labelled chunk."""
    fig = plots.timeline(_records(n_tasks=40, chunksize=1))
    assert len(fig.axes) == 2, "the timeline and its colorbar"
    assert fig.axes[1].get_ylabel() == "chunk"


def test_timeline_without_chunks_uses_one_colour():
    """Records without chunk info (a lone Process) are drawn in one colour."""
    ax = plots.timeline(_records(chunked=False)).axes[0]
    assert len({colour for _, _, _, colour in _bars(ax)}) == 1


def test_timeline_tells_apart_workers_with_the_same_name():
    """Two processes with the same name (from two pools) get separate rows labelled with their pids."""
    records = [
        trace.TaskRecord(0, 11, "SpawnPoolWorker-1", 0.0, 1.0),
        trace.TaskRecord(1, 22, "SpawnPoolWorker-1", 1.0, 2.0),
    ]
    ax = plots.timeline(records).axes[0]
    labels = [tick.get_text().splitlines()[0] for tick in ax.get_yticklabels()]
    assert sorted(labels) == ["SpawnPoolWorker-1 (pid 11)", "SpawnPoolWorker-1 (pid 22)"]


def test_timeline_leaves_no_open_pyplot_figure():
    """A figure timeline creates is closed in pyplot, so a notebook shows it once, as the cell's value."""
    before = plt.get_fignums()
    plots.timeline(_records())
    plots.speedup_plot({1: 2.0, 2: 1.1})
    assert plt.get_fignums() == before


def test_timeline_draws_into_given_axes():
    """Given an ax, timeline draws there and returns that axes' figure, left open for its owner."""
    fig, ax = plt.subplots()
    try:
        assert plots.timeline(_records(n_tasks=6), ax=ax) is fig
        assert len(_bars(ax)) == 6
        assert plt.fignum_exists(fig.number)
    finally:
        plt.close(fig)


def test_timeline_of_a_real_spawn_pool():
    """Records from a real spawn Pool(2).map with chunksize 4 make a timeline with a bar per task, a row per worker."""
    args = [(0, 2000 * (i + 1)) for i in range(16)]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        _, records = trace.traced_map(pool, workers.count_primes, args, 4, star=True, timeout=TIMEOUT_S)
    ax = plots.timeline(records).axes[0]
    assert len(_bars(ax)) == 16
    assert len(ax.get_yticks()) == len({(r.pid, r.worker) for r in records}) <= 2
    assert len(ax.get_legend().get_texts()) == 4 + 1, "four chunks and idle"


def test_speedup_plot_has_ideal_measured_and_amdahl_lines():
    """speedup_plot draws the ideal line y = n, the measured T1/Tn and an Amdahl curve, each in the legend."""
    measurements = {1: 8.0, 2: 4.4, 4: 2.6}
    fig = plots.speedup_plot(measurements, title="three runs")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = {line.get_label().split(":")[0].split(",")[0]: line for line in ax.get_lines()}
    assert set(lines) == {"ideal", "measured", "Amdahl"}
    ideal = lines["ideal"]
    assert list(ideal.get_xdata()) == list(ideal.get_ydata()), "ideal speedup equals the worker count"
    measured = lines["measured"]
    assert list(measured.get_xdata()) == [1, 2, 4]
    assert list(measured.get_ydata()) == pytest.approx([1.0, 8.0 / 4.4, 8.0 / 2.6])
    assert ax.get_title() == "three runs"
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any(text.startswith("Amdahl, serial fraction ") for text in legend)


@pytest.mark.parametrize("fraction", [0.0, 0.07, 0.3, 1.0])
def test_fit_recovers_the_serial_fraction_of_amdahl_data(fraction):
    """On times built from Amdahl's law, the fitted serial fraction is the one used to build them."""
    assert plots.fit_serial_fraction(_amdahl_times(fraction)) == pytest.approx(fraction, abs=1e-9)


def test_fit_is_close_on_noisy_data_and_labelled_in_the_legend():
    """With a few percent of noise the fit stays within 0.02 of the true fraction, and the legend shows it."""
    noise = [1.0, 1.03, 0.98, 1.02, 0.97, 1.01, 0.99, 1.02]
    times = {n: t * noise[n - 1] for n, t in _amdahl_times(0.07).items()}
    assert plots.fit_serial_fraction(times) == pytest.approx(0.07, abs=0.02)
    legend = [t.get_text() for t in plots.speedup_plot(_amdahl_times(0.07)).axes[0].get_legend().get_texts()]
    assert "Amdahl, serial fraction 0.07 (ceiling 14.3×)" in legend


def test_fit_clips_to_zero_and_one():
    """Faster-than-ideal runs fit a serial fraction of 0, runs that got slower a fraction of 1."""
    assert plots.fit_serial_fraction({1: 10.0, 2: 4.0}) == 0.0
    assert plots.fit_serial_fraction({1: 10.0, 2: 12.0}) == 1.0
    legend = [t.get_text() for t in plots.speedup_plot({1: 10.0, 2: 12.0}).axes[0].get_legend().get_texts()]
    assert "Amdahl, serial fraction 1 (more workers ran slower)" in legend


def test_amdahl_speedup_matches_the_formula():
    """amdahl_speedup gives 1 on one worker, n with no serial part, and 1/s as the ceiling."""
    assert plots.amdahl_speedup(1, 0.3) == pytest.approx(1.0)
    assert plots.amdahl_speedup(8, 0.0) == pytest.approx(8.0)
    assert plots.amdahl_speedup(1e9, 0.25) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="serial_fraction must be between 0 and 1"):
        plots.amdahl_speedup(2, 1.5)


@pytest.mark.parametrize(
    ("records", "error", "message"),
    [
        ([], ValueError, "records is empty"),
        (None, TypeError, "records must be a list of TaskRecord"),
        ([(0, 1, "w", 0.0, 1.0)], TypeError, "records must hold TaskRecord objects"),
        ([trace.TaskRecord(0, 1, "w", 2.0, 1.0)], ValueError, "task 0 ends before it starts"),
        ([trace.TaskRecord(0, 1, "w", float("nan"), 1.0)], ValueError, "not a finite number"),
    ],
)
def test_timeline_rejects_bad_records(records, error, message):
    """Bad records raise a TypeError or ValueError that says what to pass instead."""
    with pytest.raises(error, match=message):
        plots.timeline(records)


@pytest.mark.parametrize(
    ("measurements", "error", "message"),
    [
        ({2: 1.0, 4: 0.6}, ValueError, "no 1-worker baseline"),
        ({1: 1.0}, ValueError, "at least one run with more than 1 worker"),
        ({}, ValueError, "no 1-worker baseline"),
        ({1: 1.0, 2: 0.0}, ValueError, "the time for 2 workers must be a positive number of seconds"),
        ({1: -1.0, 2: 0.5}, ValueError, "the time for 1 workers must be a positive number"),
        ({1: 1.0, 2: float("inf")}, ValueError, "positive number of seconds"),
        ({1: 1.0, 0: 0.5}, ValueError, "worker counts must be >= 1"),
        ({1: 1.0, 2.0: 0.5}, TypeError, "worker counts must be ints"),
        ({1: 1.0, 2: "fast"}, TypeError, "must be a number of seconds"),
        ([1.0, 0.5], TypeError, "measurements must be a dict of workers -> wall seconds"),
    ],
)
def test_speedup_plot_rejects_bad_measurements(measurements, error, message):
    """Bad measurements raise a TypeError or ValueError that says what to pass instead."""
    with pytest.raises(error, match=message):
        plots.speedup_plot(measurements)


def test_timeline_of_twenty_thousand_tasks_is_quick():
    """A timeline of 20 000 tasks (a typical Pool.map of tiny tasks) builds and renders in seconds, not minutes."""
    records = [
        trace.TaskRecord(i, 1 + i % 2, f"W-{i % 2}", i * 1e-5, i * 1e-5 + 8e-6, chunk=i // 2500)
        for i in range(20_000)
    ]
    started = time.perf_counter()
    fig = plots.timeline(records)
    fig.canvas.draw()
    elapsed = time.perf_counter() - started
    assert len(_bars(fig.axes[0])) == 20_000
    assert elapsed < 10, f"took {elapsed:.1f} s; about 0.4 s expected (one collection per worker)"
