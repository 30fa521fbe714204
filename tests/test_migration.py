"""A learner's files from the earlier edition move to this edition's names, and nothing they wrote is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mpbook.grading import migration, workspace
from mpbook.grading.catalogue import find

CLI_TIMEOUT_S = 60  # `mpbook list` only moves and copies files: a second or two

# The stubs the earlier edition shipped are not in the package any more; what matters is their digest,
# so a test makes an "untouched old stub" by writing a text whose digest the migration knows.
OLD_UNTOUCHED = {name: digests for name, digests in migration.SHIPPED_BEFORE.items()}


def known_old_stub(name: str) -> bytes:
    """Return the earlier edition's untouched stub `name`, from the repository's history."""
    repo = Path(__file__).resolve().parent.parent
    old_path = f"src/mpbook/grading/stubs/{name}.py"
    listed = subprocess.run(
        ["git", "rev-list", "--all", "--", old_path],
        capture_output=True,
        text=True,
        cwd=repo,
        timeout=30,
        check=False,
    )
    for commit in listed.stdout.split():
        for revision in (commit, f"{commit}^"):  # the commit that deleted it has it in its parent
            shown = subprocess.run(
                ["git", "show", f"{revision}:{old_path}"],
                capture_output=True,
                cwd=repo,
                timeout=30,
                check=False,
            )
            if shown.returncode == 0 and migration.bytes_digest(shown.stdout) in OLD_UNTOUCHED[name]:
                return shown.stdout
    pytest.skip("the earlier edition's stubs are only in the git history, and it is not here")


def progress_with(directory: Path, entries: dict) -> workspace.Progress:
    (directory / workspace.PROGRESS_FILE).write_text(json.dumps({"version": 1, "exercises": entries}))
    return workspace.Progress(directory)


def everything_in(directory: Path) -> dict[str, bytes]:
    """Return {relative path: bytes} of every file under directory, backups included."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*.py"))}


def test_an_edited_file_is_renamed_with_its_progress(tmp_path):
    """ex10_fix_pickling.py with the learner's work becomes ex03_fix_pickling.py, unchanged; its progress moves too."""
    mine = b"# my fix of the pickling\n"
    (tmp_path / "ex10_fix_pickling.py").write_bytes(mine)
    progress = progress_with(tmp_path, {"ex10_fix_pickling": {"hint_level": 2, "passed": False}})

    messages = workspace.bring_up_to_date(tmp_path, progress)

    assert not (tmp_path / "ex10_fix_pickling.py").exists()
    assert (tmp_path / "ex03_fix_pickling.py").read_bytes() == mine
    assert any("Renamed" in m and "ex03_fix_pickling.py" in m for m in messages), messages
    saved = json.loads((tmp_path / workspace.PROGRESS_FILE).read_text())["exercises"]
    assert saved == {"ex03_fix_pickling": {"hint_level": 2, "passed": False}}


def test_an_edited_file_replaces_an_untouched_new_stub(tmp_path):
    """When the new name holds only the untouched new stub, the learner's old file takes its place."""
    mine = b"# my queue results\n"
    (tmp_path / "ex03_queue_results.py").write_bytes(mine)
    new_stub = find("ex04_queue_results").stub_path
    (tmp_path / "ex04_queue_results.py").write_bytes(new_stub.read_bytes())

    messages = workspace.bring_up_to_date(tmp_path, workspace.Progress(tmp_path))

    assert (tmp_path / "ex04_queue_results.py").read_bytes() == mine
    assert not (tmp_path / "ex03_queue_results.py").exists()
    assert len(messages) == 1


def test_when_both_names_hold_work_both_are_kept(tmp_path):
    """Old and new names both edited: the new one stays, the old one goes to .backups/, and the message says where."""
    old, new = b"# started under the old name\n", b"# carried on under the new name\n"
    (tmp_path / "ex04_pipeline.py").write_bytes(old)
    (tmp_path / "ex05_pipeline.py").write_bytes(new)
    progress = progress_with(
        tmp_path, {"ex04_pipeline": {"hint_level": 1}, "ex05_pipeline": {"hint_level": 3}}
    )

    messages = workspace.bring_up_to_date(tmp_path, progress)

    assert (tmp_path / "ex05_pipeline.py").read_bytes() == new
    backups = list((tmp_path / workspace.BACKUPS_DIR).glob("ex04_pipeline-*.py"))
    assert [b.read_bytes() for b in backups] == [old]
    assert len(messages) == 1
    assert "both are kept" in messages[0]
    assert backups[0].name in messages[0]
    saved = json.loads((tmp_path / workspace.PROGRESS_FILE).read_text())["exercises"]
    assert saved == {"ex05_pipeline": {"hint_level": 3}}


