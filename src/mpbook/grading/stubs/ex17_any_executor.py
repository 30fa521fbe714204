"""Exercise 17 · One map for any executor (chapter 08-beyond-one-machine, sections 1 and 5).

map_on(executor, func, items, timeout) returns [func(x) for x in items], in input order, computed
by `executor`, whatever kind it is: a ProcessPoolExecutor, a ThreadPoolExecutor, or the executor
of a Dask cluster (client.get_executor()). Write it against the concurrent.futures.Executor
interface only: submit() and Future.result(), or executor.map(). `timeout` is for the whole map,
as in executor.map: raise TimeoutError once `timeout` seconds have passed without every result,
and cancel() the tasks that have not started, so that nothing is left queued.

    map_on(executor, ...) --submit/map--> ProcessPoolExecutor   (processes on this machine)
                                      \\-> ThreadPoolExecutor    (threads in this process)
                                      \\-> Dask ClientExecutor   (workers of a cluster, local or remote)

Learning goals: the Executor interface as the seam between your code and where it runs; a
deadline for a whole batch; cancelling what is left.
Out of scope: Pool-only features (imap, callbacks, chunksize rules) and Dask's own API.
Check your work: `mpbook check ex17`, or check("ex17") in a notebook.
"""


def map_on(executor, func, items: list, timeout: float) -> list:
    """Return [func(x) for x in items], in order, computed on executor; raise TimeoutError after `timeout` s in all."""
    # TODO: hand every item to the executor (submit each, or executor.map with timeout=timeout)
    # TODO: collect the results in input order; the whole map gets `timeout` seconds, not each result
    #       (with submit: compute a deadline = time.monotonic() + timeout, then result(timeout=deadline - now))
    # TODO: on TimeoutError, cancel() every future not yet done, then raise (executor.map does both for you)
    raise NotImplementedError("map_on: run func on every item through the Executor interface")
