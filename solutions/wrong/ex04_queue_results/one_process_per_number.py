# breaks: the numbers are shared among `workers` processes — caught by test_uses_workers_processes
"""Exercise 04 · Results through a Queue (chapter 02-process-queue-pipe, section 3).

Square numbers on `workers` processes and return the squares in the order of `numbers`.
A Process returns nothing, so each worker puts its results on a multiprocessing.Queue, with the
index of each number, and the parent puts them back in order. Every message also carries
`padding` bytes of filler, as real results often carry data: with padding=1_000_000 your code
must still finish.

    parent --chunk of (index, n)--> worker 1 --(index, n*n, filler)--> results queue --> parent
           --chunk of (index, n)--> worker 2 --(index, n*n, filler)--/

Contract: parallel_squares(numbers, workers=2, padding=0) returns [n * n for n in numbers],
computed in `workers` processes; put_squares(chunk, results, padding) is what each process runs:
it puts (index, n * n, filler) on results for every (index, n) of its chunk, where filler is
`padding` bytes. Every get() waits at most GET_TIMEOUT_S, every join() at most JOIN_TIMEOUT_S.

Learning goals: results through a queue; restoring order by index; why to drain a queue before join().
Out of scope: pools (chapter 04 does this in one line, and that is the point of pools).
Try it: `mpbook try ex04`. Check it: `mpbook check ex04` (in a notebook: mpbook.check("ex04")).
Stuck: `mpbook hint ex04`.
"""

import multiprocessing as mp

GET_TIMEOUT_S = 30  # one result takes microseconds; 30 s means a worker died or never sent it
JOIN_TIMEOUT_S = 30  # after the queue is drained, a worker exits at once


def put_squares(chunk: list[tuple[int, int]], results: mp.Queue, padding: int) -> None:
    """Put (index, n * n, filler) on results for every (index, n) in chunk; filler is `padding` bytes."""
    filler = b"\0" * padding
    for index, n in chunk:
        results.put((index, n * n, filler))


def parallel_squares(numbers: list[int], workers: int = 2, padding: int = 0) -> list[int]:
    """Return [n * n for n in numbers], computed by `workers` processes that send results on a Queue."""
    indexed = list(enumerate(numbers))
    chunks = [[pair] for pair in indexed]  # wrong: one process per number, whatever `workers` says
    results = mp.Queue()
    processes = [mp.Process(target=put_squares, args=(chunk, results, padding)) for chunk in chunks]
    for process in processes:
        process.start()
    squares = [None] * len(indexed)
    for _ in indexed:
        index, value, _filler = results.get(timeout=GET_TIMEOUT_S)
        squares[index] = value
    # Joined only after every result is off the queue: a child that put a large item
    # cannot exit until that item has been read.
    for process in processes:
        process.join(timeout=JOIN_TIMEOUT_S)
    return squares