def test_an_untouched_old_stub_is_replaced_by_the_new_exercise(tmp_path):
    """An old stub nobody edited is removed, and the new stub is copied under the new name."""
    (tmp_path / "ex10_fix_pickling.py").write_bytes(known_old_stub("ex10_fix_pickling"))

    messages = workspace.bring_up_to_date(tmp_path, workspace.Progress(tmp_path))
    workspace.ensure_exercises(tmp_path)

    assert not (tmp_path / "ex10_fix_pickling.py").exists()
    new = find("ex03_fix_pickling")
    assert (tmp_path / new.filename).read_bytes() == new.stub_path.read_bytes()
    assert any("never edited" in m for m in messages), messages


def test_an_untouched_stub_under_a_kept_name_becomes_the_new_one(tmp_path):
    """ex01 kept its name: its untouched earlier stub (the one that raised NameError) is replaced by the new one."""
    (tmp_path / "ex01_start_and_join.py").write_bytes(known_old_stub("ex01_start_and_join"))

    messages = workspace.bring_up_to_date(tmp_path, workspace.Progress(tmp_path))

    assert (tmp_path / "ex01_start_and_join.py").read_bytes() == find("ex01").stub_path.read_bytes()
    assert messages


def test_nothing_the_learner_wrote_is_lost_and_a_second_run_changes_nothing(tmp_path):
    """Every edited file, under any mix of names, is still there afterwards, once; running again does nothing."""
    written = {}
    for index, old in enumerate(migration.RENAMED):
        text = f"# learner's {old}, version {index}\n".encode()
        (tmp_path / f"{old}.py").write_bytes(text)
        written[old] = text
        if index % 3 == 0:  # some also started the new file
            new = migration.RENAMED[old]
            (tmp_path / f"{new}.py").write_bytes(f"# learner's {new}\n".encode())
            written[new] = f"# learner's {new}\n".encode()
    (tmp_path / "my_notes.py").write_bytes(b"# not an exercise\n")

    workspace.bring_up_to_date(tmp_path, workspace.Progress(tmp_path))
    workspace.ensure_exercises(tmp_path)
    after = everything_in(tmp_path)

    contents = list(after.values())
    for name, text in written.items():
        assert contents.count(text) == 1, (
            f"{name}'s text is {'lost' if text not in contents else 'duplicated'}"
        )
    assert after["my_notes.py"] == b"# not an exercise\n"
    assert not [old for old in migration.RENAMED if (tmp_path / f"{old}.py").exists()]
    assert workspace.bring_up_to_date(tmp_path, workspace.Progress(tmp_path)) == []
    assert everything_in(tmp_path) == after


@pytest.mark.skipif(os.name == "nt", reason="a read-only folder is made with POSIX permissions here")
def test_a_folder_that_cannot_be_changed_is_a_clear_error_and_loses_nothing(tmp_path, monkeypatch):
    """If a rename fails, mpbook says so with what to do, and the file is still under its old name."""
    (tmp_path / "ex06_safe_counter.py").write_bytes(b"# mine\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(migration.os, "replace", refuse)
    with pytest.raises(workspace.WorkspaceError, match="Nothing was lost"):
        workspace.bring_up_to_date(tmp_path, workspace.Progress(tmp_path))
    assert (tmp_path / "ex06_safe_counter.py").read_bytes() == b"# mine\n"


def test_mpbook_list_renames_and_says_so(tmp_path):
    """The learner sees the renaming: `mpbook list` prints it, then lists the exercise under its new number."""
    (tmp_path / "ex17_any_executor.py").write_text("# my executor map\n")
    result = subprocess.run(
        [sys.executable, "-m", "mpbook", "list"],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        env={**os.environ, workspace.ENV_DIR: str(tmp_path)},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Renamed" in result.stdout
    assert "ex23_any_executor.py" in result.stdout
    assert (tmp_path / "ex23_any_executor.py").read_text() == "# my executor map\n"
    assert "Traceback" not in result.stdout + result.stderr


def test_grade_takes_a_submission_under_its_old_name(tmp_path):
    """An instructor's `mpbook grade` grades ex10_fix_pickling.py, handed in under the earlier name, as ex03."""
    student = tmp_path / "submissions" / "ada"
    student.mkdir(parents=True)
    (student / "ex10_fix_pickling.py").write_text(
        "def scale_all(numbers, factor, workers=2)\n"
    )  # syntax error
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mpbook",
            "grade",
            str(tmp_path / "submissions"),
            "--csv",
            str(tmp_path / "g.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ex03: grading ex10_fix_pickling.py" in result.stdout
    assert "ex03 0/" in result.stdout
    assert "line 1" in result.stdout.split("ex03 0/")[1].splitlines()[0], (
        "the old file's syntax error is reported"
    )
