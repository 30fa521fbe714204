"""ex20 · Logs from workers: how the book places it, and the hints (the catalogue reads this)."""

TITLE = "Logs from workers"
CHAPTER = "05-errors-and-debugging"
SECTION = "Debugging tools: worker logs and `faulthandler`"
CONCEPT = "QueueHandler in each worker (a pool initializer), QueueListener in the parent"
TRY = '[record.getMessage() for record in run_with_logging(["a", "b", "c"], workers=2)]'
HINTS = (
    (
        "A spawned worker starts with no logging set up, and its handlers could not reach yours "
        "anyway. Its records must travel through a multiprocessing Queue, made in the parent and "
        "given to the pool in initargs=(log_queue,)."
    ),
    (
        "send_logs_to: root = logging.getLogger(); remove its handlers (a forked worker inherits "
        "its parent's); root.addHandler(logging.handlers.QueueHandler(log_queue)); "
        "root.setLevel(logging.INFO): the root logger's default, WARNING, drops every INFO "
        "record."
    ),
    (
        "run_with_logging: listener = logging.handlers.QueueListener(log_queue, keeper); "
        "listener.start(); try: `with ProcessPoolExecutor(workers, initializer=send_logs_to, "
        "initargs=(log_queue,)) as executor:` list(executor.map(log_item, items, "
        "timeout=RESULT_TIMEOUT_S)); finally: listener.stop(), after the with block, so every "
        "record is in. Return keeper.records."
    ),
)
