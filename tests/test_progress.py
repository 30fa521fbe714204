"""mpbook.progress: progress_map returns results in input order, moves its bar to the end, and times out."""

from __future__ import annotations

import concurrent.futures
import io
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import ClassVar

import pytest
from tqdm import tqdm

import mpbook
from mpbook import workers
from mpbook.progress import progress_map

TIMEOUT_S = 60  # a spawn pool of 2 starts in ~0.3 s here; the margin covers a loaded CI machine
POOL_SIZE = 2
START_METHODS = multiprocessing.get_all_start_methods()
# Sleeps that make later items finish first: the order results arrive in is not the input order.
SLEEPS = [0.12, 0.0, 0.08, 0.0, 0.04, 0.0, 0.0, 0.1, 0.0, 0.02]


class RecordingTqdm(tqdm):
    """A tqdm that writes to a string and remembers every bar it made and the counts it passed through."""

    bars: ClassVar[list[RecordingTqdm]] = []

    def __init__(self, *args, **kwargs):
        """Make a bar writing to a StringIO (no terminal noise) and remember it."""
        kwargs.setdefault("file", io.StringIO())
        super().__init__(*args, **kwargs)
        self.counts = []
        RecordingTqdm.bars.append(self)

    def update(self, n=1):
        """Move the bar by n and remember the count it reached."""
        result = super().update(n)
        self.counts.append(self.n)
        return result


@pytest.fixture
def recording_tqdm():
    """The RecordingTqdm class with its list of bars emptied."""
    RecordingTqdm.bars = []
    return RecordingTqdm


def _make_pool(kind: str, ctx):
    """Return a new Pool or ProcessPoolExecutor of POOL_SIZE workers from ctx."""
    if kind == "pool":
        return ctx.Pool(POOL_SIZE)
    return ProcessPoolExecutor(POOL_SIZE, mp_context=ctx)


@pytest.mark.parametrize("start_method", START_METHODS)
@pytest.mark.parametrize("kind", ["pool", "executor"])
@pytest.mark.parametrize("chunksize", [1, 3])
def test_results_in_input_order_and_bar_reaches_the_end(recording_tqdm, start_method, kind, chunksize):
    """Results come back in input order however tasks finish, and the bar's total and count reach len(items)."""
    ctx = multiprocessing.get_context(start_method)
    items = [(seconds, i) for i, seconds in enumerate(SLEEPS)]
    with _make_pool(kind, ctx) as pool:
        results = progress_map(
            pool,
            workers.sleep_and_return,
            items,
            chunksize=chunksize,
            star=True,
            timeout=TIMEOUT_S,
            desc="sleeping",
            tqdm_class=recording_tqdm,
        )
    assert results == list(range(len(items)))
    (bar,) = recording_tqdm.bars
    assert bar.total == len(items)
    assert bar.n == len(items)
    assert bar.desc.startswith("sleeping")
    steps = [b - a for a, b in zip([0, *bar.counts], bar.counts, strict=False)]
    assert all(1 <= step <= chunksize for step in steps), f"the bar moves one chunk at a time: {steps}"
    assert len(steps) == -(-len(items) // chunksize), "one update per chunk"
    assert bar.disable or "10/10" in bar.fp.getvalue()


def test_single_argument_items_and_default_bar(capsys):
    """Without star each item is the single argument, and the default tqdm.auto bar draws to stderr."""
    with ThreadPoolExecutor(POOL_SIZE) as pool:
        assert progress_map(pool, workers.square, range(7), timeout=TIMEOUT_S, desc="squares") == [
            x * x for x in range(7)
        ]
    assert "squares" in capsys.readouterr().err


def test_empty_items_give_an_empty_list(book_context, recording_tqdm):
    """No items: an empty list, and a bar of total 0."""
    with book_context.Pool(1) as pool:
        assert progress_map(pool, workers.square, [], timeout=TIMEOUT_S, tqdm_class=recording_tqdm) == []
    assert recording_tqdm.bars[0].total == 0


def test_pool_timeout_raises_multiprocessing_timeout_error(book_context, recording_tqdm):
    """Past its timeout, progress_map on a Pool raises multiprocessing.TimeoutError instead of waiting on."""
    items = [(0.0, 0), (3.0, 1), (3.0, 2)]
    with book_context.Pool(POOL_SIZE) as pool:
        started = time.monotonic()
        with pytest.raises(multiprocessing.TimeoutError):
            progress_map(
                pool, workers.sleep_and_return, items, star=True, timeout=0.5, tqdm_class=recording_tqdm
            )
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"gave up after {elapsed:.1f} s for a 0.5 s timeout"
    assert recording_tqdm.bars[0].n < len(items)


def test_executor_timeout_raises_and_cancels_what_has_not_started(book_context, recording_tqdm):
    """Past its timeout, progress_map on an executor raises concurrent.futures.TimeoutError, cancels the rest."""
    items = [(1.0, i) for i in range(6)]
    with ProcessPoolExecutor(POOL_SIZE, mp_context=book_context) as pool:
        started = time.monotonic()
        with pytest.raises(concurrent.futures.TimeoutError):  # not the built-in one before 3.11
            progress_map(
                pool, workers.sleep_and_return, items, star=True, timeout=0.5, tqdm_class=recording_tqdm
            )
        elapsed = time.monotonic() - started
    # leaving the with block waits for the (at most POOL_SIZE + 1 queued) started tasks of 1 s, not all 6
    assert elapsed < 4.5, f"the executor ran cancelled tasks too: {elapsed:.1f} s"


@pytest.mark.parametrize("kind", ["pool", "executor"])
def test_task_error_is_raised_in_the_parent(book_context, recording_tqdm, kind):
    """A task's exception reaches the caller, as the pool raises it."""
    with _make_pool(kind, book_context) as pool, pytest.raises(ValueError, match="negative input: -2"):
        progress_map(
            pool, workers.raise_if_negative, [1, -2, 3], timeout=TIMEOUT_S, tqdm_class=recording_tqdm
        )


@pytest.fixture(scope="module")
def pool_of_one():
    """One pool of one worker for the argument checks, which never send it work."""
    with mpbook.get_context().Pool(1) as pool:
        yield pool


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pool": "not a pool"}, TypeError, "pool must be a multiprocessing Pool or a concurrent.futures"),
        ({"func": lambda x: x}, TypeError, "cannot be sent to a worker process"),
        ({"chunksize": 0}, ValueError, "chunksize must be >= 1"),
        ({"chunksize": 2.0}, TypeError, "chunksize must be an int"),
        ({"timeout": 0}, ValueError, "timeout must be > 0"),
        ({"timeout": "1"}, TypeError, "timeout must be a number of seconds or None"),
        ({"desc": 3}, TypeError, "desc must be a str or None"),
    ],
)
def test_bad_arguments_raise_clear_errors(pool_of_one, kwargs, error, match):
    """Bad arguments raise a TypeError or ValueError that says what to pass, before any work is sent."""
    arguments = {"pool": pool_of_one, "func": workers.square, "items": [1, 2]} | kwargs
    with pytest.raises(error, match=match):
        progress_map(arguments.pop("pool"), arguments.pop("func"), arguments.pop("items"), **arguments)


def test_closed_pool_is_refused(book_context):
    """A pool that is no longer running is refused with the pool's own ValueError, not a hang."""
    pool = book_context.Pool(1)
    pool.terminate()
    with pytest.raises(ValueError, match="Pool not running"):
        progress_map(pool, workers.square, [1, 2], timeout=TIMEOUT_S, disable=True)
