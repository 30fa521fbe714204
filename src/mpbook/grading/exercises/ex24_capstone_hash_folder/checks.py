"""Checks for ex24_capstone_hash_folder.

Each test makes its own folder with mpbook.practice.make_sample_folder (same settings, same bytes),
adds what a real folder holds (empty subfolders, a FIFO, a link that loops, a file that vanishes),
and compares with digests computed here by hashlib.

The learner's module runs in a process of its own (mpbook.grading.boundary): the folders are made in a
folder_for_learner() folder, which its user can read. The digests, the errors, the timing, the
processes left running and the workers hashing at the same time are seen from the trusted side;
only how many processes a small job starts (a few ms under fork) comes from probes.py.
"""

import contextlib
import hashlib
import os
import re
from pathlib import Path

import mpbook
from mpbook.grading import boundary
from mpbook.grading.boundary import LearnerRaised, ProcessWatch
from mpbook.grading.checking import (
    deadline,
    exercise,
    folder_for_learner,
    in_learner_process,
    learner_process,
    points,
)
from mpbook.grading.exercises.ex24_capstone_hash_folder import probes
from mpbook.grading.measuring import DidNotReturn, RunningWorkers, call_with_limit, load_average, timed
from mpbook.practice import make_sample_folder

ex = exercise("ex24_capstone_hash_folder")

LIMIT_S = 10  # hashing a few megabytes takes a fraction of a second, spawn included
ERROR_TEXT = re.compile(r"^[A-Z]\w*: .+")  # "FileNotFoundError: [Errno 2] No such file ..."
SPEED_COUNT, SPEED_SIZE = 48, 8_000_000  # 384 MB: about 0.25 s of SHA-256 with SHA-NI, a second without
SPEED_RUNS = 3  # each worker count runs three times, alternating; the best of each is compared
SPEED_RATIO = 0.85  # two workers need about 0.6 of one worker's time, start-up included
TOGETHER_SHARE = 0.4  # the evidence when the machine is too busy to show a speed-up
TIMEOUT_S = 1.0  # the deadline given for a job with a FIFO in it: reading a FIFO waits for a writer forever


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def sample(count: int = 12, size: int = 40_000):
    """Yield (folder, names) for a fresh sample folder that the learner's processes can read, removed afterwards."""
    with folder_for_learner() as scratch:
        os.chmod(scratch, 0o755)  # read by the learner's user, written here
        # One level down: nothing else that writes into a temporary folder's top level lands in the sample.
        folder = os.path.join(scratch, "sample")
        os.mkdir(folder)
        names = make_sample_folder(folder, count, size, seed=24)
        yield folder, names


def hashing(call: str, *args, **kwargs):
    """Return (what hash_folder returned, seconds), or fail the test if it has not returned within LIMIT_S."""
    return limited(call, ex.hash_folder, *args, **kwargs)


def limited(call: str, function, *args, **kwargs):
    """Return (function(*args, **kwargs), seconds): ex.hash_folder, or a probe calling it; or fail the test if it
    has not returned within LIMIT_S."""
    learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        return call_with_limit(LIMIT_S, function, *args, **kwargs)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s, and hashing this folder takes a fraction of a "
            "second. Is there a timeout on the one wait for all outcomes, and does the pool end when you leave (a "
            "`with mp.Pool(...)` block terminates its workers)?"
        ) from None


def report_of(call: str, got) -> tuple[dict, dict]:
    """Return got's digests and errors, or fail with a message if got is not shaped as the contract says."""
    shaped = (
        isinstance(got, dict) and isinstance(got.get("digests"), dict) and isinstance(got.get("errors"), dict)
    )
    assert shaped, (
        f"Called {call}; got {got!r:.300}, expected {{'digests': {{name: hex}}, 'errors': {{name: text}}}}."
    )
    return got["digests"], got["errors"]


@points(1)
def test_lists_every_file():
    """list_files gives every regular file in every subfolder, as sorted relative paths with "/", nothing else."""
    with sample() as (folder, names):
        (Path(folder) / "empty" / "deeper").mkdir(parents=True)
        if hasattr(os, "mkfifo"):
            os.mkfifo(Path(folder) / "docs" / "a-fifo")
        got = ex.list_files(folder)
    assert got == names, (
        f"Called list_files(folder) on a folder of {len(names)} files in subfolders (plus an empty subfolder and a "
        f"FIFO); got {got!r:.300}, expected {names!r:.300}. Walk the subfolders too (Path(folder).rglob('*')), keep "
        "only regular files (path.is_file()), and give each path relative to folder with '/' (.as_posix()), sorted."
    )


