"""The exercise catalogue: every exercise, its chapter section, its concept and its hints.

One place for all of them, like rustlings' info.toml: the checks hold the tests, the stubs
hold the task, and this file holds what ties them to the book and what to say to someone stuck.
Hints go from a gentle nudge to nearly the answer; `mpbook hint exNN` gives the next level.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    """One exercise of the book."""

    name: str  # module name, an identifier: a spawned child imports it by this name
    title: str
    chapter: str  # "01-basics §4"
    concept: str
    hints: tuple[str, ...]

    @property
    def number(self) -> str:
        """Return the short name, such as "ex06"."""
        return self.name.split("_", 1)[0]

    @property
    def filename(self) -> str:
        return f"{self.name}.py"


_ENTRIES = (
    Exercise(
        "ex01_start_and_join",
        "Start and join",
        "01-basics §4",
        "start() all processes before join(); exitcode",
        (
            "Build the whole list of Process objects first. Each gets target=sleep_and_return and args=(duration,).",
            "If you start one process and join it before starting the next, they run one after another. "
            "Start every process in one loop, then join every process in a second loop.",
            "processes = [mp.Process(target=sleep_and_return, args=(d,)) for d in durations]; "
            "start each; join each with timeout=JOIN_TIMEOUT_S; return [p.exitcode for p in processes].",
        ),
    ),
    Exercise(
        "ex02_main_guard",
        "The __main__ guard",
        "01-basics §5",
        'if __name__ == "__main__": under spawn',
        (
            "Run the script yourself: `python exercises/ex02_main_guard.py spawn`. Read the first error in the output.",
            "A spawned worker imports this file to find its functions, and that import runs every top-level line. "
            "Which lines must not run in a worker?",
            'Move the lines that create the pool and print into a block under `if __name__ == "__main__":`. '
            "Imports and function definitions stay at the top level.",
        ),
    ),
    Exercise(
        "ex03_queue_results",
        "Results through a Queue",
        "02-process-queue-pipe §6, §10",
        "Queue results, ordering by index, the join/queue deadlock",
        (
            "A Process cannot return a value: each worker must put its results on the queue, "
            "tagged with the index of the number, so the parent can put them back in order.",
            "The parent must take exactly one result per input number off the queue. Use get(timeout=...) "
            "so a crashed worker cannot hang you.",
            "Join the workers only AFTER you have taken every result off the queue. A child that put a large "
            "item waits for it to be read before it can exit, so joining it first waits forever.",
        ),
    ),
)


_ENTRIES += (
    Exercise(
        "ex04_pipeline",
        "A pipeline with sentinels",
        "02-process-queue-pipe §6",
        "producer -> transformers -> parent; one sentinel per consumer",
        (
            "The producer only puts on tasks, each transformer gets from tasks and puts on results, and the "
            "parent only gets from results. Send (index, x), so the parent can put each square back in place.",
            "A queue cannot say it is finished. The producer puts one None per transformer after the items; "
            "a transformer that gets None puts a None on results and returns; the parent reads results until "
            "it has counted one None per transformer.",
            "A timeout means someone waits for a None that never comes: a transformer whose sentinel was not "
            "sent, or a parent waiting for a transformer that did not pass one on. Start every process, "
            "drain results, then join every process.",
        ),
    ),
    Exercise(
        "ex05_pipe_ping_pong",
        "Ping-pong over a Pipe",
        "02-process-queue-pipe §12",
        "Pipe round trips, poll() before recv(), EOFError and closing every end",
        (
            "Take turns: send a number, then poll(POLL_TIMEOUT_S) and recv() the answer before sending again. "
            "Send 0 first, then send back each answer you get.",
            "The child learns that the game is over when recv() raises EOFError: catch it and return, and the "
            "child exits with 0. The parent makes that happen by closing parent_end once it has its n answers.",
            "EOFError comes only when EVERY copy of parent_end is closed, and under fork the child inherits one. "
            "That is why ping_pong passes parent_end to the child as unused_end: reply_until_eof closes it first.",
        ),
    ),
)


_ENTRIES += (
    Exercise(
        "ex06_safe_counter",
        "A counter that loses nothing",
        "03-shared-state §3",
        "Value shared at start; `v.value += 1` loses updates; hold get_lock() for the read-modify-write",
        (
            "A child sees the counter only if you hand it over when it starts: make ONE mp.Value in "
            "count_safely and pass that same object to every Process in args.",
            "`counter.value += 1` is a read and then a write; the Value's lock is taken for each separately, "
            "so another process can write in between and its update is overwritten. Hold the lock across both.",
            "In add_increments: `for _ in range(increments):` then `with counter.get_lock(): counter.value += 1`. "
            "In count_safely: start every process, join each with timeout=JOIN_TIMEOUT_S, return counter.value.",
        ),
    ),
    Exercise(
        "ex07_shared_array_sum",
        "A parallel shared-memory sum",
        "03-shared-state §12",
        "shared_memory by name, np.frombuffer views, close() everywhere and unlink() once",
        (
            "A worker gets only the block's name (a short str), the dtype and the bounds of its slice. It attaches "
            "with shared_memory.SharedMemory(name=name) and views block.buf with np.frombuffer: nothing is copied.",
            "Put everything after creating the block in `try:` and end with `finally: block.close(); "
            "block.unlink()`, so a failing worker cannot leak it. close() raises BufferError while a NumPy view of "
            "the block is alive: `del` your views first.",
            "bounds = [array.size * k // workers for k in range(workers + 1)]; one task (block.name, "
            "array.dtype.str, bounds[k], bounds[k + 1]) per worker. sum_slice: attach, then in try/finally: close(), "
            "return float(np.frombuffer(block.buf, dtype=dtype, count=stop)[start:stop].sum()).",
        ),
    ),
    Exercise(
        "ex08_manager_word_count",
        "Word counts in a Manager",
        "03-shared-state §18",
        "Manager proxies, the nested-proxy trap, a manager Lock around read-modify-write",
        (
            "results[index] does not give you the dict inside the manager: it gives you a copy. Change the copy, "
            "then send it back: results[index] = document.",
            "Several workers count lines of the same document at once. Between one worker's read of results[index] "
            "and its write-back, another can write, and one of the two updates is lost. Hold the lock from the "
            "read to the write-back: `with acquired(lock, LOCK_TIMEOUT_S):` (from mpbook.sharing).",
            "count_words: `with mp.Manager() as manager:` results = manager.list([{} for _ in documents]); "
            "lock = manager.Lock(); tasks = [(results, lock, i, line) for i, doc in enumerate(documents) for line "
            "in doc.splitlines()]; pool.starmap_async(add_line, tasks).get(timeout=RESULT_TIMEOUT_S); "
            "return results[:] inside the with block.",
        ),
    ),
)


# Listed in exercise order whatever order the entries above were added in.
EXERCISES: tuple[Exercise, ...] = tuple(sorted(_ENTRIES, key=lambda exercise: exercise.name))


class UnknownExercise(LookupError):
    """The name given matches no exercise."""


def find(name: str) -> Exercise:
    """Return the exercise matching name: "ex06", "6", "ex06_safe_counter" or "safe_counter"."""
    wanted = name.strip().lower().removesuffix(".py")
    if wanted.isdigit():
        wanted = f"ex{int(wanted):02d}"
    for exercise in EXERCISES:
        if wanted in (exercise.name, exercise.number) or exercise.name.split("_", 1)[1] == wanted:
            return exercise
    known = ", ".join(e.number for e in EXERCISES)
    raise UnknownExercise(f"there is no exercise {name!r}. Exercises: {known} (see `mpbook list`).")
