"""mpbook.practice (the tasks and sample data of the newer exercises) and mpbook.grading.measuring."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from mpbook import practice
from mpbook.grading import measuring
from mpbook.workers import square

TIMEOUT_S = 60  # every pool here finishes in well under a second


def digests(folder: Path, names: list[str]) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in names}


def test_sample_folder_is_reproducible(tmp_path):
    """The same settings make the same files, byte for byte, in subfolders, with "/" paths and varied sizes."""
    first = practice.make_sample_folder(tmp_path / "a", count=9, size=1000, seed=3)
    again = practice.make_sample_folder(tmp_path / "b", count=9, size=1000, seed=3)
    other = practice.make_sample_folder(tmp_path / "c", count=9, size=1000, seed=4)
    assert first == again == other == sorted(first)
    assert any("/" in name for name in first), first
    assert digests(tmp_path / "a", first) == digests(tmp_path / "b", again)
    assert digests(tmp_path / "a", first) != digests(tmp_path / "c", other)
    sizes = [(tmp_path / "a" / name).stat().st_size for name in first]
    assert all(500 <= size <= 1500 for size in sizes), sizes
    assert len(set(digests(tmp_path / "a", first).values())) == len(first), "two files have the same bytes"


def test_sample_folder_path_is_named_after_its_settings():
    """sample_folder returns the same folder for the same settings, holding the files make_sample_folder makes."""
    path = Path(practice.sample_folder(count=3, size=100, seed=9))
    try:
        assert path.name == "mpbook-sample-3x100-seed9"
        assert sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()) == [
            "docs/file-001.bin",
            "file-000.bin",
            "images/file-002.bin",
        ]
        assert practice.sample_folder(count=3, size=100, seed=9) == str(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_records_come_back_from_the_workers(tmp_path, book_context):
    """run_and_record returns the task's result and writes each call, with its process, where the parent reads it."""
    task = functools.partial(practice.run_and_record, square, str(tmp_path))
    with ProcessPoolExecutor(max_workers=2, mp_context=book_context) as executor:
        results = list(executor.map(task, range(6), timeout=TIMEOUT_S))
    assert results == [x * x for x in range(6)]
    records = practice.read_records(tmp_path)
    assert sorted(record.item for record in records) == list(range(6))
    assert all(record.pid != os.getpid() and record.start <= record.end for record in records)
    assert [record.start for record in records] == sorted(record.start for record in records)


def test_check_item_matches_and_records(tmp_path):
    """check_item says whether the item is a hit, after its pretended work, and records the call."""
    started = time.monotonic()
    assert practice.check_item(5, hits={5}, seconds=0.05, log_dir=tmp_path) is True
    assert practice.check_item(6, hits={5}) is False
    (record,) = practice.read_records(tmp_path)
    assert record.item == 5
    assert record.end - record.start >= 0.04
    assert record.start >= started
    with pytest.raises(ValueError, match="seconds"):
        practice.check_item(1, seconds=-1)


def test_check_item_hit_seconds(tmp_path):
    """With hit_seconds, a hit takes that long and every other item `seconds`."""
    assert practice.check_item(5, hits={5}, seconds=5.0, hit_seconds=0.0, log_dir=tmp_path) is True
    assert practice.check_item(6, hits={5}, seconds=0.05, hit_seconds=5.0, log_dir=tmp_path) is False
    hit, miss = practice.read_records(tmp_path)
    assert hit.end - hit.start < 1.0
    assert miss.end - miss.start >= 0.04
    with pytest.raises(ValueError, match="hit_seconds"):
        practice.check_item(5, hits={5}, hit_seconds=-1)


def test_exit_on_dies_once_or_always(tmp_path, book_context):
    """exit_on kills its worker for an `always` item every time, for a `once` item only the first time."""
    task = functools.partial(practice.exit_on, always=(7,), once=(3,), log_dir=str(tmp_path))
    for attempt in range(2):
        with ProcessPoolExecutor(max_workers=1, mp_context=book_context) as executor:
            future = executor.submit(task, 3)
            if attempt == 0:
                with pytest.raises(BrokenProcessPool):
                    future.result(timeout=TIMEOUT_S)
            else:
                assert future.result(timeout=TIMEOUT_S) == 9
    for _ in range(2):
        with (
            ProcessPoolExecutor(max_workers=1, mp_context=book_context) as executor,
            pytest.raises(BrokenProcessPool),
        ):
            executor.submit(task, 7).result(timeout=TIMEOUT_S)
    runs = sorted(record.item for record in practice.read_records(tmp_path))
    assert runs == [3, 3, 7, 7]


def test_call_with_limit():
    """call_with_limit returns the result and the time, raises what the call raised, and gives up at the limit."""
    result, seconds = measuring.call_with_limit(5, sum, [1, 2, 3])
    assert result == 6
    assert 0 <= seconds < 5
    with pytest.raises(ZeroDivisionError):
        measuring.call_with_limit(5, divmod, 1, 0)
    started = time.perf_counter()
    with pytest.raises(measuring.DidNotReturn):
        measuring.call_with_limit(0.2, time.sleep, 2)
    assert time.perf_counter() - started < 1.5


def test_importing_practice_stays_light():
    """Importing mpbook.practice loads no NumPy, matplotlib or Jupyter: the exercises' workers import it."""
    code = (
        "import sys, mpbook.practice; "
        "heavy = [m for m in ('numpy', 'matplotlib', 'ipywidgets', 'IPython', 'psutil') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT_S, check=True
    )
    assert out.stdout.strip() == "", f"importing mpbook.practice pulled in: {out.stdout.strip()}"
