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


_ENTRIES += (
    Exercise(
        "ex13_run_with_timeout",
        "Run with a timeout",
        "05-errors-and-debugging §6",
        "a deadline you enforce: wait for a message or the child's end, terminate() then kill(), join() reaps",
        (
            "The child sends its outcome on a one-way Pipe: ('ok', result) or ('error', 'Name: message'). The parent "
            "closes its own send_end after start(), so that recv() raises EOFError once the child is gone.",
            "Wait for whichever comes first with multiprocessing.connection.wait([receive_end, child.sentinel], "
            "timeout=timeout): a message, the child's end, or [] when the time is up. Never join() before recv(): a "
            "child sending a large result cannot exit until it has been read.",
            "Time up: child.terminate(); child.join(timeout=TERMINATE_GRACE_S); if child.is_alive(): child.kill(). "
            "In every case: child.join(timeout=REAP_TIMEOUT_S) (no zombie), child.close(), receive_end.close(). "
            "EOFError from recv(): join, then return ('error', f'... exit code {child.exitcode} ...').",
        ),
    ),
    Exercise(
        "ex14_worker_logging",
        "Logs from workers",
        "05-errors-and-debugging §9",
        "QueueHandler in each worker (an initializer), QueueListener in the parent",
        (
            "A spawned worker starts with no logging set up, and its handlers could not reach yours anyway. Its "
            "records must travel through a multiprocessing Queue, made in the parent and given to the pool in "
            "initargs=(log_queue,).",
            "send_logs_to: root = logging.getLogger(); remove its handlers; root.addHandler("
            "logging.handlers.QueueHandler(log_queue)); root.setLevel(logging.INFO): the root logger's default, "
            "WARNING, drops every INFO record.",
            "run_with_logging: listener = logging.handlers.QueueListener(log_queue, keeper); listener.start(); "
            "try: `with ProcessPoolExecutor(workers, initializer=send_logs_to, initargs=(log_queue,)) as executor:` "
            "list(executor.map(log_item, items, timeout=RESULT_TIMEOUT_S)); finally: listener.stop(). "
            "Return keeper.records.",
        ),
    ),
    Exercise(
        "ex15_chunksize",
        "Chunks for tiny tasks",
        "04-pool §4",
        "chunksize for many tiny tasks: few messages, yet a chunk for every worker",
        (
            "Each message costs a round trip of about a tenth of a millisecond, a thousand times more than squaring "
            "a number. executor.map(func, items, chunksize=k) puts k items in each message.",
            "Pool.map's rule gives about four chunks per worker: math.ceil(n_items / (4 * workers)). For no items "
            "the rule gives 0, and executor.map refuses chunksize=0: return at least 1.",
            "pick_chunksize: return max(1, math.ceil(n_items / (4 * workers))). fast_map: return "
            "list(executor.map(func, items, chunksize=pick_chunksize(len(items), workers), timeout=MAP_TIMEOUT_S)), "
            "on the executor you are given: starting a pool of your own costs more than the whole map.",
        ),
    ),
    Exercise(
        "ex16_initializer",
        "Set up once per worker",
        "04-pool §6",
        "initializer and initargs: expensive setup once per worker, kept in a module global",
        (
            "The pool calls initializer(*initargs) once in each worker as it starts, before its first task. Build "
            "the table there, with the build_table you were given, and keep it in the module global _TABLE.",
            "load_table needs `global _TABLE` before `_TABLE = build_table(limit)`: without it the table goes into "
            "a local variable and is gone when load_table returns. count_in_table only reads: "
            "sum(_TABLE[start:stop]).",
            "count_with_table: `with ProcessPoolExecutor(workers, initializer=load_table, initargs=(build_table, "
            "LIMIT)) as executor:` return list(executor.map(count_in_table, starts, stops, "
            "timeout=RESULT_TIMEOUT_S)), with starts and stops taken from ranges.",
        ),
    ),
    Exercise(
        "ex17_any_executor",
        "One map for any executor",
        "08-beyond-one-machine §5",
        "code written against concurrent.futures.Executor runs on processes, threads or a Dask cluster",
        (
            "Use only what every Executor has: executor.submit(func, item) returns a Future, future.result(timeout) "
            "waits for it, future.cancel() drops it if it has not started. executor.map(func, items, timeout=...) "
            "is built from those.",
            "Wait for the futures in the order you submitted them, not with as_completed(). The timeout is for the "
            "whole map: deadline = time.monotonic() + timeout, and each result() gets max(0, deadline - "
            "time.monotonic()).",
            "futures = [executor.submit(func, item) for item in items]; try: return [f.result(timeout=max(0, "
            "deadline - time.monotonic())) for f in futures]; except BaseException: cancel() every future, then "
            "raise. (return list(executor.map(func, items, timeout=timeout)) does all of this too.)",
        ),
    ),
)


