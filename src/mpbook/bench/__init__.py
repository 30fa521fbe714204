"""The book's benchmarks: its recipe measured against the peers and the limits, in one run.

    python -m mpbook.bench [--quick] [--out DIR] [--only start,cpu,tiny,data,counters] [--wait-quiet S]

Five workloads, run one after another in this process tree, each a module declaring its variants,
its measurement and its goals together: ``start`` (process, pool, executor, joblib and Dask start
costs), ``cpu`` (CPU-bound tasks on 1..N workers), ``tiny`` (per-task overhead), ``data`` (a large
array to the workers), ``counters`` (a shared count). The pieces:

    __main__  the command line: run the workloads asked for, judge the targets, write the reports
    suite     the workloads in order; a run's targets
    harness   runs taking turns, waiting for quiet CPUs, the peers started alike, the best-peer rule
    records   the typed results (stable ids; labels for display only) and their JSON form
    reports   <stem>.json, <stem>.md and <stem>-*.png
    tasks     the benchmark's own pool targets: light, since spawned children import them

The recipe measured is chapter 06's, `recipe_map` on a pool from `recipe_pool` (in `mpbook.tuning`,
re-exported here). Standard library only at import time: spawned workers import `mpbook.bench.tasks`,
and with it this file.
"""

from mpbook.tuning import recipe_chunksize, recipe_map, recipe_pool, share_array

__all__ = ["WORKLOADS", "recipe_chunksize", "recipe_map", "recipe_pool", "share_array"]

WORKLOADS = (
    "start",
    "cpu",
    "tiny",
    "data",
    "counters",
)  # the running order; suite.WORKLOADS holds the modules
