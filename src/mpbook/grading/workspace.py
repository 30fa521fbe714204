"""The learner's exercise folder: where it is, what is in it, and the progress kept there.

The original stubs ship inside the package (mpbook/grading/exercises/exNN_slug/stub.py). The
learner works on copies in `exercises/` at the top of the book, made the first time any `mpbook`
exercise command runs. So a learner's work is never overwritten: new exercises are added beside
it, `git pull` never conflicts with it, and `mpbook reset` can always restore an original, after
moving the learner's version to `exercises/.backups/`. Files named as in an earlier edition of the
book are renamed first (migration.py), losing nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import mpbook
from mpbook.grading import migration
from mpbook.grading.catalogue import EXERCISES, Exercise

ENV_DIR = "MPBOOK_EXERCISES_DIR"
PROGRESS_FILE = ".mpbook-progress.json"
BACKUPS_DIR = ".backups"


class WorkspaceError(OSError):
    """The exercise folder cannot be read or written; the message says what to do."""


def book_root() -> Path | None:
    """Return the book's folder (the one holding notebooks/) when mpbook is installed from it."""
    root = Path(mpbook.__file__).resolve().parents[2]
    return root if (root / "notebooks").is_dir() else None


def exercises_dir() -> Path:
    """Return the learner's exercise folder: $MPBOOK_EXERCISES_DIR, else the book's exercises/."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser().resolve()
    root = book_root()
    return (root if root else Path.cwd()) / "exercises"


def shown(path: Path) -> str:
    """Return path as a learner should see it: relative to the book's folder when inside it."""
    root = book_root()
    try:
        return str(Path(path).resolve().relative_to(root)) if root else str(path)
    except ValueError:
        return str(path)


def stub_path(exercise: Exercise) -> Path:
    return exercise.stub_path


def solutions_dir() -> Path | None:
    """Return the book's solutions/ folder, or None when mpbook was installed without the book's repository."""
    root = book_root()
    folder = (root if root else Path.cwd()) / "solutions"
    return folder if folder.is_dir() else None


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_exercises(directory: Path) -> list[Exercise]:
    """Copy every stub missing from directory into it, never touching existing files; return those copied."""
    copied = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for exercise in EXERCISES:
            target = directory / exercise.filename
            if not target.exists():
                shutil.copyfile(stub_path(exercise), target)
                copied.append(exercise)
    except OSError as exc:
        raise WorkspaceError(
            f"cannot create the exercise files in {directory} ({exc.strerror or exc}). "
            f"Make the folder writable, or choose another one with {ENV_DIR}=/some/folder."
        ) from exc
    return copied


def bring_up_to_date(directory: Path, progress: Progress) -> list[str]:
    """Rename files left under an earlier edition's names (migration.py); return what was done, for the learner."""
    if not directory.is_dir():
        return []
    try:
        messages = migration.migrate(directory, progress, shown, BACKUPS_DIR)
    except OSError as exc:
        raise WorkspaceError(
            f"could not rename the exercise files in {directory} to this edition's names "
            f"({exc.strerror or exc}). Nothing was lost: every file is under its old or its new name. "
            "Make the folder writable, then run `mpbook list` again."
        ) from exc
    if messages:
        progress.save()
    return messages


def read_progress(directory: Path) -> dict:
    """Return the progress entries by exercise name, read without changing anything ({} when unreadable)."""
    try:
        loaded = json.loads((directory / PROGRESS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = loaded.get("exercises") if isinstance(loaded, dict) else None
    return entries if isinstance(entries, dict) else {}


class Progress:
    """The learner's results and hint levels, in exercises/.mpbook-progress.json.

    Losing this file loses nothing that matters (it is recomputed by the next check), so a
    corrupt file is set aside and replaced, and a failure to write it is a warning, not an error.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / PROGRESS_FILE
        self.warnings: list[str] = []
        self.data: dict = {"version": 1, "exercises": {}}
        if self.path.exists():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if not isinstance(loaded, dict) or not isinstance(loaded.get("exercises"), dict):
                    raise ValueError("unexpected content")
                self.data = loaded
            except (OSError, ValueError) as exc:
                kept = self.path.with_name(f"{PROGRESS_FILE}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
                try:
                    self.path.replace(kept)
                    where = f"it was kept as {kept.name}"
                except OSError:
                    where = "it could not be moved aside"
                self.warnings.append(
                    f"the progress file {self.path.name} was unreadable ({exc}); {where}, and progress starts "
                    "afresh. Your exercise files are untouched; `mpbook check` rebuilds the progress."
                )

    def entry(self, exercise: Exercise) -> dict:
        return self.data["exercises"].setdefault(exercise.name, {})

    def save(self) -> None:
        """Write the progress atomically; on failure add a warning instead of raising."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(self.data, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            self.warnings.append(
                f"could not save progress to {self.path} ({exc.strerror or exc}); your exercise files are "
                "untouched, only the record of results and hints was not updated."
            )


def status(exercise: Exercise, directory: Path, progress: Progress) -> str:
    """Return "not started", "in progress", "failing", "done" or "missing" for the learner's file."""
    path = directory / exercise.filename
    if not path.exists():
        return "missing"
    digest = file_digest(path)
    if digest == file_digest(stub_path(exercise)):
        return "not started"
    entry = progress.data["exercises"].get(exercise.name, {})
    if entry.get("checked_digest") != digest:
        return "in progress"
    return "done" if entry.get("passed") else "failing"


def reset(exercise: Exercise, directory: Path) -> Path | None:
    """Restore the original stub; move the learner's version to .backups/ first. Return the backup path."""
    path = directory / exercise.filename
    backup = None
    try:
        if path.exists() and file_digest(path) != file_digest(stub_path(exercise)):
            backups = directory / BACKUPS_DIR
            backups.mkdir(exist_ok=True)
            backup = backups / f"{exercise.name}-{time.strftime('%Y%m%d-%H%M%S')}.py"
            counter = 1
            while backup.exists():
                backup = backups / f"{exercise.name}-{time.strftime('%Y%m%d-%H%M%S')}-{counter}.py"
                counter += 1
            shutil.copy2(
                path, backup
            )  # copy first: if anything below fails, the learner's file is still there
        shutil.copyfile(stub_path(exercise), path)
    except OSError as exc:
        raise WorkspaceError(
            f"could not reset {path} ({exc.strerror or exc}); nothing was lost"
            + (f", your version is also in {backup}" if backup and backup.exists() else "")
            + "."
        ) from exc
    return backup
