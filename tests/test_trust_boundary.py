"""A pass must be earned: submissions that cheat instead of solving score 0 (see mpbook.grading.trusted).

Each file in tests/cheats/ is a submission for ex01 that tries one way around the grader: a planted
report, patched checks, patched builtins and multiprocessing, printed PASS lines, an early exit, a
process that escapes and keeps rewriting the report, reading the reference solution. Every exercise's
checks run in the trusted process, the learner's module in its own.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import shutil
import tempfile
from pathlib import Path

import psutil
import pytest
from concurrent_grading import grade_concurrently, result_of, selected

from mpbook.grading import boundary, channel, runner
from mpbook.grading.catalogue import ORDER
from mpbook.grading.learner import plain

CHEAT_DIR = Path(__file__).resolve().parent / "cheats"
EX01 = "ex01_start_and_join"


# Generic cheats (they use their module's __name__, the exercise's name) on every exercise under
# `make test-grader-as-root`, on one exercise of each kind under `make test` (a function watched from here,
# a script, an executor kept in a probe, the capstone); cheats written for one exercise in cheats/<exNN>/.
SAMPLE = ("ex01_start_and_join", "ex02_main_guard", "ex13_chunksize", "ex24_capstone_hash_folder")
TRIED = [name for name in ORDER if os.environ.get("MPBOOK_GRADER_AS_ROOT") or name in SAMPLE]
CASES = [(name, path) for name in TRIED for path in sorted(CHEAT_DIR.glob("*.py"))] + [
    (name, path) for name in TRIED for path in sorted(CHEAT_DIR.glob(f"{name.split('_')[0]}/*.py"))
]
NEEDS_ANOTHER_USER = {"reads_the_solution"}


def _kill_escapees() -> None:
    """Kill what escapee_rewrites_report.py left running: a process with no token, in a session of its own."""
    for process in psutil.process_iter(["cmdline"]):
        if "end = time.monotonic() + 15" in " ".join(process.info["cmdline"] or []):
            process.kill()


def _skip_unless_required() -> None:
    """Under `make test-grader-as-root` the learner's code must run as another user: a skip there is a failure."""
    if os.environ.get("MPBOOK_GRADER_AS_ROOT"):
        pytest.fail(boundary.privilege_note() or "the grader is not root, so nothing runs as another user")


@pytest.fixture(autouse=True)
def _answers_readable_again():
    with _read_bits_given_back():
        yield


@contextlib.contextmanager
def _read_bits_given_back():
    """Give back the read bits boundary.hide_answers() takes (it runs only when the grader is root and drops)."""
    from mpbook.grading.catalogue import EXERCISES_DIR
    from mpbook.grading.workspace import solutions_dir

    paths = [*EXERCISES_DIR.glob("*/checks.py")]
    if solutions_dir() is not None:
        paths += [solutions_dir(), *solutions_dir().rglob("*")]
    modes = {path: path.stat().st_mode for path in paths}
    try:
        yield
    finally:
        boundary._hidden = False
        for path, mode in modes.items():
            path.chmod(mode)


def _tried_here(cheat: Path) -> bool:
    """False for a cheat that can only be tried when the learner's code runs as another user, and it does not."""
    return cheat.stem not in NEEDS_ANOTHER_USER or boundary.learner_user() is not None


@pytest.fixture(scope="module")
def cheats_graded(request) -> dict:
    """The cheats this session tests, graded two at a time: a cheat scores 0, under load or not."""
    cases = [
        (params["exercise"], params["cheat"])
        for params in selected(request, test_a_cheating_submission_scores_zero)
    ]
    with _read_bits_given_back():
        try:
            tried = [case for case in cases if _tried_here(case[1])]
            return grade_concurrently(tried, lambda case: runner.grade_file(*case))
        finally:
            _kill_escapees()  # once all are graded: after each, it would stop the escapee of a cheat graded alongside


@pytest.mark.parametrize(
    ("exercise", "cheat"), CASES, ids=[f"{name.split('_')[0]}-{path.stem}" for name, path in CASES]
)
def test_a_cheating_submission_scores_zero(exercise, cheat, cheats_graded):
    if not _tried_here(cheat):
        _skip_unless_required()
        pytest.skip(
            "the learner's code runs as the grader's user here (not root, or no other user can run this Python), "
            "so it can read what the grader reads; README's 'For instructors' says so"
        )
    graded = result_of(cheats_graded, (exercise, cheat))
    assert graded.score == 0, [(test.name, test.status, test.message) for test in graded.tests if test.score]
    assert not graded.problem


