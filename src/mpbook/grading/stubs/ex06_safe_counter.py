"""Exercise 06 · A counter that loses nothing (chapter 03-shared-state, sections 2 and 3).

Start `workers` processes that share one counter, an mp.Value, and each add 1 to it
`increments` times. Return the counter's final value: exactly workers * increments, every
time, even with four processes hammering the counter at once.

Learning goals: a Value is shared memory handed to a child when it starts; `counter.value += 1`
is a read and then a write, so concurrent processes lose updates; hold the Value's own lock
(`get_lock()`) for the whole read-modify-write.
Out of scope: pools (a Value cannot travel as a pool task's argument) and Managers (ex08).
Check your work: `mpbook check ex06`, or check("ex06") in a notebook.
"""

JOIN_TIMEOUT_S = 60  # 4 x 100 000 locked increments take about 1 s; 60 s is a very slow, very busy machine


def add_increments(counter, increments: int) -> None:
    """Add 1 to counter.value `increments` times, losing no update when other processes do the same."""
    # TODO: add 1 to counter.value, `increments` times. A bare `counter.value += 1` loses updates when
    #       other processes run it too (chapter 03, section 2): make each read-modify-write one step
    #       that no other process can split.
    raise NotImplementedError(
        "add_increments: add 1 to counter.value, increments times, under the counter's lock"
    )


def count_safely(workers: int, increments: int) -> int:
    """Return the final value of one shared counter that `workers` processes each incremented `increments` times."""
    # TODO: make the counter, mp.Value("i", 0), and keep it in a variable until the processes are joined
    # TODO: make one mp.Process per worker with target=add_increments, args=(counter, increments)
    # TODO: start them all, then join each one with timeout=JOIN_TIMEOUT_S
    # TODO: return counter.value
    raise NotImplementedError(
        "count_safely: start the workers on one shared Value, join them, return its value"
    )
