# breaks: the pool's results are waited for at most RESULT_TIMEOUT_S — caught by test_gives_up_when_the_results_never_come
"""Exercise 10 · Word counts in a Manager (chapter 03-shared-state, section 16).

Count the words of each document on a pool of `workers` processes, one task per line, so the
lines of one document are counted by several workers at the same time. The counts live in a
Manager: `results`, a manager list holding one plain dict per document, guarded by a manager Lock.
Beware: results[index] hands a worker a COPY of the dict.

    parent --(results, lock, index, line)--> pool workers --proxy calls--> manager process
    parent <--results[:] (plain dicts)-- manager process

Contract: count_words(documents, workers=2) returns a plain list of plain dicts: counts[i][word]
is how often `word` (as str.split() finds words) occurs in documents[i]; [] for no documents.
add_line(results, lock, index, line), run in the pool's workers, adds the counts of one line to
results[index] so that no update is lost when other workers update the same document. The lock
is held at most LOCK_TIMEOUT_S, the pool's results waited for at most RESULT_TIMEOUT_S.

Learning goals: Manager proxies; the nested-proxy trap; a read-modify-write through proxies needs a lock.
Out of scope: Value, Array and shared_memory (ex07, ex09); pool initializers (chapter 04).
Try it: `mpbook try ex10`. Check it: `mpbook check ex10` (in a notebook: mpbook.check("ex10")).
Stuck: `mpbook hint ex10`.
"""

import multiprocessing as mp
from collections import Counter

from mpbook.sharing import acquired

LOCK_TIMEOUT_S = (
    30  # a worker holds the lock for a few proxy calls (milliseconds); 30 s means it died holding it
)
RESULT_TIMEOUT_S = 60  # a few hundred lines take about a second; 60 s covers a spawn pool on a busy machine


def add_line(results, lock, index: int, line: str) -> None:
    """Add the count of each word of `line` to results[index], the dict of document `index` in a manager list."""
    counts = Counter(line.split())  # counted here, in the worker: no round trip per word
    # The lock makes read, update and write back one step: no other worker reads this dict in between.
    with acquired(lock, LOCK_TIMEOUT_S):
        document = results[index]  # a copy of the dict, sent over by the manager
        for word, count in counts.items():
            document[word] = document.get(word, 0) + count
        results[index] = document  # the copy goes back to the manager: without this, the update is lost


def count_words(documents: list[str], workers: int = 2) -> list[dict[str, int]]:
    """Return one dict of word counts per document, counted line by line by a pool of `workers` processes."""
    with mp.Manager() as manager:
        results = manager.list([{} for _ in documents])
        lock = manager.Lock()
        tasks = [
            (results, lock, index, line)
            for index, document in enumerate(documents)
            for line in document.splitlines()
        ]
        with mp.Pool(processes=workers) as pool:
            pool.starmap_async(add_line, tasks).get()  # wrong: waits forever for a lost task
        return results[:]  # one proxy call: a plain list of plain dicts, taken before the manager shuts down