@pytest.fixture
def shared_folder():
    """A folder the learner's process can write to whatever user it runs as (pytest's tmp_path is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="mpbook-test-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_checks_never_import_the_learners_module(tmp_path, shared_folder):
    """A learner module that records which process imported it is imported only by the learner's process."""
    marker = shared_folder / "imported-by.txt"
    learner = tmp_path / f"{EX01}.py"
    learner.write_text(
        "import os\n"
        f"with open({str(marker)!r}, 'a') as handle:\n"
        "    handle.write(f'{os.getpid()} {os.getppid()}\\n')\n"
        "def start_and_join(durations):\n"
        "    return []\n"
    )
    runner.grade_file(EX01, learner)
    importers = marker.read_text().splitlines()
    assert importers, "the learner's module was never imported"
    # Each test imports it once, in a learner's process; that process's parent is the trusted test process.
    assert len(importers) == len(runner.collect_tests(EX01)), importers
    assert all(line.split()[0] != line.split()[1] for line in importers)


def test_the_channel_refuses_anything_but_plain_data(tmp_path):
    """An answer that would run code when unpickled (the classic os.system payload) is refused by name."""
    planted = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {planted}",))

    with pytest.raises(channel.ChannelError, match="not plain data"):
        channel.decode_answer(pickle.dumps(("returned", Payload())))
    assert not planted.exists()
    assert channel.decode_answer(channel.encode(("returned", {1: [2.5, "x", b"y", None, {3}]}))) == (
        "returned",
        {1: [2.5, "x", b"y", None, {3}]},
    )


def test_the_channel_refuses_an_answer_too_big(tmp_path):
    read, write = os.pipe()
    try:
        os.write(write, (channel.MAX_ANSWER_BYTES + 1).to_bytes(8, "big"))
        with pytest.raises(channel.ChannelError, match="more than"):
            channel.read_frame(read, timeout_s=5)
    finally:
        os.close(read)
        os.close(write)


def test_plain_turns_numpy_exceptions_and_objects_into_plain_data():
    np = pytest.importorskip("numpy")
    got = plain(
        {"sum": np.int64(7), "array": np.arange(3), "error": ValueError("bad"), "other": io.StringIO()}
    )
    assert got["sum"] == 7
    assert type(got["sum"]) is int
    assert got["array"] == [0, 1, 2]
    assert isinstance(got["error"], channel.Raised)
    assert got["error"].type_name == "ValueError"
    assert isinstance(got["other"], channel.Opaque)
    assert "StringIO" in got["other"].type_name
    channel.decode_answer(channel.encode(got))  # all of it crosses the channel


def test_a_learners_timeout_error_is_still_a_timeout_error():
    """A check's `except TimeoutError:` catches the learner's TimeoutError, rebuilt from its name only."""
    exc = boundary._exception_for(channel.Raised("TimeoutError", "too slow"))
    assert isinstance(exc, TimeoutError)
    assert isinstance(exc, boundary.LearnerRaised)
    assert not isinstance(boundary._exception_for(channel.Raised("MyOwnError", "x")), TimeoutError)


def test_as_root_the_learners_code_runs_as_another_user(tmp_path, shared_folder):
    """A root grader runs the learner's module as MPBOOK_GRADER_USER (nobody), which cannot read solutions/."""
    if boundary.learner_user() is None:
        _skip_unless_required()
        pytest.skip("not root, or no other user can run this Python: `make test-grader-as-root` runs this")
    seen = shared_folder / "seen.txt"
    learner = tmp_path / f"{EX01}.py"
    learner.write_text(
        "import os\n"
        "import mpbook.grading.workspace as w\n"
        "try:\n"
        "    readable = bool(list(w.solutions_dir().glob('*.py'))[0].read_text())\n"
        "except (OSError, AttributeError, IndexError):\n"
        "    readable = False\n"
        f"open({str(seen)!r}, 'a').write(f'{{os.getuid()}} {{readable}}\\n')\n"
        "def start_and_join(durations):\n"
        "    return []\n"
    )
    runner.grade_file(EX01, learner)
    uid, _gid = boundary.learner_user()
    assert set(seen.read_text().splitlines()) == {f"{uid} False"}


@pytest.mark.parametrize("exercise", ORDER)
def test_as_root_every_solution_still_passes(exercise):
    """Run as another user, the reference solution still gets full marks: the folders it writes are its own."""
    if boundary.learner_user() is None:
        _skip_unless_required()
        pytest.skip("not root, or no other user can run this Python: `make test-grader-as-root` runs this")
    from mpbook.grading.workspace import solutions_dir

    solutions = solutions_dir()
    assert solutions is not None
    graded = runner.grade_file(exercise, solutions / f"{exercise}.py")
    assert graded.score == graded.max_score, [
        (t.name, t.status, t.message) for t in graded.tests if not t.score
    ]
