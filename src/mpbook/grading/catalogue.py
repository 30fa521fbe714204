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
        "02-process-queue-pipe §2",
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
