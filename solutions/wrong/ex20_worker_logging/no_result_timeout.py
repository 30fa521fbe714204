# breaks: results waited for at most RESULT_TIMEOUT_S — caught by test_gives_up_on_a_late_result
"""Exercise 20 · Logs from workers (chapter 05-errors-and-debugging, section 12).

Run log_item on every item on a pool of `workers` processes: each call logs one INFO line.
Collect those log records in the parent and return them. A worker's records cannot reach the
parent's handlers by themselves, so they travel through a multiprocessing Queue: a pool
initializer puts a QueueHandler on each worker's root logger, and a QueueListener thread in the
parent hands the records to a RecordKeeper.

    worker 1: log_item -> logger.info --QueueHandler--+
                                                      +--> [ mp.Queue ] --> QueueListener --> RecordKeeper
    worker 2: log_item -> logger.info --QueueHandler--+                     (a thread in the parent)

Contract: run_with_logging(items, workers=2) returns the LogRecords that log_item wrote, one per
item ("processed <item>"), each from a worker process, waiting at most RESULT_TIMEOUT_S for the
map; when it returns, the listener and the workers have stopped and the parent's own logging is
as it was. send_logs_to(log_queue), the pool's initializer, sends every record of its process at
INFO and above to log_queue. RecordKeeper and log_item are given: do not change them.

Learning goals: a spawned worker starts with no logging set up, so the initializer sets it up
once per worker; QueueHandler and QueueListener; stop the listener only after the workers ended.
Out of scope: formatting records, writing them to files.
Try it: `mpbook try ex20`. Check it: `mpbook check ex20` (in a notebook: mpbook.check("ex20")).
Stuck: `mpbook hint ex20`.
"""

import logging
import logging.handlers
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

LOGGER_NAME = "ex20"  # the logger log_item writes to
RESULT_TIMEOUT_S = 60  # a few hundred tiny tasks take milliseconds; 60 s means a worker is stuck


class RecordKeeper(logging.Handler):
    """A handler that keeps every record it is given, in order, in self.records. Given: do not change."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def log_item(item: object) -> object:
    """Log "processed <item>" at INFO on the ex20 logger, and return item. Given: do not change."""
    logging.getLogger(LOGGER_NAME).info("processed %s", item)
    return item


def send_logs_to(log_queue) -> None:
    """Make every log record of this worker process go to log_queue, at INFO and above (a pool initializer)."""
    root = logging.getLogger()
    for handler in list(root.handlers):  # under fork, the parent's handlers: each record must travel once
        root.removeHandler(handler)
    root.addHandler(logging.handlers.QueueHandler(log_queue))
    root.setLevel(logging.INFO)  # the root logger's default, WARNING, would drop the INFO lines


def run_with_logging(items: list, workers: int = 2) -> list[logging.LogRecord]:
    """Return the log records that log_item wrote in `workers` worker processes, one per item, collected here."""
    log_queue = mp.Queue()
    keeper = RecordKeeper()
    listener = logging.handlers.QueueListener(log_queue, keeper)
    listener.start()
    try:
        # The initializer runs once in each worker as it starts: under spawn, nothing else sets its logging up.
        with ProcessPoolExecutor(workers, initializer=send_logs_to, initargs=(log_queue,)) as executor:
            list(executor.map(log_item, items))
    finally:
        listener.stop()  # after the workers exited: it handles every record still queued, then ends its thread
    return keeper.records
