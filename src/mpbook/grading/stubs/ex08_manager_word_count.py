"""Exercise 08 · Word counts in a Manager (chapter 03-shared-state, sections 17 and 18).

Count the words of each document on a pool of `workers` processes, one task per line, so the
lines of one document are counted by several workers at the same time. The counts live in a
Manager: `results`, a manager list holding one plain dict per document, guarded by a manager Lock.

    parent --(results, lock, index, line)--> pool workers --proxy calls--> manager process
    parent <--results[:] (plain dicts)-- manager process

Return a plain list of plain dicts: counts[i][word] is how often `word` occurs in documents[i]
(words are what str.split() returns). Beware: results[index] hands a worker a COPY of the dict.

Learning goals: Manager proxies; the nested-proxy trap; a read-modify-write through proxies needs a lock.
Out of scope: Value, Array and shared_memory (ex06, ex07); pool initializers (chapter 04).
Check your work: `mpbook check ex08`, or check("ex08") in a notebook.
"""

from collections import Counter

LOCK_TIMEOUT_S = (
    30  # a worker holds the lock for a few proxy calls (milliseconds); 30 s means it died holding it
)
RESULT_TIMEOUT_S = 60  # a few hundred lines take about a second; 60 s covers a spawn pool on a busy machine


def add_line(results, lock, index: int, line: str) -> None:
    """Add the count of each word of `line` to results[index], the dict of document `index` in a manager list."""
    counts = Counter(line.split())  # counted here, in the worker: no round trip per word
    # TODO: add `counts` to the dict results[index]. Reading results[index] gives you a copy: the
    #       manager only sees a change you send back. Other workers update the same document at the
    #       same time, so the read, the update and the write back must be one step: hold `lock`,
    #       with mpbook.sharing.acquired(lock, LOCK_TIMEOUT_S).
    raise NotImplementedError(f"add_line: add {dict(counts)} to results[{index}] so that no update is lost")


def count_words(documents: list[str], workers: int = 2) -> list[dict[str, int]]:
    """Return one dict of word counts per document, counted line by line by a pool of `workers` processes."""
    # TODO: start a manager: `with mp.Manager() as manager:`
    # TODO: results = a manager list with one empty dict per document; lock = manager.Lock()
    # TODO: one task (results, lock, index, line) for every line of every document (str.splitlines())
    # TODO: run add_line on them in mp.Pool(workers): starmap_async(...).get(timeout=RESULT_TIMEOUT_S)
    # TODO: return results[:] (a plain list of plain dicts) before the manager shuts down
    raise NotImplementedError("count_words: share results through a manager, count the lines on a pool")
