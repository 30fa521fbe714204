"""Exercise 12 · Every success, every failure (chapter 04-pool, sections 3 and 11).

Run func(item) for every item on a pool of `workers` processes, where some calls raise. Pool.map
would raise the first exception and lose every other result; here, keep them all. Return two
dicts keyed by the item's index: the results of the calls that returned, and for each call that
raised, its exception as the text "ExceptionType: message" (e.g. "ValueError: negative input: -1").

    parent --submit(func, item) per item--> workers --result or exception, one per task--> parent
    parent: ({index: result, ...}, {index: "ValueError: ...", ...})

Learning goals: one future (or AsyncResult) per task, so one failure cannot hide the others;
an exception raised in a worker comes back re-raised by result() in the parent.
Out of scope: retrying failed tasks; workers that die (BrokenProcessPool, chapter 05).
Check your work: `mpbook check ex12`, or check("ex12") in a notebook.
"""

from concurrent.futures import ProcessPoolExecutor

RESULT_TIMEOUT_S = 60  # the checks' tasks take under a second; 60 s means a worker is stuck


def describe(exc: BaseException) -> str:
    """Return an exception as the text "ExceptionType: message"."""
    return f"{type(exc).__name__}: {exc}"


def map_collecting_errors(func, items: list, workers: int = 2) -> tuple[dict[int, object], dict[int, str]]:
    """Run func(item) for every item on `workers` processes; return ({index: result}, {index: "Type: message"})."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    successes, failures = {}, {}
    with ProcessPoolExecutor(max_workers=workers) as executor:
        # Every task is submitted before any result is asked for: they all run while we wait.
        futures = [executor.submit(func, item) for item in items]
        for index, future in enumerate(futures):
            # One future per task: its exception is its own, and the others keep their results.
            try:
                successes[index] = future.result(timeout=RESULT_TIMEOUT_S)
            except Exception as exc:  # noqa: BLE001 -- every failure is reported, whatever its type
                failures[index] = describe(exc)
    return successes, failures
