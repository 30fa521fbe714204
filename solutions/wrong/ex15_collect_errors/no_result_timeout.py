# breaks: results waited for at most RESULT_TIMEOUT_S — caught by test_gives_up_on_a_late_result
"""Exercise 15 · Every success, every failure (chapter 04-pool, section 10).

Run func(item) for every item on `workers` processes, where some calls raise, and keep
everything: every result that came back, and every error, described as the text
"ExceptionType: message" (e.g. "ValueError: negative input: -1"). Pool.map cannot do this: it
raises the first error and drops every other result.

    parent --submit(func, item) per item--> workers --result or exception, one per task--> parent
    parent: ({index: result, ...}, {index: "ValueError: ...", ...})

Contract: map_collecting_errors(func, items, workers=2) returns (successes, failures): two dicts
keyed by the item's index in items, each index in exactly one of them; successes[i] is
func(items[i]), failures[i] is describe(the exception it raised). The calls run at the same time
in `workers` processes; each result is waited for at most RESULT_TIMEOUT_S.

Learning goals: one future (or AsyncResult) per task, so one failure cannot hide the others;
an exception raised in a worker comes back re-raised by result() in the parent.
Out of scope: retrying failed tasks; workers that die (BrokenProcessPool: ex17).
Try it: `mpbook try ex15`. Check it: `mpbook check ex15` (in a notebook: mpbook.check("ex15")).
Stuck: `mpbook hint ex15`.
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
                successes[index] = future.result()
            except Exception as exc:  # noqa: BLE001 -- every failure is reported, whatever its type
                failures[index] = describe(exc)
    return successes, failures
