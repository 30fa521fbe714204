# breaks: every process is joined — caught by test_every_worker_is_joined_with_a_timeout
"""Exercise 07 · A counter that loses nothing (chapter 03-shared-state, section 1).

Start `workers` processes that share one counter, an mp.Value, and each add 1 to it
`increments` times. Return the counter's final value: exactly workers * increments, every time,
even with four processes hammering the counter at once.

    count_safely: counter = Value("i", 0) --args at start()--> process 1 .. process `workers`
    each process: `increments` times: read counter.value, add 1, write it back (without losing any)

Contract: count_safely(workers, increments) returns workers * increments, counted by `workers`
processes running add_increments(counter, increments) on the same Value, each joined with
timeout JOIN_TIMEOUT_S. add_increments must lose no update even when other processes run it on
the same counter at the same time.

Learning goals: a Value is shared memory handed to a child when it starts; `counter.value += 1`
is a read and then a write, so concurrent processes lose updates; the Value's own lock
(`get_lock()`) held for the whole read-modify-write.
Out of scope: pools (a Value cannot travel as a pool task's argument) and Managers (ex10).
Try it: `mpbook try ex07`. Check it: `mpbook check ex07` (in a notebook: mpbook.check("ex07")).
Stuck: `mpbook hint ex07`.
"""

import multiprocessing as mp
import time

JOIN_TIMEOUT_S = 60  # 4 x 100 000 locked increments take about 1 s; 60 s is a very slow, very busy machine


def add_increments(counter, increments: int) -> None:
    """Add 1 to counter.value `increments` times, losing no update when other processes do the same."""
    for _ in range(increments):
        # The lock is held for the read AND the write: nobody can update the counter in between.
        with counter.get_lock():
            counter.value += 1


def count_safely(workers: int, increments: int) -> int:
    """Return the final value of one shared counter that `workers` processes each incremented `increments` times."""
    counter = mp.Value("i", 0)  # a C int in shared memory, with a lock; kept in a variable until the end
    processes = [mp.Process(target=add_increments, args=(counter, increments)) for _ in range(workers)]
    for process in processes:
        process.start()
    while counter.value < workers * increments:  # waits for the count instead of the processes
        time.sleep(0.01)
    return counter.value