@points(2)
def test_digests_are_right():
    """Every file's SHA-256 is right, keyed by its relative path, computed by `workers` processes that are gone afterwards."""
    with sample() as (folder, names):
        expected = {name: sha256_of(Path(folder) / name) for name in names}
        call = "hash_folder(folder, workers=3)"
        learner = learner_process()
        in_learner_process(probes.start_helpers)  # so the watch below counts only the learner's own processes
        with ProcessWatch(learner) as watch:
            seen, _ = limited(call, in_learner_process, probes.starts, folder, 3)
        got, started = seen["got"], max(seen["started"], watch.started)
        digests, errors = report_of(call, got)
        wrong = sorted(name for name in expected if digests.get(name) != expected[name])
        right = not errors and not wrong and set(digests) == set(expected)
        assert right, (
            f"Called {call} on {len(names)} readable files; {len(wrong)} digest(s) wrong or missing (e.g. "
            f"{wrong[:2]}), errors {dict(list(errors.items())[:2])!r:.300}, keys {sorted(digests)[:3]!r:.200}. "
            f"Expected {{'docs/file-001.bin': '{expected['docs/file-001.bin'][:12]}...', ...}}: hashlib.sha256 of the "
            "file's bytes (open it 'rb', not as text), .hexdigest(), keyed by the path relative to folder."
        )
        some = names[::3]
        call = f"hash_folder(folder, workers=2, names={some!r:.60}...)"
        got, _ = hashing(call, folder, workers=2, names=some)
        digests, errors = report_of(call, got)
        only_those = digests == {name: expected[name] for name in some} and not errors
        assert only_those, (
            f"Called {call}; got {len(digests)} digests for {sorted(digests)!r:.200}, expected only the {len(some)} "
            "names given: with names, hash those and nothing else."
        )
    assert started == 3, (
        f"Called hash_folder(folder, workers=3); {started} process(es) were started, expected 3: hash in a "
        "pool of `workers` processes, mp.Pool(workers)."
    )
    left = learner_process().descendants(settle_s=1.0)
    assert not left, (
        f"Called hash_folder(...); {len(left)} process(es) were still running after it returned: use the pool in a "
        "`with` block, or close() and join() it."
    )


@points(2)
def test_collects_every_error():
    """A vanished file, a directory, a link that loops and a missing name each get "TypeName: message"; the rest still hash."""
    with sample() as (folder, names):
        root = Path(folder)
        expected = {name: sha256_of(root / name) for name in names}
        vanished = names[4]
        (root / vanished).unlink()  # listed, then gone before it is read: it happens in real folders
        del expected[vanished]
        broken = {vanished: "FileNotFoundError", "missing.bin": "FileNotFoundError", "images": None}
        if hasattr(os, "symlink") and os.name == "posix":
            os.symlink(
                "loop", root / "loop"
            )  # a link to itself: open() raises OSError (too many levels of links)
            broken["loop"] = None
        # Root reads any file: no unreadable one to make, unless the learner's code runs as another user.
        if os.name == "posix" and (os.geteuid() != 0 or boundary.learner_user() is not None):
            locked = root / "locked.bin"
            locked.write_bytes(b"secret")
            locked.chmod(0)
            broken["locked.bin"] = "PermissionError"
        asked = names + [name for name in broken if name not in names]
        call = f"hash_folder(folder, workers=2, names=[...{len(asked)} names...])"
        got, _ = hashing(call, folder, workers=2, names=asked)
        digests, errors = report_of(call, got)
    assert set(errors) == set(broken), (
        f"Called {call} with {sorted(broken)} unreadable (gone, a directory, a link that loops, never there); got "
        f"errors for {sorted(errors)}, expected exactly those. Catch OSError in hash_file and return it as "
        "('error', text): one bad file must not stop the job, and each gets its own entry."
    )
    badly_written = {
        name: text for name, text in errors.items() if not isinstance(text, str) or not ERROR_TEXT.match(text)
    }
    assert not badly_written, (
        f"Called {call}; got error texts {badly_written!r:.300}, expected 'TypeName: message', e.g. "
        "'FileNotFoundError: [Errno 2] No such file or directory: ...': f'{type(exc).__name__}: {exc}'."
    )
    for name, kind in broken.items():
        assert kind is None or errors[name].startswith(kind + ":"), (
            f"Called {call}; the error for {name!r} is {errors[name]!r}, expected it to start with {kind + ':'!r}."
        )
    assert digests == expected, (
        f"Called {call}; got {len(digests)} digests, expected the {len(expected)} readable files' digests, every one "
        "right: the files that could be read are hashed whatever happened to the others."
    )


