# breaks: after a timeout, the tasks not started are cancelled — caught by test_timeout_cancels_what_is_left
"""Exercise 23 · One map for any executor (chapter 08-beyond-one-machine, section 1).

map_on returns [func(x) for x in items], in input order, computed by `executor`, whatever kind
it is: a ProcessPoolExecutor, a ThreadPoolExecutor, or the executor of a Dask cluster
(client.get_executor()). Write it against the concurrent.futures.Executor interface only:
submit() and Future.result(), or executor.map().

    map_on(executor, ...) --submit/map--> ProcessPoolExecutor   (processes on this machine)
                                      \\-> ThreadPoolExecutor    (threads in this process)
                                      \\-> Dask ClientExecutor   (workers of a cluster, local or remote)

Contract: map_on(executor, func, items, timeout) returns the results in the order of items, every
item handed to the executor. `timeout` is for the whole map, as in executor.map: once `timeout`
seconds have passed without every result, it cancels the tasks that have not started, so that
nothing is left queued, and raises TimeoutError.

Learning goals: the Executor interface as the seam between your code and where it runs; a
deadline for a whole batch; cancelling what is left.
Out of scope: Pool-only features (imap, callbacks, chunksize rules) and Dask's own API.
Try it: `mpbook try ex23`. Check it: `mpbook check ex23` (in a notebook: mpbook.check("ex23")).
Stuck: `mpbook hint ex23`.
"""

import time


def map_on(executor, func, items: list, timeout: float) -> list:
    """Return [func(x) for x in items], in order, computed on executor; raise TimeoutError after `timeout` s in all."""
    deadline = time.monotonic() + timeout  # one deadline for the whole map, as executor.map has
    futures = [executor.submit(func, item) for item in items]  # submit() is all any Executor promises
    # In input order, whatever order they finish in; each wait gets only the time that is left.
    return [future.result(timeout=max(0, deadline - time.monotonic())) for future in futures]
