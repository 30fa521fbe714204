"""Bring a learner's exercise folder from an earlier edition of the book to this one, losing nothing.

The exercises were renumbered to follow the chapters (ex10_fix_pickling became ex03_fix_pickling,
and so on). A learner who started with the earlier numbers keeps their work: each file under an
old name moves to its new name before the missing stubs are copied, and its progress entry moves
with it. Nothing a learner wrote is overwritten or deleted:

    old file untouched (byte for byte a stub the book shipped)  -> removed; the new stub replaces it
    old file edited, no file under the new name                 -> renamed to the new name
    old file edited, new name holds an untouched stub           -> renamed over that stub
    old file edited, new name holds edited work too             -> both kept: the old one moves to
                                                                   exercises/.backups/, with a message
    a file under a current name that is an untouched stub of an earlier edition -> the new stub
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

# new name <- old name, for every exercise whose number changed (ex01 and ex02 kept theirs).
RENAMED: dict[str, str] = {
    "ex10_fix_pickling": "ex03_fix_pickling",
    "ex03_queue_results": "ex04_queue_results",
    "ex04_pipeline": "ex05_pipeline",
    "ex05_pipe_ping_pong": "ex06_pipe_ping_pong",
    "ex06_safe_counter": "ex07_safe_counter",
    "ex07_shared_array_sum": "ex09_shared_array_sum",
    "ex08_manager_word_count": "ex10_manager_word_count",
    "ex09_pool_primes": "ex11_pool_primes",
    "ex15_chunksize": "ex13_chunksize",
    "ex16_initializer": "ex14_initializer",
    "ex12_collect_errors": "ex15_collect_errors",
    "ex11_first_results": "ex16_first_results",
    "ex13_run_with_timeout": "ex18_run_with_timeout",
    "ex14_worker_logging": "ex20_worker_logging",
    "ex17_any_executor": "ex23_any_executor",
}

# sha256 of every stub an earlier edition shipped, line endings made \n, by the name it had then:
# a file equal to one of them was never edited, so replacing it loses nothing.
SHIPPED_BEFORE: dict[str, frozenset[str]] = {
    name: frozenset(digests)
    for name, digests in {
        "ex01_start_and_join": ["46bf7d508a12c4889efd145b9ae9bd1fb32db8d3fbe8552d3e03a7a8a85797d3"],
        "ex02_main_guard": ["eef2a8acecfebfa1a4da0fcc64eae074ecf768bfa6149bb8a3de8de2398a6fdb"],
        "ex03_queue_results": [
            "cdb3303a07e9cd7dcfd0ae10b8d90e74c385f62941656a4c04f208916a6d72b9",
            "d9d189aba7e9f88fd47f1b0669b31ae5324964e116e5c209d578d6fc5acac006",
        ],
        "ex04_pipeline": ["d68fd1e4a8d1b3a7668f8581b9a4816d31bcebc654f77d59573b31699639530c"],
        "ex05_pipe_ping_pong": ["cbe1a50f2aaaa38227ff86b6fb8ff0f92dd61dc4941090c91f7f9267db2c6381"],
        "ex06_safe_counter": ["cabcb29e7eab03fd07466cfde73d41faa4d167698b604687f33d6e4e5997ef83"],
        "ex07_shared_array_sum": ["479d518f844393da96945697c3f1de8ee41b28967a5f9251587e9b83545b8254"],
        "ex08_manager_word_count": ["ab09935f2f47c3d749d0fa95851482c7016b0ab5bb9a31ee1d8544c86fd2f175"],
        "ex09_pool_primes": ["8b554972ab6ad73dc0ee91d07ae6c1f1600039d6b24c3ca87ebcea301d8b3441"],
        "ex10_fix_pickling": ["0cd2e4b732d4399190e710ba675197dfd0364840a49646be1e484a9ccbf49ffa"],
        "ex11_first_results": ["5c0004bf3923b28f3a19ab71840fb58f577cb5d768ea57688b1b7cc48925a208"],
        "ex12_collect_errors": ["0011f1543d81e80aa699d6d3e3ff3c5e26b6a4c80c262476a5f8b7e09b400b3d"],
        "ex13_run_with_timeout": ["e10d098550682ab455e2d78054df381abc1c95d771854b07b86c7ea7641eefb2"],
        "ex14_worker_logging": ["757490183afe262d3d02438a039cd58ce5f908a82ea8267d0327cb5566430a1d"],
        "ex15_chunksize": ["f60c51407c8f4b072363fcf1e044e6ad631007e287123947ccd390a9850f2012"],
        "ex16_initializer": ["6f873d5d0ff085c0fe5fc8189ec1ad3c0d3289a76e8307c989c262b662215988"],
        "ex17_any_executor": ["d230b89f68ac3921c9c4ffdb6382c31437b4e3cdc38b5aaf2c9c2b73e769618d"],
    }.items()
}


def bytes_digest(data: bytes) -> str:
    """Return the sha256 of data with \\r\\n made \\n (a Windows checkout changes line endings)."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def text_digest(path: Path) -> str:
    """Return bytes_digest of a file's content."""
    return bytes_digest(path.read_bytes())


