"""Checks for ex12_stream_with_progress.

The learner's module runs in a process of its own (mpbook.grading.boundary). The results, the time a run
with a deadline takes and the workers it leaves running are seen from the trusted side; the
progress callback's calls and their times, the messages imap_unordered sends and the type of the
error raised at the deadline are seen from inside, by probes.py.
"""

from mpbook.grading.checking import exercise, in_learner_process, learner_process, points
from mpbook.grading.exercises.ex12_stream_with_progress import probes
from mpbook.grading.measuring import DidNotReturn, call_with_limit
from mpbook.pooling import sleep_for
from mpbook.workers import square

ex = exercise("ex12_stream_with_progress")

LIMIT_S = 10  # every call here is done within two seconds, spawn included
# One slow task first, then 23 quick ones: on two workers, the quick ones are all done about 0.7 s
# before the slow one (0.4 s even if the second worker starts 0.3 s late). Streamed in small chunks,
# most of their progress calls come before it.
SLOW_S, QUICK_S, N_QUICK = 1.2, 0.02, 23
LEAD_S = 0.2  # "well before the last": a right answer reports the quick ones about 0.4 s earlier
EARLY_SHARE = 0.7  # a right answer: about 21 of 24 calls early; one chunk per worker: 12; map or imap: none
N_MANY = 10_000
TIMEOUT_S = 0.5  # the deadline given for a run whose second task sleeps STUCK_S
STUCK_S = 10.0


def streaming(call: str, function, *args, **kwargs):
    """Return what function(*args, **kwargs) returned (ex.stream, or a probe calling stream), or fail the test if
    it has not returned within LIMIT_S."""
    try:
        got, _seconds = call_with_limit(LIMIT_S, function, *args, **kwargs)
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S} s, and this takes about a second. Does it "
            "take exactly one result per item off the imap_unordered iterator, with a timeout?"
        ) from None
    return got


@points(1)
def test_every_result():
    """Every result comes back (in any order), for 50 items, for one, and for none; progress may be None."""
    for items in (list(range(50)), [7], []):
        shown = "list(range(50))" if len(items) > 5 else repr(items)
        call = f"stream(square, {shown}, workers=2)"
        got = streaming(call, ex.stream, square, items, workers=2)
        expected = sorted(x * x for x in items)
        ok = isinstance(got, list) and sorted(got) == expected
        assert ok, (
            f"Called {call}; got {got!r:.200}, expected the squares in any order, {expected!r:.200}. Return a list "
            "with one result per item; with no progress callback given (None), just do not call it."
        )


@points(1)
def test_progress_counts_every_result():
    """progress is called once per result, as progress(1, n), progress(2, n), ... progress(n, n)."""
    items = [0.01] * 30
    call = "stream(sleep_for, [0.01] * 30, workers=2, progress=progress)"
    seen = streaming(call, in_learner_process, probes.with_progress, sleep_for, items, 2)
    got, calls = seen["got"], [tuple(args) for args in seen["calls"]]
    complete = isinstance(got, list) and len(got) == len(items)
    assert complete, f"Called {call}; got {got!r:.200}, expected 30 results."
    expected = [(done, len(items)) for done in range(1, len(items) + 1)]
    assert calls == expected, (
        f"Called {call}; progress got {calls[:5]!r:.200}... ({len(calls)} calls), expected "
        f"(1, 30), (2, 30), ... (30, 30): one call per result, with how many are done and how many in all."
    )