_ENTRIES += (
    Exercise(
        "ex09_pool_primes",
        "Counting primes on a Pool",
        "04-pool §1",
        "cut the work into ranges, no gap and no overlap; starmap_async on a Pool; faster than serial",
        (
            "Each range (start, end) goes to a worker as one task: count_primes(start, end). The ranges must cover "
            "range(stop) exactly: each starts where the last ended, and the last one ends at stop.",
            "bounds = [stop * k // chunks for k in range(chunks + 1)] gives chunks + 1 integer bounds from 0 to stop; "
            "the ranges are (bounds[k], bounds[k + 1]). Ranges of stop // chunks numbers each leave the last few out.",
            "`with mp.Pool(processes=workers) as pool:` counts = pool.starmap_async(count_primes, ranges, "
            "chunksize=1).get(timeout=RESULT_TIMEOUT_S); return sum(counts). One starmap_async hands every range to "
            "the pool at once; an apply_async(...).get() per range runs them one after another.",
        ),
    ),
    Exercise(
        "ex10_fix_pickling",
        "Fix the pickling",
        "04-pool §1",
        "a pool pickles each task's function by name: no lambdas, no closures; functools.partial for extra arguments",
        (
            "Run the file's functions yourself and read the error: 'Can't pickle local object'. A worker receives a "
            "function as a module and a name, and imports it; a lambda or a function defined inside another "
            "function has no such address.",
            "Write `def scale(x, factor): return x * factor` at the top of the module, then map "
            "partial(scale, factor=factor). A partial of a module-level function pickles: the function by name, "
            "the fixed arguments by value.",
            "The same for clip: `def clip(x, low, high): return min(max(x, low), high)` at the top level, then "
            "pool.map_async(partial(clip, low=low, high=high), numbers).get(timeout=RESULT_TIMEOUT_S). Do not pass "
            "the values through module globals: a spawned worker imports the module afresh and never sees them.",
        ),
    ),
    Exercise(
        "ex11_first_results",
        "The first k results",
        "04-pool §10",
        "submit and as_completed; cancel what has not started: shutdown(wait=True, cancel_futures=True)",
        (
            "as_completed(futures, timeout=...) yields each future as it finishes, whatever the order you submitted "
            "them in. Take future.result() from each, and stop (break) once you have k.",
            "Leaving a `with ProcessPoolExecutor()` block calls shutdown(wait=True), which runs every task still "
            "queued before it returns. Make the executor without `with`, and end it in a `finally:`.",
            "finally: executor.shutdown(wait=True, cancel_futures=True): the tasks not yet started are cancelled, the "
            "few already running are waited for (a running task cannot be stopped), and no worker is left behind. "
            "wait=False would return while workers still run.",
        ),
    ),
    Exercise(
        "ex12_collect_errors",
        "Every success, every failure",
        "04-pool §3",
        "one future per task, so one failure cannot hide the others; Pool.map raises the first error only",
        (
            "Pool.map returns a list or raises one exception: the first failure hides every other result. Give each "
            "item its own task instead: executor.submit(func, item), one future per item.",
            "Submit every task before asking for any result, so that they all run while you wait. Then, for each "
            "future in order: try: successes[index] = future.result(timeout=RESULT_TIMEOUT_S) except Exception as "
            "exc: failures[index] = describe(exc).",
            "`with ProcessPoolExecutor(max_workers=workers) as executor:` futures = [executor.submit(func, item) for "
            "item in items]; then the loop above over enumerate(futures); return successes, failures. "
            "(pool.apply_async(func, (item,)) and result.get(timeout=...) work the same way.)",
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