@points(1)
@deadline(30)
def test_timeout_stops_everything():
    """A FIFO nobody writes to makes a job with timeout=1 raise TimeoutError at once, and leaves no process running."""
    if not hasattr(os, "mkfifo"):
        print("test_timeout_stops_everything: no FIFOs on this platform; nothing to wait for forever here.")
        return
    with sample(count=4) as (folder, names):
        os.mkfifo(Path(folder) / "stuck-fifo")  # open() for reading waits for a writer: forever
        asked = [*names, "stuck-fifo"]
        call = f"hash_folder(folder, workers=2, names=[4 files, 'stuck-fifo'], timeout={TIMEOUT_S})"
        learner_process()  # started (and the learner's module imported) before the clock starts
        try:
            got, seconds = call_with_limit(
                LIMIT_S, ex.hash_folder, folder, workers=2, names=asked, timeout=TIMEOUT_S
            )
        except DidNotReturn:
            raise AssertionError(
                f"Called {call}; it had not returned after {LIMIT_S} s, expected TimeoutError after about {TIMEOUT_S} s. "
                "Wait for all outcomes once, with get(timeout=timeout). A ProcessPoolExecutor's `with` block, or "
                "pool.close() and join(), wait on the way out for the worker stuck in the read: forever. Leaving "
                "`with mp.Pool(...)` terminates it."
            ) from None
        except LearnerRaised as exc:  # any TimeoutError will do: builtin, futures' or multiprocessing's
            if exc.raised.type_name != "TimeoutError":
                raise
        else:
            raise AssertionError(
                f"Called {call}; it returned {got!r:.200} after {seconds:.1f} s, expected TimeoutError: the FIFO "
                "cannot be read, so the job is not done within the deadline."
            )
    left = learner_process().descendants(settle_s=1.0)
    assert not left, (
        f"Called {call}; it raised TimeoutError, but {len(left)} process(es) were still running afterwards, one of "
        "them stuck reading the FIFO. Raise from inside `with mp.Pool(workers) as pool:`, so that leaving it "
        "terminates the workers."
    )


@points(2)
@deadline(60)
def test_two_workers_are_faster():
    """Two workers hash 384 MB in under 85% of the time one worker takes, measured side by side, if two CPUs are free."""
    usable = mpbook.usable_cpus()
    if usable < 2:
        print(
            f"test_two_workers_are_faster skipped: this process may use {usable} CPU, so nothing runs in parallel."
        )
        return
    with sample(SPEED_COUNT, SPEED_SIZE) as (folder, _names):
        one, two, reports = [], [], []
        learner = learner_process()  # started (and the learner's module imported) before the clock starts
        with RunningWorkers(learner.process.pid) as running:  # the learner's process's workers
            for _ in range(SPEED_RUNS):
                for workers, times in ((1, one), (2, two)):
                    got, seconds = timed(ex.hash_folder, folder, workers=workers)
                    times.append(seconds)
                    reports.append(got)
    call = f"hash_folder(folder, workers=1) and (folder, workers=2) on {SPEED_COUNT} files of about {SPEED_SIZE // 1_000_000} MB"
    digests = [report_of(call, got)[0] for got in reports]
    assert all(len(d) == SPEED_COUNT and d == digests[0] for d in digests), (
        f"Called {call}; the runs did not all give the same {SPEED_COUNT} digests."
    )
    best_one, best_two = min(one), min(two)
    ratio = best_two / best_one
    print(f"one worker {best_one:.2f} s, two workers {best_two:.2f} s (best of {SPEED_RUNS}): {ratio:.2f}")
    if ratio < SPEED_RATIO:
        return
    together = running.together()
    assert together >= TOGETHER_SHARE, (
        f"Called {call}; two workers took {best_two:.2f} s, one worker {best_one:.2f} s (best of {SPEED_RUNS} each): "
        f"{ratio:.2f} of the time, expected under {SPEED_RATIO}, and two processes rarely hashed at the same time "
        f"({together:.0%}). Hash in the pool's workers, not in this process, and send the files in several chunks "
        "per worker, so that every worker has some."
    )
    print(
        f"two workers were not faster, but hashed at the same time ({together:.0%}; load average "
        f"{load_average():.1f} on {usable} CPUs): the machine is busy. Passed on the evidence of the workers."
    )