@points(2)
def test_progress_arrives_as_results_come():
    """With one slow task first, the quick results are reported while it still runs, not all at the end."""
    items = [SLOW_S] + [QUICK_S] * N_QUICK
    call = f"stream(sleep_for, [{SLOW_S}] + [{QUICK_S}] * {N_QUICK}, workers=2, progress=progress)"
    seen = streaming(call, in_learner_process, probes.with_progress, sleep_for, items, 2)
    got, times = seen["got"], seen["times"]
    complete = isinstance(got, list) and sorted(got) == sorted(items)
    assert complete, f"Called {call}; got {got!r:.200}, expected the {len(items)} durations in any order."
    assert len(times) == len(items), (
        f"Called {call}; progress was called {len(times)} times, expected {len(items)}."
    )
    last = max(times)
    early = sum(moment < last - LEAD_S for moment in times)
    spread = ", ".join(f"{moment - times[0]:.2f}" for moment in times[:: max(1, len(items) // 8)])
    assert early >= EARLY_SHARE * len(items), (
        f"Called {call}; only {early} of {len(items)} progress calls came more than {LEAD_S} s before the last one "
        f"(seconds after the first call, every third: {spread}), expected at least {EARLY_SHARE:.0%}: the quick "
        "tasks finish long before the slow one. pool.map reports nothing until the end; imap keeps input order, so "
        "everything waits behind the slow first task; imap_unordered hands each result back as soon as its chunk "
        "is done. Keep the chunks small enough that the slow task holds back few others (several per worker), and "
        "call progress inside the loop that takes the results."
    )


@points(1)
def test_chunks_for_many_items():
    """10 000 tiny tasks travel in chunks: several items a message, several messages a worker."""
    items = list(range(N_MANY))
    call = f"stream(square, list(range({N_MANY})), workers=2)"
    seen = streaming(call, in_learner_process, probes.messages, square, items, 2)
    got, messages = seen["got"], seen["messages"]
    complete = isinstance(got, list) and sorted(got) == [x * x for x in items]
    assert complete, f"Called {call}; got {got!r:.200}, expected the {N_MANY} squares in any order."
    assert messages, (
        f"Called {call}; the results were right, but pool.imap_unordered was never called. Stream the results "
        "with imap_unordered on an mp.Pool: it hands back each result as soon as it is ready."
    )
    fewest, most = 2 * 2, N_MANY // 10  # two chunks per worker at least; ten items a chunk at least
    assert fewest <= sum(messages) <= most, (
        f"Called {call}; the items went to the workers in {sum(messages)} message(s), expected between {fewest} "
        f"and {most}. One message per item costs more than a tiny task itself; one chunk per worker makes "
        "progress jump once per worker, and one slow item holds back a whole share. Cut the items into chunks "
        "of ceil(len(items) / (CHUNKS_PER_WORKER * workers)) and send each as one task (apply_to_chunk)."
    )


@points(1)
def test_timeout_stops_the_run():
    """A task that would take 10 s makes a run with timeout=0.5 raise multiprocessing.TimeoutError at once, leaving no worker."""
    items = [0.1, STUCK_S, 0.1]
    call = f"stream(sleep_for, {items!r}, workers=2, timeout={TIMEOUT_S})"
    learner = learner_process()  # started (and the learner's module imported) before the clock starts
    try:
        seen, seconds = call_with_limit(
            LIMIT_S / 2, in_learner_process, probes.times_out, sleep_for, items, 2, TIMEOUT_S
        )
    except DidNotReturn:
        raise AssertionError(
            f"Called {call}; it had not returned after {LIMIT_S / 2:g} s, expected multiprocessing.TimeoutError "
            f"after about {TIMEOUT_S} s. A for loop over the iterator waits as long as the slowest task, and so does "
            "imap_unordered's iterator with chunksize > 1 (a plain generator, without a timeout). Send your own "
            "chunks with chunksize=1, and take each with .next(timeout=...), the time left until one deadline."
        ) from None
    if seen["outcome"] == "returned":
        raise AssertionError(
            f"Called {call}; it returned {seen['got']!r:.200} after {seconds:.1f} s, expected multiprocessing.TimeoutError "
            f"after about {TIMEOUT_S} s. Take each chunk with .next(timeout=...), the time left until one deadline "
            "for the whole run."
        )
    left = learner.descendants(settle_s=1.0)
    assert not left, (
        f"Called {call}; it raised TimeoutError after {seconds:.1f} s, but {len(left)} process(es) were still running "
        "afterwards. Use the pool in a `with mp.Pool(workers) as pool:` block: leaving it terminates the workers, "
        "the stuck one too."
    )