def _backup_path(backups: Path, name: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = backups / f"{name}-{stamp}.py"
    counter = 1
    while candidate.exists():
        candidate = backups / f"{name}-{stamp}-{counter}.py"
        counter += 1
    return candidate


def migrate(directory: Path, progress, shown=str, backups_dir: str = ".backups") -> list[str]:
    """Move the learner's files under old names to the new names; return a message per change.

    `progress` is the folder's workspace.Progress: its entries move with the files (saved by the
    caller). `shown` turns a path into what the learner should read.
    """
    from mpbook.grading.catalogue import EXERCISES  # the current names, and where their stubs are

    current = {exercise.name: exercise for exercise in EXERCISES}
    messages: list[str] = []
    entries = progress.data["exercises"]
    for old, new in RENAMED.items():
        old_path, new_path = directory / f"{old}.py", directory / f"{new}.py"
        if not old_path.is_file():
            if old in entries and new not in entries:
                entries[new] = entries.pop(old)
            continue
        if text_digest(old_path) in SHIPPED_BEFORE.get(old, ()):
            old_path.unlink()  # the untouched original: the new stub takes its place
            entries.pop(old, None)
            messages.append(
                f"{shown(old_path)} was never edited: removed, as the exercise is now {new} "
                "(the exercises follow the chapters' order)."
            )
            continue
        exercise = current.get(new)
        untouched_new = new_path.is_file() and (
            text_digest(new_path) in SHIPPED_BEFORE.get(new, ())
            or (exercise is not None and text_digest(new_path) == text_digest(exercise.stub_path))
        )
        if not new_path.exists() or untouched_new:
            os.replace(old_path, new_path)  # atomic: the file is under one name or the other, never lost
            if old in entries:
                entries[new] = entries.pop(old)
            messages.append(
                f"Renamed {shown(old_path)} to {shown(new_path)}: the exercises now follow the chapters' order. "
                "Your work is in it, unchanged."
            )
            continue
        backups = directory / backups_dir
        backups.mkdir(exist_ok=True)
        backup = _backup_path(backups, old)
        os.replace(old_path, backup)
        entries.pop(old, None)
        messages.append(
            f"{shown(old_path)} is now {new}, but {shown(new_path)} already holds your work, so both are kept: "
            f"{shown(new_path)} stays as it is, and the file under the old name moved to {shown(backup)}. "
            "Compare the two and keep what you need."
        )
    for name, exercise in current.items():
        path = directory / exercise.filename
        if (
            path.is_file()
            and text_digest(path) in SHIPPED_BEFORE.get(name, ())
            and text_digest(path) != text_digest(exercise.stub_path)
        ):
            path.write_bytes(exercise.stub_path.read_bytes())
            messages.append(f"{shown(path)} was never edited: replaced by this edition's version of {name}.")
    return messages
