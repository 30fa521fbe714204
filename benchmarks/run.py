"""Run mpbook's benchmarks: the same as `python -m mpbook.bench` (and `make bench`).

    python benchmarks/run.py [--quick] [--out DIR] [--only start,cpu,tiny,data,counters]

Everything lives in the package `mpbook.bench`; this file only calls it, so the benchmarks can be found here too.
"""

import sys

from mpbook.bench.__main__ import main

if __name__ == "__main__":  # spawned workers import mpbook.bench.tasks, never this file
    sys.exit(main())
